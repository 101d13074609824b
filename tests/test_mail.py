"""The support mailbox read from a real Dovecot on 127.0.0.1, fed by IMAP APPEND: Korean and
English mail (UTF-8, ISO-2022-KR, quoted-printable, HTML only, a reply in a thread, an
oversized attachment, a malformed header) becomes conversations once each, the reply joins its
thread, auto-replies, bounces and list mail are skipped, and a sync killed half-way then run
again ends with the same conversations as one that ran through."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from assistant import history
from assistant import store as tables
from assistant.channels import mail
from assistant.config import load_settings
from assistant.pipeline import Deps
from assistant.store import Store
from tests import mailmessages as mm
from tests.mailservers import PASSWORD, Dovecot, dovecot_missing

ROOT = Path(__file__).resolve().parents[1]
MISSING = dovecot_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with Dovecot() as server:
        server.append(*mm.all_messages())
        yield server


def _env(server: Dovecot, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(data), ASSISTANT_IMAP_URL=server.url,
        ASSISTANT_IMAP_PASSWORD=PASSWORD, ASSISTANT_SUPPORT_ADDRESS=mm.SUPPORT,
        PYTHONPATH=str(ROOT), LITELLM_LOCAL_MODEL_COST_MAP="True",
    )  # fmt: skip
    return env


def _sync(server: Dovecot, data: Path) -> mail.SyncResult:
    settings = load_settings(
        data_dir=data, imap_url=server.url, imap_password=PASSWORD, support_address=mm.SUPPORT
    )
    store = Store.from_settings(settings)
    box = mail.Mailbox(settings)
    try:
        return mail.sync(store, settings, box)
    finally:
        box.close()
        store.dispose()


def _open(data: Path) -> Store:
    return Store.from_settings(load_settings(data_dir=data))


def conversations(data: Path) -> dict[tuple[str, str], list[str]]:
    """(customer's e-mail, subject) -> the customer's messages, for every mail conversation."""
    store = _open(data)
    c, cv, m = tables.customers, tables.conversations, tables.messages
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.email, cv.c.subject, m.c.text)
            .join(cv, cv.c.customer_id == c.c.id)
            .join(m, m.c.conversation_id == cv.c.id)
            .where(cv.c.id.like("mail_%"))
            .order_by(m.c.id)
        ).all()
    store.dispose()
    out: dict[tuple[str, str], list[str]] = {}
    for email, subject, text in rows:
        out.setdefault((email, subject), []).append(text)
    return out


@pytest.fixture(scope="module")
def synced(dovecot: Dovecot, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("mail") / "data"
    shutil.copytree(demo_dir, data)
    first = _sync(dovecot, data)
    assert not first.errors, first.errors
    assert len(first.imported) == 7 and len(first.skipped) == 3
    return data


def test_each_message_becomes_one_conversation_message_and_the_reply_joins_its_thread(
    synced: Path,
) -> None:
    found = conversations(synced)
    assert found[("minji.kim@example.com", "결제 오류 문의")] == [
        "앱에서 결제하면 화면이 멈춰요. 어떻게 해야 하나요?",
        "영수증도 다시 받을 수 있을까요?",
    ], "the reply joins its thread; the signature and the quoted mail are cut"
    assert found[("seojun@example.kr", "환불 문의")] == ["환불은 언제 되나요? 지난주에 해지했어요."]
    dana = found[("dana@example.com", "Charged twice")]
    assert dana[0].startswith("Hello, I was charged twice") and "wrote:" not in dana[0]
    assert "Thanks for writing" not in dana[0], "quoted history is cut"
    html = found[("seoyeon@example.com", "비밀번호 재설정")][0]
    assert "비밀번호를 재설정할 수 없어요." in html and "& 스팸함도" in html
    assert "alert" not in html and "color" not in html and "이전 메일" not in html
    big = found[("chris@example.com", "App crashes on upload")][0]
    assert "Recording attached." in big and "screen-recording.mp4" in big
    assert len(big) < 500, "the attachment is listed by name, not stored"
    broken = next(v for (email, _), v in found.items() if email == "hong@example.com")
    assert broken == ["쿠폰이 적용되지 않아요. 확인 부탁드립니다."]
    assert len(found) == 6 and sum(len(v) for v in found.values()) == 7


def test_customers_are_found_by_address_or_created_from_the_from_name(synced: Path) -> None:
    store = _open(synced)
    people = {c.name: c for c in history.list_customers(store)}
    assert "박서준" in people and "Dana Park" in people and "홍길동" in people
    c = tables.customers
    with store.engine.connect() as conn:
        minji = conn.execute(
            select(func.count()).where(c.c.email == "minji.kim@example.com")
        ).scalar()
    assert minji == 1, "MinJi.Kim@Example.com is the demo customer, not a new one"
    store.dispose()


def test_automated_mail_is_recorded_and_never_drafted(synced: Path) -> None:
    store = _open(synced)
    i = tables.inbound
    with store.engine.connect() as conn:
        rows = conn.execute(select(i.c.status, i.c.reason).where(i.c.source == "mail")).all()
    skipped = sorted(r.reason for r in rows if r.status == "skipped")
    assert len(rows) == 10 and len(skipped) == 3
    assert any("Auto-Submitted" in r for r in skipped)
    assert any("bounce" in r for r in skipped)
    assert any("Precedence" in r or "List-Id" in r for r in skipped)
    kinds = [e["kind"] for e in store.list_events()]
    assert kinds.count("inbound.skipped") == 3
    store.dispose()


def test_a_rerun_imports_nothing_and_new_mail_is_picked_up(dovecot: Dovecot, synced: Path) -> None:
    before = conversations(synced)
    again = _sync(dovecot, synced)
    assert again.imported == [] and again.skipped == [] and conversations(synced) == before
    dovecot.append(mm.follow_up())
    later = _sync(dovecot, synced)
    assert len(later.imported) == 1
    dana = conversations(synced)[("dana@example.com", "Charged twice")]
    assert dana[-1] == "Any update on the refund?"


def test_a_sync_killed_half_way_then_rerun_ends_with_the_same_conversations(
    dovecot: Dovecot, synced: Path, demo_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    # The process dies right after its fourth message was recorded, before the mailbox's
    # cursor moved past it: the worst moment for "once".
    crash = (
        "import os, sys\n"
        "from assistant.channels import mail\n"
        "real, n = mail.record, [0]\n"
        "def record(*a, **k):\n"
        "    real(*a, **k); n[0] += 1\n"
        "    if n[0] == 4: os._exit(137)\n"
        "mail.record = record\n"
        "from assistant.cli import main\n"
        "main(['mail', 'sync', '--no-draft'])\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", crash], env=_env(dovecot, data), cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == 137, killed.stderr
    half = conversations(data)
    assert 0 < sum(len(v) for v in half.values()) < 7
    rerun = subprocess.run(
        [sys.executable, "-m", "assistant", "mail", "sync", "--no-draft", "--json"],
        env=_env(dovecot, data), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    expected = conversations(synced)
    assert conversations(data) == expected
    store = _open(data)
    i = tables.inbound
    with store.engine.connect() as conn:
        keys = conn.execute(select(i.c.key).where(i.c.source == "mail")).scalars().all()
    store.dispose()
    assert len(keys) == len(set(keys)) == 11, "every message once, none skipped"


def test_mail_sync_drafts_what_came_in_and_the_inbox_shows_it(
    dovecot: Dovecot, demo_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    settings = load_settings(
        data_dir=data, imap_url=dovecot.url, imap_password=PASSWORD, support_address=mm.SUPPORT
    )
    deps = Deps.from_settings(settings)
    from assistant.cli.mail import _draft_all

    box = mail.Mailbox(settings)
    try:
        mail.sync(deps.store, settings, box, limit=2)
    finally:
        box.close()
    assert _draft_all(deps) == 2
    from assistant.review.inbox import inbox

    items = {
        i.subject: i for i in inbox(deps.store) if (i.conversation_id or "").startswith("mail_")
    }
    minji = items["결제 오류 문의"]
    assert minji.draft_id is not None and minji.channel == "email"
    draft: dict[str, Any] | None = deps.store.get_draft(minji.draft_id)
    assert draft is not None and draft["language"] == "ko" and draft["sources"]
    assert items["환불 문의"].draft_id is not None
    events = [e["kind"] for e in deps.store.list_events(draft_id=minji.draft_id)]
    assert "draft.note_posted" not in events, "a mailbox has no notes"
    deps.store.dispose()


def test_watch_picks_up_new_mail_as_it_arrives(
    dovecot: Dovecot, demo_dir: Path, tmp_path: Path
) -> None:
    import json
    import queue
    import signal
    import threading

    data = tmp_path / "data"
    env = _env(dovecot, data)
    shutil.copytree(demo_dir, data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "mail", "sync", "--watch", "--interval", "60",
         "--no-draft", "--json"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []], daemon=True).start()
    try:
        first = json.loads(lines.get(timeout=180))
        assert first["imported"] >= 7 and first["errors"] == []
        dovecot.append(mm.new_customer())
        second = json.loads(lines.get(timeout=45))  # IDLE wakes it long before --interval
        assert second["imported"] == 1 and second["last_uid"] > first["last_uid"]
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"Ctrl-C did not stop mail sync --watch: {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
    assert proc.returncode == 130, proc.stderr.read()  # type: ignore[union-attr]
    assert ("tom@example.com", "Export to PDF") in conversations(data)
