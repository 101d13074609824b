"""Shared fixtures: every test gets its own data dir, and no test can reach the network."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakellm import FakeLLM

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
"""A PostgreSQL URL whose database the tests may empty; unset runs SQLite only."""
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in {"127.0.0.1", "::1", "localhost", "0.0.0.0"}
    return isinstance(address, (str, bytes))  # unix sockets


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_create_connection(
    address: tuple[str, int], *args: object, **kwargs: object
) -> socket.socket:
    if not _is_local(address):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_create_connection(address, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point all state at a temp dir, clear model settings, and forbid non-local sockets."""
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    for key in list(os.environ):
        if key.startswith("ASSISTANT_") and key != "ASSISTANT_DATA_DIR":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    # Streamlit's AppTest leaves the page it ran as ``__main__``; a later test that spawns
    # processes would run that page again in each child. Every test gets the main it started with.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    from assistant.config import use_brand, use_ko_register
    from assistant.resources import use_team_folders

    use_team_folders()  # no team prompts or suites left over from another test
    use_brand()  # nor another test's brand
    use_ko_register()  # nor its speech levels
    yield data
    use_team_folders()
    use_brand()
    use_ko_register()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo help center and demo customers, built once per test session."""
    from assistant.config import load_settings
    from assistant.history import load_demo_customers
    from assistant.knowledge import KnowledgeBase, default_knowledge_dir
    from assistant.store import Store

    path = tmp_path_factory.mktemp("demo") / "data"
    path.mkdir()
    settings = load_settings(data_dir=path)
    KnowledgeBase(settings).ingest([default_knowledge_dir()])
    store = Store.from_settings(settings)
    load_demo_customers(store)
    store.dispose()
    return path


@pytest.fixture
def demo_data(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo data dir for one test, set as ASSISTANT_DATA_DIR."""
    import shutil

    copy = tmp_path / "demo-data"
    shutil.copytree(demo_dir, copy)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(copy))
    return copy


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite in tmp_path; or an emptied PostgreSQL database when TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return PG_URL


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """The local fake OpenAI-compatible model (model ``openai/fake`` at ``fake.api_base``),
    with short retry pauses and a dummy API key."""
    from assistant import llm

    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with FakeLLM() as server:
        yield server
