"""``python -m assistant.migrations COMMAND``: Alembic's command line on the records database of
the current settings (``$ASSISTANT_DATA_DIR`` or the database URL setting), for writing and
reading revisions: ``revision --autogenerate -m "bulk runs"``, ``current``, ``history``, ``check``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic.config import CommandLine

from assistant import migrations
from assistant.config import load_settings
from assistant.store import make_engine, make_folder


def main(argv: Sequence[str] | None = None) -> None:
    """Parse Alembic's arguments and run the command in one migration transaction."""
    cli = CommandLine(prog="python -m assistant.migrations")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    url = load_settings().db_url
    make_folder(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn, migrations.session(conn) as cfg:
            cfg.cmd_opts = options
            cli.run_cmd(cfg, options)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
