"""Customer histories: JSONL import (all or nothing, idempotent), records and reply context."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from assistant.errors import InputError
from assistant.history import (
    add_note,
    add_promise,
    context_for,
    get_customer,
    import_jsonl,
    list_customers,
    load_demo_customers,
    record_message,
    set_promise_status,
)
from assistant.store import Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
"""A PostgreSQL URL whose database the tests may empty; unset runs SQLite only."""


@pytest.fixture(params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on SQLite (and on PostgreSQL when TEST_POSTGRES_URL is set)."""
    url = f"sqlite:///{tmp_path / 'records.db'}"
    if request.param == "postgresql":
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    s = Store(url, clock=lambda: NOW)
    s.migrate()
    yield s
    s.dispose()


def _msg(role: str, at: str, text: str) -> dict[str, str]:
    return {"role": role, "at": at, "text": text}


def _ko_customer() -> dict[str, Any]:
    return {
        "id": "cus_ko_test",
        "name": "테스트 고객",
        "language": "ko",
        "plan": "Plus",
        "since": "2021-03-01",
        "tags": ["vip"],
        "notes": [{"text": "이메일 선호", "author": "지수"}],
        "promises": [
            {"what": "환불 결과 안내", "due": "2026-11-20", "status": "open"},
            {"what": "새 버전 출시 알림", "due": "2026-12-10", "status": "open"},
            {"what": "영수증 재발송", "due": "2026-10-01", "status": "done"},
        ],
        "conversations": [
            {
                "id": "c_ko_billing",
                "channel": "email",
                "subject": "결제 문의",
                "messages": [
                    _msg("customer", "2026-03-02T10:00:00+09:00", "결제가 두 번 청구되었어요."),
                    _msg("agent", "2026-03-02T11:00:00+09:00", "불편을 드려 죄송합니다."),
                ],
            },
            {
                "id": "c_ko_sync",
                "channel": "kakao",
                "subject": "동기화 오류",
                "messages": [
                    _msg("customer", "2026-11-10T10:00:00+09:00", "아이패드와 동기화가 안 돼요."),
                    _msg("agent", "2026-11-10T10:30:00+09:00", "확인해 보겠습니다."),
                ],
            },
            {
                "id": "c_ko_export",
                "channel": "chat",
                "subject": "내보내기",
                "messages": [
                    _msg("customer", "2026-06-01T10:00:00+09:00", "PDF로 내보내기가 안 됩니다."),
                    _msg("agent", "2026-06-01T10:10:00+09:00", "새 버전에서 고쳐졌습니다."),
                ],
            },
        ],
    }


def _en_customer() -> dict[str, Any]:
    return {
        "id": "cus_en_test",
        "name": "Test Person",
        "language": "en",
        "plan": "Free",
        "conversations": [
            {
                "id": "c_en_login",
                "subject": "Cannot log in",
                "messages": [
                    _msg("customer", "2026-05-01T10:00:00Z", "The two-factor code never arrives."),
                    _msg("agent", "2026-05-01T10:05:00Z", "Please try a recovery code."),
                ],
            },
            {
                "id": "c_en_trash",
                "subject": "Deleted notebook",
                "messages": [
                    _msg("customer", "2026-09-01T10:00:00Z", "I deleted a notebook by accident."),
                    _msg("agent", "2026-09-01T10:05:00Z", "It stays in the trash for 30 days."),
                ],
            },
        ],
    }


def _write(path: Path, rows: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func, select

    from assistant import store as t

    with store.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.customers, t.conversations, t.messages, t.notes, t.promises)
        }


def test_import_valid_file(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "histories.jsonl", [_ko_customer(), "", _en_customer()])
    report = import_jsonl(store, path)
    assert (report.customers, report.created, report.conversations) == (2, 2, 5)
    customer = get_customer(store, "cus_ko_test")
    assert customer is not None
    assert customer.since == date(2021, 3, 1)
    assert customer.notes[0].text == "이메일 선호"
    assert [c.id for c in customer.conversations][0] == "c_ko_sync"
    assert customer.conversations[0].messages[0].text == "아이패드와 동기화가 안 돼요."
    assert {c.id for c in list_customers(store)} == {"cus_ko_test", "cus_en_test"}


