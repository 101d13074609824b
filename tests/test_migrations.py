"""Schema migrations through Alembic: a fresh database is built by the revisions and matches the
tables declared in ``assistant.store``; a database made by release 0.1 is taken over with every
row; processes opening a new database at once all succeed; a failing revision leaves nothing
behind and a later revision can rebuild a table. On SQLite and, with TEST_POSTGRES_URL, on a
real PostgreSQL server."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, func, inspect, select, text

from assistant import migrations
from assistant import store as tables
from assistant.store import Store
from tests.fixtures import store_0_1

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
"""A PostgreSQL URL whose database the tests may empty; unset runs SQLite only."""
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HISTORY_TABLES = ("customers", "conversations", "messages", "notes", "promises")
RECORD_TABLES = (*HISTORY_TABLES, "drafts", "decisions", "outbox", "events")


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match ``assistant.store``."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": migrations.include_object}
        )
        return list(compare_metadata(context, tables.metadata))


def revision_of(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def old_database(url: str) -> dict[str, list[dict[str, Any]]]:
    """A database made by release 0.1's own store, one row or two in every table; its rows."""
    old = store_0_1.Store(url, clock=lambda: AT)
    assert old.migrate() == [name for name, _ in store_0_1.MIGRATIONS]
    with old.transaction() as conn:
        conn.execute(
            store_0_1.customers.insert().values(
                id="cus_1", name="정현우", email="hw@example.com", language="ko", plan="Plus",
                since=date(2021, 3, 1), tags=["vip"], created_at=AT,
            )
        )  # fmt: skip
        conn.execute(
            store_0_1.conversations.insert().values(
                id="conv_1", customer_id="cus_1", channel="email", subject="환불", status="open",
                started_at=AT,
            )
        )  # fmt: skip
        conn.execute(
            store_0_1.messages.insert().values(
                conversation_id="conv_1", role="customer", text="환불 언제 되나요?", at=AT
            )
        )
        conn.execute(
            store_0_1.notes.insert().values(
                customer_id="cus_1", text="이메일 선호", author="지수", created_at=AT
            )
        )
        conn.execute(
            store_0_1.promises.insert().values(
                customer_id="cus_1", what="환불 결과 안내", due=date(2026, 11, 25), status="open",
                created_at=AT,
            )
        )  # fmt: skip
    draft_id = old.create_draft(
        status="approved", customer_id="cus_1", message="환불 언제 되나요?", language="ko",
        situations=["S2"], output="정현우 고객님, 안녕하세요.", findings=[], trace={"steps": []},
    )  # fmt: skip
    with old.transaction() as conn:
        decision = conn.execute(
            store_0_1.decisions.insert().values(
                draft_id=draft_id, action="approved", final_text="정현우 고객님, 안녕하세요.",
                reviewer="지수", created_at=AT,
            )
        )  # fmt: skip
        conn.execute(
            store_0_1.outbox.insert().values(
                draft_id=draft_id, decision_id=store_0_1.inserted_id(decision),
                customer_id="cus_1", text="정현우 고객님, 안녕하세요.", created_at=AT,
            )
        )  # fmt: skip
        old.record_event("draft.approved", draft_id=draft_id, actor="지수", conn=conn)
    rows = all_rows(old.engine)
    old.dispose()
    return rows


