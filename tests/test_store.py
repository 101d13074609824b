"""The records store: migrations (more in test_migrations.py), the draft lifecycle, optimistic
locking and the audit trail."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from assistant import store as store_module
from assistant.config import load_settings
from assistant.errors import ConflictError
from assistant.migrations import revisions
from assistant.store import StaleVersionError, Store

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
"""A PostgreSQL URL whose database the tests may empty; unset runs SQLite only."""
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.migrate()
    yield s
    s.dispose()


def test_migrations_apply_once_and_are_recorded(db_url: str) -> None:
    first = Store(db_url)
    assert first.migrate() == revisions()
    first.dispose()
    reopened = Store(db_url)
    assert reopened.migrate() == []
    assert reopened.applied_migrations() == revisions()
    tables = set(inspect(reopened.engine).get_table_names())
    reopened.dispose()
    assert {
        "alembic_version",
        "customers",
        "conversations",
        "messages",
        "notes",
        "promises",
        "drafts",
        "decisions",
        "outbox",
        "events",
    } <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path / 'records.db'}").migrate()
    db = sqlite3.connect(tmp_path / "records.db")
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_from_settings_creates_the_data_dir_and_migrates(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "nested" / "data")
    s = Store.from_settings(settings)
    assert (tmp_path / "nested" / "data" / "assistant.db").is_file()
    assert s.applied_migrations() == revisions()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        with store.transaction() as conn:
            conn.execute(
                store_module.notes.insert().values(
                    customer_id="nobody", text="x", author="", created_at=store.now()
                )
            )


def test_draft_lifecycle_bumps_version_and_updated_at(db_url: str) -> None:
    ticks = iter(datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(seconds=i) for i in range(9))
    s = Store(db_url, clock=lambda: next(ticks))
    s.migrate()
    draft_id = s.create_draft(
        message="결제가 두 번 되었어요", channel="kakao", customer_id="cus_ko_minji"
    )
    pending = s.get_draft(draft_id)
    assert pending is not None
    assert (pending["status"], pending["version"]) == ("pending", 1)
    assert pending["created_at"].tzinfo is not None

    s.update_draft(
        draft_id,
        status="ready",
        output="김민지 고객님, 안녕하세요.",
        findings=[{"rule": "R2", "severity": "error"}],
        sources=[{"doc_id": "billing/double-charge", "score": 0.8}],
        latency_ms=12.5,
    )
    ready = s.get_draft(draft_id)
    assert ready is not None
    assert (ready["status"], ready["version"]) == ("ready", 2)
    assert ready["updated_at"] > pending["updated_at"]
    assert ready["created_at"] == pending["created_at"]
    assert ready["findings"] == [{"rule": "R2", "severity": "error"}]
    assert ready["output"] == "김민지 고객님, 안녕하세요."


def test_optimistic_locking_rejects_a_stale_writer(store: Store) -> None:
    draft_id = store.create_draft(message="hi")
    store.update_draft(draft_id, expected_version=1, status="ready")
    with pytest.raises(StaleVersionError) as err:
        store.update_draft(draft_id, expected_version=1, status="approved")
    assert err.value.found == 2 and err.value.draft_id == draft_id
    assert isinstance(err.value, ConflictError)  # what review and the UI catch
    draft = store.get_draft(draft_id)
    assert draft is not None and draft["status"] == "ready"


def test_update_draft_refuses_unknown_ids_fields_and_statuses(store: Store) -> None:
    draft_id = store.create_draft(message="hi")
    with pytest.raises(KeyError):
        store.update_draft(draft_id + 100, status="ready")
    with pytest.raises(TypeError, match="colour"):
        store.update_draft(draft_id, colour="red")
    with pytest.raises(ValueError, match="shipped"):
        store.update_draft(draft_id, status="shipped")
    assert store.get_draft(draft_id + 100) is None


def test_list_drafts_filters_and_orders_newest_first(store: Store) -> None:
    a = store.create_draft(message="a", customer_id="cus_en_sarah")
    b = store.create_draft(message="b", customer_id="cus_en_tom")
    c = store.create_draft(message="c", customer_id="cus_en_sarah")
    store.update_draft(b, status="failed", error="model timed out")
    assert [d["id"] for d in store.list_drafts()] == [c, b, a]
    assert [d["id"] for d in store.list_drafts(customer_id="cus_en_sarah")] == [c, a]
    assert [d["id"] for d in store.list_drafts(status="failed")] == [b]
    assert [d["id"] for d in store.list_drafts(limit=1)] == [c]


def test_events_are_appended_in_order(store: Store) -> None:
    draft_id = store.create_draft(message="hi")
    store.record_event("draft.failed", draft_id=draft_id, actor="pipeline")
    store.record_event("draft.stale", draft_id=draft_id, payload={"findings": 0, "note": "한글"})
    store.record_event("customers_imported", actor="cli", payload={"customers": 3})
    with pytest.raises(ValueError, match="undeclared event kind"):
        store.record_event("draft_created", draft_id=draft_id)
    for_draft = store.list_events(draft_id=draft_id)
    assert [e["kind"] for e in for_draft] == ["draft.failed", "draft.stale"]
    assert for_draft[1]["payload"] == {"findings": 0, "note": "한글"}
    assert for_draft[0]["actor"] == "pipeline"
    assert [e["kind"] for e in store.list_events(kind="customers_imported")] == [
        "customers_imported"
    ]


def test_timestamps_come_back_in_utc(db_url: str) -> None:
    kst = datetime(2026, 11, 24, 3, 0, tzinfo=timezone(timedelta(hours=9)))
    s = Store(db_url, clock=lambda: kst)
    s.migrate()
    draft = s.get_draft(s.create_draft(message="x"))
    assert draft is not None
    assert draft["created_at"] == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert draft["created_at"].utcoffset() == timedelta(0)


def test_switching_a_new_file_to_wal_waits_out_a_locked_file() -> None:
    """Processes opening a new file at once can deadlock on the switch; SQLite answers at once."""

    class Cursor:
        calls = 0

        def execute(self, sql: str) -> None:
            self.calls += 1
            if self.calls < 3:
                raise sqlite3.OperationalError("database is locked")

    cursor = Cursor()
    store_module._switch_to_wal(cursor)
    assert cursor.calls == 3
    with pytest.raises(sqlite3.OperationalError):
        store_module._switch_to_wal(Cursor(), wait_s=0)