def test_reimport_is_idempotent(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "histories.jsonl", [_ko_customer(), _en_customer()])
    import_jsonl(store, path)
    before = _counts(store)
    changed = _ko_customer()
    changed["plan"] = "Team"
    changed["promises"][0]["status"] = "done"
    report = import_jsonl(store, _write(tmp_path / "again.jsonl", [changed, _en_customer()]))
    assert (report.created, report.updated) == (0, 2)
    assert _counts(store) == before
    customer = get_customer(store, "cus_ko_test")
    assert customer is not None and customer.plan == "Team"
    assert [p.status for p in customer.promises if p.what == "환불 결과 안내"] == ["done"]


def test_malformed_json_line_names_the_line(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "histories.jsonl", [_ko_customer(), '{"id": "cus_x", "name": '])
    with pytest.raises(InputError) as err:
        import_jsonl(store, path)
    assert str(err.value).startswith(f"{path}:2: not valid JSON")
    assert _counts(store)["customers"] == 0


def test_bad_field_names_line_and_field_and_imports_nothing(store: Store, tmp_path: Path) -> None:
    bad = _en_customer()
    bad["id"] = "cus_en_other"
    bad["promises"] = [{"what": "Call back", "due": "next tuesday"}]
    path = _write(tmp_path / "histories.jsonl", [_ko_customer(), _en_customer(), "", bad])
    with pytest.raises(InputError) as err:
        import_jsonl(store, path)
    assert str(err.value) == f"{path}:4: field 'promises.0.due': invalid date"
    assert err.value.where == f"{path}:4"
    assert all(n == 0 for n in _counts(store).values())


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"id": "cus_a"}, "field 'name': required"),
        ({"id": "cus_a", "name": "A", "language": "fr"}, "field 'language'"),
        ([1, 2], "one JSON object"),
        (
            {
                "id": "cus_a",
                "name": "A",
                "conversations": [{"id": "c", "messages": [{"text": "x"}]}],
            },
            "field 'conversations.0.messages.0.role': required",
        ),
    ],
)
def test_invalid_customers_are_rejected_with_the_field(
    store: Store, tmp_path: Path, row: Any, expected: str
) -> None:
    path = _write(tmp_path / "h.jsonl", [row])
    with pytest.raises(InputError, match=expected):
        import_jsonl(store, path)


def test_duplicate_customer_in_one_file_is_an_error(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "h.jsonl", [_en_customer(), _en_customer()])
    with pytest.raises(InputError, match=r"h.jsonl:2: customer 'cus_en_test' already on line 1"):
        import_jsonl(store, path)


def test_missing_file_is_an_input_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        import_jsonl(store, tmp_path / "nope.jsonl")


@pytest.fixture
def imported(store: Store, tmp_path: Path) -> Store:
    import_jsonl(store, _write(tmp_path / "h.jsonl", [_ko_customer(), _en_customer()]))
    return store


def test_context_recent_newest_first_and_overdue_promises(imported: Store) -> None:
    ctx = context_for(imported, "cus_ko_test", "안녕하세요", now=NOW)
    assert [c.id for c in ctx.recent] == ["c_ko_sync", "c_ko_export", "c_ko_billing"]
    assert [p.what for p in ctx.open_promises] == ["환불 결과 안내", "새 버전 출시 알림"]
    assert [p.what for p in ctx.overdue_promises] == ["환불 결과 안내"]
    later = context_for(
        imported, "cus_ko_test", "안녕하세요", now=datetime(2026, 12, 11, tzinfo=UTC)
    )
    assert len(later.overdue_promises) == 2