def all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table as release 0.1 reads it (its columns), in key order."""
    rows = {}
    with engine.connect() as conn:
        for name in RECORD_TABLES:
            table = store_0_1.metadata.tables[name]
            query = select(table).order_by(*table.primary_key.columns)
            rows[name] = [dict(r) for r in conn.execute(query).mappings()]
    return rows


def test_a_fresh_database_is_built_by_the_revisions_as_the_store_declares(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_create_all(*args: object, **kwargs: object) -> None:
        raise AssertionError("the schema must come from the revisions, not create_all")

    monkeypatch.setattr(MetaData, "create_all", no_create_all)
    store = Store(db_url)
    assert store.migrate() == migrations.revisions()
    assert revision_of(store.engine) == [migrations.head()]
    assert store.applied_migrations() == migrations.revisions()
    assert differences(store.engine) == []
    names = set(inspect(store.engine).get_table_names())
    assert names == set(tables.metadata.tables) | {"alembic_version"}
    assert store.migrate() == []
    store.dispose()


def test_a_release_0_1_database_is_taken_over_with_every_row(db_url: str) -> None:
    before = old_database(db_url)
    assert all(before[name] for name in RECORD_TABLES)
    store = Store(db_url, clock=lambda: AT)
    assert store.migrate() == migrations.revisions()[1:]  # stamped at 0001, later ones run
    assert revision_of(store.engine) == [migrations.head()]
    assert all_rows(store.engine) == before
    assert differences(store.engine) == []
    with store.engine.connect() as conn:
        legacy = conn.execute(text("SELECT count(*) FROM migrations")).scalar_one()
    assert legacy == len(store_0_1.MIGRATIONS)  # release 0.1 can still open it
    draft = store.get_draft(before["drafts"][0]["id"])
    assert draft is not None and draft["status"] == "approved"
    assert store.create_draft(message="다음 문의") > draft["id"]
    assert store.migrate() == []
    store.dispose()


def test_an_unfinished_release_0_1_database_is_refused(db_url: str) -> None:
    old_database(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM migrations WHERE name = 'm004_events'"))
    engine.dispose()
    store = Store(db_url)
    with pytest.raises(RuntimeError, match="m004_events"):
        store.migrate()
    assert "alembic_version" not in inspect(store.engine).get_table_names()
    store.dispose()


def test_init_upgrades_an_existing_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'assistant.db'}"
    before = old_database(url)
    help_center = tmp_path / "help"
    help_center.mkdir()
    (help_center / "refunds.md").write_text(
        "---\nid: refunds\ntitle: 환불\nlang: ko\n---\n환불은 영업일 기준 3일 이내에 처리됩니다.\n",
        encoding="utf-8",
    )
    from assistant.cli import main

    args = ["init", "--data-dir", str(data), "--knowledge", str(help_center), "--no-demo"]
    with pytest.raises(SystemExit) as done:
        main([*args, "--json"])
    assert done.value.code in (0, None), capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    assert out["customers"] == 0 and out["admin"]["name"] == "admin"  # no accounts in 0.1
    engine = create_engine(url)
    assert revision_of(engine) == [migrations.head()]
    after = all_rows(engine)
    assert [e["kind"] for e in after["events"][len(before["events"]) :]] == ["user.added"]
    after["events"] = after["events"][: len(before["events"])]
    assert {k: v for k, v in after.items() if k in before} == before
    engine.dispose()


def _open_at_once(url: str, data_dir: str, barrier: Any, results: Any) -> None:
    """One process of the race below: wait for the others, then open the store."""
    from assistant.config import load_settings

    try:
        settings = load_settings(data_dir=Path(data_dir), database_url=url or None)
        barrier.wait(timeout=300)  # a loaded machine imports slowly: wait for every process
        store = Store.from_settings(settings)
        results.put(("ok", store.applied_migrations()))
        store.dispose()
    except Exception as exc:  # reported to the test, which fails on it
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def test_processes_opening_a_new_database_at_once_all_succeed(db_url: str, tmp_path: Path) -> None:
    processes = 4  # the bulk workers, the Streamlit app and the CLI
    data_dir = tmp_path / "shared-data"
    url = "" if db_url.startswith("sqlite") else db_url  # SQLite: the data dir's own file
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes)
    results = spawn.Queue()
    workers = [
        spawn.Process(target=_open_at_once, args=(url, str(data_dir), barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=400) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == [("ok", migrations.revisions())] * processes
    engine = create_engine(db_url if url else f"sqlite:///{data_dir / 'assistant.db'}")
    assert revision_of(engine) == [migrations.head()]
    engine.dispose()


def scripts_with(tmp_path: Path, name: str, body: str) -> tuple[Path, str]:
    """A copy of the package's migration scripts with one more revision after the newest: the
    folder and the new revision's id."""
    location = tmp_path / "migrations"
    shutil.copytree(
        migrations.SCRIPT_LOCATION, location, ignore=shutil.ignore_patterns("__pycache__")
    )
    newest = migrations.head()
    number = f"{int(newest) + 1:04d}"
    (location / "versions" / f"{number}_{name}.py").write_text(
        f'"""{name}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f"revision = {number!r}\ndown_revision = {newest!r}\n"
        f"branch_labels = None\ndepends_on = None\n\n\n{body}",
        encoding="utf-8",
    )
    return location, number


def test_a_failing_revision_leaves_nothing_behind(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "def upgrade():\n    op.create_table('half_done', sa.Column('id', sa.Integer()))\n"
    broken += "    raise RuntimeError('boom')\n\n\ndef downgrade():\n    pass\n"
    released = migrations.revisions()
    location, _ = scripts_with(tmp_path, "broken", broken)
    store = Store(db_url)
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", location)
    with pytest.raises(RuntimeError, match="boom"):
        store.migrate()
    assert inspect(store.engine).get_table_names() == []  # the revisions before it too
    monkeypatch.undo()
    assert store.migrate() == released
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", location)
    with pytest.raises(RuntimeError, match="boom"):
        store.migrate()
    assert store.applied_migrations() == released
    assert "half_done" not in inspect(store.engine).get_table_names()
    store.dispose()


def test_a_later_revision_can_rebuild_a_table_and_keep_every_row(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite alters a column by copying the table (Alembic's batch mode); the rows that point at
    it through ON DELETE CASCADE must survive the old table's DROP."""
    before = old_database(db_url)
    wider = (
        "def upgrade():\n    with op.batch_alter_table('customers') as batch:\n"
        "        batch.alter_column('plan', type_=sa.String(80), existing_nullable=False)\n\n\n"
        "def downgrade():\n    pass\n"
    )
    location, number = scripts_with(tmp_path, "wider_plan", wider)
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", location)
    store = Store(db_url)
    assert store.migrate() == migrations.revisions()[1:]
    assert migrations.revisions()[-1] == number
    assert all_rows(store.engine) == before
    plan = {c["name"]: c for c in inspect(store.engine).get_columns("customers")}["plan"]
    assert getattr(plan["type"], "length", None) == 80
    with store.engine.connect() as conn:
        orphans = conn.execute(text("PRAGMA foreign_key_check")) if "sqlite" in db_url else None
        assert orphans is None or orphans.first() is None
        assert conn.execute(select(func.count()).select_from(tables.notes)).scalar_one() == 1
        if "sqlite" in db_url:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    store.dispose()
