"""Customers' personal data: erasure on request (``customers forget``), retention
(``maintenance``) and consistent backups of a running data dir (``backup`` / ``restore``)."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import accounts, history, privacy, review
from assistant.config import load_settings
from assistant.errors import InputError, PermissionDenied
from assistant.llm.mock import ResponseCache
from assistant.models import CheckResult
from assistant.pipeline import Deps, DraftRequest, draft_reply
from assistant.store import Store
from tests.actors import actor

CUSTOMER = "cus_ko_minji"
ADMIN_PASSWORD = "admin-password-1"
LEAD_PASSWORD = "lead-password-12"


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: Path,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    from assistant.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as done:
        main([*args, "--data-dir", str(data)])
    got = capsys.readouterr()
    return int(done.value.code or 0), got.out, got.err


def _traces(customer: history.Customer, extra: list[str]) -> list[str]:
    texts = [customer.name, customer.email or "", *extra]
    texts += [m.text for conv in customer.conversations for m in conv.messages]
    texts += [n.text for n in customer.notes] + [p.what for p in customer.promises]
    return [t for t in texts if len(t) >= 8 or t in (customer.name, customer.email)]


def _files_holding(root: Path, texts: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        hits = [t for t in texts if t.encode("utf-8") in blob]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def test_customers_forget_leaves_no_trace_in_any_file_of_the_data_dir(
    demo_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(data_dir=demo_data)
    deps = Deps.from_settings(settings)
    person = history.get_customer(deps.store, CUSTOMER)
    assert person is not None and person.email
    message = "앱에서 결제하면 화면이 멈춰요. 결제 내역 확인 부탁드립니다"
    draft = draft_reply(deps, DraftRequest(message=message, customer_id=CUSTOMER))
    assert draft.id is not None and person.name in draft.draft
    row = deps.store.get_draft(draft.id)
    assert row is not None
    decision = review.approve(
        deps.store,
        draft.id,
        final_text=draft.draft + "\n추가 안내드립니다.",
        reviewer=actor("서지우"),
        expected_version=row["version"],
    )
    accounts.add_user(deps.store, "root", "admin", ADMIN_PASSWORD)
    # a model answer cached for evals, and a bulk output line naming the customer
    cache = ResponseCache(demo_data / "eval-cache.sqlite")
    cache.put("k1", "offline", draft.draft, {})
    cache.put("k2", "offline", "an unrelated answer", {})
    (demo_data / "bulk").mkdir()
    (demo_data / "bulk" / "posts.jsonl").write_text(
        json.dumps({"key": "p1", "customer": CUSTOMER, "text": person.name}, ensure_ascii=False)
        + "\n"
        + json.dumps({"key": "p2", "text": "다른 게시물"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    texts = _traces(person, [message, draft.draft])
    deps.store.dispose()
    assert _files_holding(demo_data, texts), "the probe finds the customer before forgetting"
    app = sqlite3.connect(demo_data / "assistant.db")  # the running app's idle connection
    app.execute("SELECT count(*) FROM drafts").fetchone()

    code, out, err = _cli(
        monkeypatch,
        capsys,
        demo_data,
        *("customers", "forget", CUSTOMER, "--as", "root", "--json"),
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == 0, err
    removed = json.loads(out)["removed"]
    assert removed["customers"] == 1 and removed["messages"] >= 3
    assert removed["drafts"] == 1 and removed["decisions"] == 1 and removed["outbox"] == 1
    assert removed["cache_entries"] == 1 and removed["file_lines"] == 1
    assert removed["still_found"] == []

    assert _files_holding(demo_data, texts) == {}  # the database and its -wal included
    app.close()
    assert _files_holding(demo_data, texts) == {}
    assert (demo_data / "bulk" / "posts.jsonl").read_text(encoding="utf-8").count("\n") == 1

    store = Store.from_settings(settings)
    assert history.get_customer(store, CUSTOMER) is None
    assert history.get_customer(store, "cus_ko_junho") is not None  # others untouched
    kept = store.get_draft(draft.id)
    assert kept is not None and kept["status"] == "approved" and kept["customer_id"] is None
    assert kept["message"] == "" and kept["output"] == "" and kept["created_at"]
    assert [f["rule"] for f in kept["findings"]] == [f.rule for f in draft.findings]
    stats = review.analytics(store)
    assert stats["drafts"] == 1 and stats["edit_distance"]["mean"] == decision.edit_distance
    [event] = store.list_events(kind="customer.forgotten")
    assert event["actor"] == "root" and event["payload"]["via"] == "cli"
    assert event["payload"]["customers"] == 1 and event["payload"]["drafts"] == 1
    blob = json.dumps(event["payload"], ensure_ascii=False)
    assert CUSTOMER not in blob and person.name not in blob and person.email not in blob
    store.dispose()


def test_only_an_admin_may_forget_a_customer(
    demo_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(data_dir=demo_data)
    store = Store.from_settings(settings)
    accounts.add_user(store, "lead1", "lead", LEAD_PASSWORD)
    with pytest.raises(PermissionDenied):
        privacy.forget_customer(store, CUSTOMER, actor("lead1", role="lead"))
    store.dispose()
    code, out, err = _cli(
        monkeypatch,
        capsys,
        demo_data,
        *("customers", "forget", CUSTOMER, "--as", "lead1"),
        stdin=LEAD_PASSWORD + "\n",
    )
    assert code == 2 and "admin" in err and out == ""
    code, _, err = _cli(
        monkeypatch,
        capsys,
        demo_data,
        *("customers", "forget", CUSTOMER, "--as", "lead1"),
        stdin="wrong password\n",
    )
    assert code == 2 and "password" in err
    store = Store.from_settings(settings)
    assert history.get_customer(store, CUSTOMER) is not None
    assert store.list_events(kind="customer.forgotten") == []
    with pytest.raises(InputError):
        privacy.forget_customer(store, "cus_nobody", actor("root", role="admin"))
    store.dispose()


NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _conversation(cid: str, status: str, days_ago: int, text: str) -> dict[str, object]:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {
        "id": cid,
        "channel": "email",
        "subject": text[:20],
        "status": status,
        "messages": [{"role": "customer", "text": text, "at": at}],
    }


def test_retention_purges_only_old_closed_conversations(tmp_path: Path) -> None:
    customer = {
        "id": "cus_keep",
        "name": "홍길동",
        "email": "gildong@mailbox.example",
        "language": "ko",
        "notes": [{"text": "VIP 고객", "author": "지수"}],
        "conversations": [
            _conversation("old_solved", "solved", 400, "작년 환불 요청 계좌 110-482-559013"),
            _conversation("old_open", "open", 400, "아직 열린 오래된 문의입니다"),
            _conversation("old_waiting", "solved", 400, "답장을 기다리는 오래된 문의"),
            _conversation("recent", "solved", 10, "최근에 해결된 동기화 문의"),
        ],
    }
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(customer, ensure_ascii=False) + "\n", encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'r.db'}", clock=lambda: NOW)
    store.migrate()
    history.import_jsonl(store, path)
    old = NOW - timedelta(days=400)
    decided = store.create_draft(
        customer_id="cus_keep",
        conversation_id="old_solved",
        message="작년 환불 요청 계좌 110-482-559013",
        output="환불해 드렸습니다",
        status="approved",
    )
    store.create_draft(
        customer_id="cus_keep", conversation_id="old_waiting", message="답장을", status="ready"
    )
    assert privacy.purge_expired(store, None).conversations == 0

    report = privacy.purge_expired(store, 365, now=NOW)
    assert report.conversations == 1 and report.messages == 1 and report.drafts == 1
    person = history.get_customer(store, "cus_keep")
    assert person is not None and person.name == "홍길동" and person.notes
    texts = {c.id: [m.text for m in c.messages] for c in person.conversations}
    assert texts["old_solved"] == []
    assert texts["old_open"] and texts["old_waiting"] and texts["recent"]
    gone = store.get_draft(decided)
    assert gone is not None and gone["message"] == "" and gone["status"] == "approved"
    assert [
        e["payload"]["conversations"] for e in store.list_events(kind="records.retention_purged")
    ] == [1]
    assert old < NOW
    store.dispose()
    with sqlite3.connect(tmp_path / "r.db") as db:
        db.execute("VACUUM")
    assert b"110-482-559013" not in (tmp_path / "r.db").read_bytes()


def _passes(text: str, draft: dict[str, object]) -> CheckResult:
    return CheckResult()


def test_backup_while_drafts_are_approved_restores_a_working_data_dir(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(data_dir=demo_data)
    store = Store.from_settings(settings)
    lead = actor("서지우")
    ids = [
        store.create_draft(message=f"문의 {i}", output=f"답변 {i}", status="ready")
        for i in range(400)
    ]

    def approve(draft_id: int) -> None:
        row = store.get_draft(draft_id)
        assert row is not None
        review.approve(
            store,
            draft_id,
            final_text=f"답변 {draft_id}",
            reviewer=lead,
            expected_version=row["version"],
            checker=_passes,
        )

    for draft_id in ids[:20]:
        approve(draft_id)
    stop = threading.Event()
    started = threading.Event()
    errors: list[BaseException] = []

    def keep_approving() -> None:
        try:
            for draft_id in ids[20:]:
                if stop.is_set():
                    return
                approve(draft_id)
                started.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=keep_approving)
    worker.start()
    assert started.wait(30)
    before = {d["id"] for d in store.list_drafts(status="approved", limit=1000)}
    try:
        report = privacy.backup(settings, tmp_path / "backup")
    finally:
        stop.set()
        worker.join(60)
    assert not errors and report.not_copied == []
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    paths = {f["path"] for f in manifest["files"]}
    assert "assistant.db" in paths and "chroma/chroma.sqlite3" in paths
    assert manifest["revision"] and manifest["created_at"]

    target = tmp_path / "restored"
    privacy.restore(tmp_path / "backup", target)
    with pytest.raises(InputError, match="not empty"):
        privacy.restore(tmp_path / "backup", target)
    privacy.restore(tmp_path / "backup", target, force=True)

    from assistant.knowledge import KnowledgeBase

    restored = load_settings(data_dir=target)
    copy = Store.from_settings(restored)
    approved = {d["id"] for d in copy.list_drafts(status="approved", limit=1000)}
    assert before <= approved and len(before) >= 21
    queued = {o.draft_id for o in review.outbox(copy, limit=1000)}
    assert before <= queued
    assert history.get_customer(copy, CUSTOMER) is not None
    assert KnowledgeBase(restored).search("환불", k=3)
    copy.dispose()
    store.dispose()


def test_backup_says_what_it_cannot_copy(
    demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        data_dir=demo_data,
        database_url="postgresql+psycopg://u@db.invalid/x",
        chroma_url="http://127.0.0.1:9",
    )
    report = privacy.backup(settings, tmp_path / "b")
    said = " ".join(report.not_copied)
    assert "pg_dump" in said and "Chroma server" in said
    paths = {f["path"] for f in report.manifest["files"]}
    assert "chroma/chroma.sqlite3" not in paths
    with pytest.raises(InputError, match="not empty"):
        privacy.backup(load_settings(data_dir=demo_data), tmp_path / "b")