@pytest.mark.parametrize(
    ("customer_id", "message", "expected"),
    [
        ("cus_ko_test", "이번 달에도 결제가 중복으로 청구됐어요", "c_ko_billing"),
        ("cus_ko_test", "노트를 PDF로 내보내려고 하는데 오류가 나요", "c_ko_export"),
        ("cus_en_test", "My notebook was deleted, is it in the trash?", "c_en_trash"),
        ("cus_en_test", "I'm not getting the two-factor code to log in", "c_en_login"),
        ("cus_en_test", "로그인할 때 인증 코드가 안 와요", "c_en_login"),
    ],
)
def test_context_finds_the_related_conversation(
    imported: Store, customer_id: str, message: str, expected: str
) -> None:
    ctx = context_for(imported, customer_id, message, now=NOW)
    assert ctx.related, message
    assert ctx.related[0].id == expected


def test_unrelated_message_finds_no_related_conversation(imported: Store) -> None:
    ctx = context_for(imported, "cus_en_test", "Do you have a desktop app for Linux?", now=NOW)
    assert ctx.related == []


def test_context_for_unknown_customer(imported: Store) -> None:
    with pytest.raises(InputError) as err:
        context_for(imported, "cus_nobody", "hi")
    assert err.value.where == "customer"
    assert "cus_nobody" in str(err.value)


def test_sentiment_trend_uses_the_given_scorer(imported: Store) -> None:
    def scorer(text: str) -> float:
        return -0.5 if "두 번" in text else 0.25

    ctx = context_for(imported, "cus_ko_test", "hi", now=NOW, sentiment_fn=scorer)
    assert ctx.sentiment_trend == [("2026-03-02", -0.5), ("2026-06-01", 0.25), ("2026-11-10", 0.25)]


def test_record_message_opens_and_continues_conversations(imported: Store) -> None:
    conv_id = record_message(
        imported, "cus_en_test", None, "customer", "Export to Markdown lost images", "email"
    )
    again = record_message(imported, "cus_en_test", conv_id, "agent", "Sorry about that!", "email")
    assert again == conv_id
    customer = get_customer(imported, "cus_en_test")
    assert customer is not None
    newest = customer.conversations[0]
    assert newest.id == conv_id and newest.status == "open"
    assert [m.role for m in newest.messages] == ["customer", "agent"]
    ctx = context_for(imported, "cus_en_test", "Export to Markdown lost images", now=NOW)
    assert conv_id not in [c.id for c in ctx.related]  # the message being answered is not history
    with pytest.raises(InputError, match="belongs to another customer"):
        record_message(imported, "cus_ko_test", conv_id, "customer", "hi", "email")


def test_notes_and_promises(imported: Store) -> None:
    add_note(imported, "cus_en_test", "Prefers chat", author="Dana")
    promise = add_promise(imported, "cus_en_test", "Call back about SSO", date(2026, 11, 20))
    ctx = context_for(imported, "cus_en_test", "hi", now=NOW)
    assert [p.what for p in ctx.overdue_promises] == ["Call back about SSO"]
    assert promise.id is not None
    set_promise_status(imported, promise.id, "done", author="Dana")
    ctx = context_for(imported, "cus_en_test", "hi", now=NOW)
    assert ctx.overdue_promises == [] and ctx.open_promises == []
    assert ctx.customer.notes[-1].text == "Prefers chat"
    kinds = [e["kind"] for e in imported.list_events()]
    assert {"note_added", "promise_added", "promise_status"} <= set(kinds)
    with pytest.raises(InputError):
        set_promise_status(imported, promise.id, "finished")
    with pytest.raises(InputError, match="customer"):
        add_note(imported, "cus_nobody", "x")


def test_demo_customers_load_in_both_languages(store: Store) -> None:
    assert load_demo_customers(store) >= 12
    assert load_demo_customers(store) >= 12  # idempotent
    customers = list_customers(store)
    assert len(customers) >= 12
    assert sum(c.language == "ko" for c in customers) >= 6
    assert sum(c.language == "en" for c in customers) >= 6
    assert len({c.plan for c in customers}) == 3
    overdue = [
        cid
        for cid in (c.id for c in customers)
        if context_for(store, cid, "hi", now=NOW).overdue_promises
    ]
    assert len(overdue) >= 3
    minji = context_for(store, "cus_ko_minji", "결제가 또 두 번 청구됐어요", now=NOW)
    assert minji.related[0].id == "conv_minji_billing_0311"
