"""The records schema's history: Alembic revisions, one file per change in ``versions/``.

A released revision is never edited; a schema change is a new revision file whose
``down_revision`` is the last one (a single chain: 0001, 0002, ...). :func:`upgrade` brings a
database to the newest revision when the store opens. Alembic is configured here in code, no
``alembic.ini``: the script folder is this package and the open connection travels to ``env.py``
in ``Config.attributes``.

The whole upgrade is one transaction that one process holds at a time (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so processes opening a new database at once wait for
the first one instead of failing. A database made by release 0.1 (its own ``migrations`` table
with rows m001..m004, no ``alembic_version``) holds exactly revision 0001's schema: it is stamped
at 0001 first, keeping every row.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

SCRIPT_LOCATION = Path(__file__).resolve().parent
"""This folder: ``env.py``, ``script.py.mako`` and ``versions/``."""

RELEASE_0_1_TABLE = "migrations"
"""Release 0.1's record of its migrations; left in place (0.1 can still open the database)."""
RELEASE_0_1_MIGRATIONS = frozenset(
    {"m001_customer_records", "m002_drafts", "m003_decisions_outbox", "m004_events"}
)
RELEASE_0_1_REVISION = "0001"
"""The revision whose schema release 0.1 had created."""

_LOCK_KEY = zlib.crc32(b"reply-assistant schema migrations")
"""PostgreSQL advisory lock held while one process upgrades the schema."""


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration on this package's scripts, running on ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    cfg.set_main_option("revision_environment", "true")  # env.py numbers every new revision
    cfg.attributes["connection"] = connection
    cfg.attributes["applied"] = []
    return cfg


@cache
def _script(location: str) -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", location.replace("%", "%%"))
    return ScriptDirectory.from_config(cfg)


def script() -> ScriptDirectory:
    """The revision scripts (read once per process)."""
    return _script(str(SCRIPT_LOCATION))


def head() -> str:
    """The newest revision."""
    newest = script().get_current_head()
    if newest is None:
        raise RuntimeError(f"no revisions in {SCRIPT_LOCATION / 'versions'}")
    return newest


def revisions(upto: str | None = None) -> list[str]:
    """Revision ids from the first to ``upto`` (default: the newest), oldest first."""
    if upto is None:
        upto = head()
    chain = script().iterate_revisions(upto, "base")
    return [rev.revision for rev in reversed(list(chain))]


def current(conn: Connection) -> str | None:
    """The revision the database at ``conn`` is at, or None before the first one."""
    return MigrationContext.configure(conn).get_current_revision()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate and compare_metadata skip release 0.1's own migrations table and the task
    queue's tables (``procrastinate_*``: procrastinate applies its own schema)."""
    if type_ == "table" and reflected and compare_to is None:
        return not (name == RELEASE_0_1_TABLE or (name or "").startswith("procrastinate_"))
    return True


def record_applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """``on_version_apply`` hook: collects the revisions an upgrade ran in ``applied``."""
    cfg = ctx.config
    if cfg is not None and step.is_upgrade and not step.is_stamp and step.up_revision_id:
        cfg.attributes["applied"].append(step.up_revision_id)


def upgrade(engine: Engine) -> list[str]:
    """Bring the database to the newest revision; the revisions that ran, oldest first."""
    newest = head()
    with engine.connect() as conn:
        if current(conn) == newest:  # the usual case: a read, no write lock
            return []
        conn.rollback()
        with session(conn) as cfg:
            command.upgrade(cfg, "head")
    return list(cfg.attributes["applied"])


@contextmanager
def session(conn: Connection) -> Iterator[Config]:
    """A configuration on ``conn`` inside the one migration transaction; a database made by
    release 0.1 is stamped at its revision first. Committed when the block ends."""
    cfg = config(conn)
    with _schema_transaction(conn):
        if _made_by_release_0_1(conn):
            command.stamp(cfg, RELEASE_0_1_REVISION)
        yield cfg


def _made_by_release_0_1(conn: Connection) -> bool:
    """True for a 0.1 database not yet under Alembic; an unfinished 0.1 upgrade is refused."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables or RELEASE_0_1_TABLE not in tables:
        return False
    rows = conn.execute(text(f"SELECT name FROM {RELEASE_0_1_TABLE}"))
    names = {row.name for row in rows}
    if not names:
        return False  # 0.1 failed before its first migration: no tables of its own
    missing = sorted(RELEASE_0_1_MIGRATIONS - names)
    if missing:
        raise RuntimeError(
            f"this database was left half-way by release 0.1 (missing {', '.join(missing)}): "
            "open it once with release 0.1 to finish, then with this one"
        )
    return True


@contextmanager
def _schema_transaction(conn: Connection) -> Iterator[None]:
    """One transaction for the whole upgrade, held by one process at a time.

    SQLite: ``BEGIN IMMEDIATE`` (the store's ``sqlite_begin`` option) takes the write lock and a
    second process waits for it (busy timeout). Foreign keys are off meanwhile, as SQLite's own
    ALTER TABLE procedure says: a batch migration rebuilding a parent table would otherwise cascade
    its DROP into the children. ``PRAGMA foreign_key_check`` must come back empty before commit.
    PostgreSQL: a transaction-scoped advisory lock.
    """
    if conn.dialect.name != "sqlite":
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
    try:
        with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
            yield
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise RuntimeError(f"the migration broke a foreign key: {tuple(broken)}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
