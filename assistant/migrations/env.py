"""Alembic's environment for the records database. :mod:`assistant.migrations` runs it on the
connection it passes in ``config.attributes``, inside its own transaction; there is no URL here
and no offline (``--sql``) mode."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from assistant import migrations
from assistant.store import UTCDateTime, metadata

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Revisions spell a UTC timestamp as what it stores, ``sa.DateTime(timezone=True)``, so a
    released revision never depends on today's store module."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def number_revision(ctx: MigrationContext, revision: Any, directives: list[Any]) -> None:
    """A new revision is numbered after the newest (0001, 0002, ...) unless ``--rev-id`` names
    it; an autogenerate that found no change writes no file."""
    script = directives[0]
    opts = config.cmd_opts
    if getattr(opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        config.print_stdout("The database matches assistant.store: no revision written.")
        return
    heads = ScriptDirectory.from_config(config).get_heads()
    if not getattr(opts, "rev_id", None) and all(h.isdigit() for h in heads):
        script.rev_id = f"{max((int(h) for h in heads), default=0) + 1:04d}"


def run() -> None:
    """Run the revisions (or autogenerate's comparison) on the connection given."""
    connection = config.attributes.get("connection")
    if context.is_offline_mode() or connection is None:
        raise RuntimeError("run revisions through assistant.migrations, on an open connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=migrations.include_object,
        render_item=render_item,
        render_as_batch=True,  # SQLite alters a table by rebuilding it; batch ops do that
        process_revision_directives=number_revision,
        on_version_apply=migrations.record_applied,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
