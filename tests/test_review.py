"""Review: approve (as is, edited, blocked, overridden), reject, stale drafts, conflicts, outbox."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant import history, review
from assistant.errors import ApprovalBlocked, ConflictError, InputError, StaleDraftError
from assistant.models import CheckResult, Customer, Finding
from assistant.store import Store
from tests.actors import actor

REPLY_KO = (
    "정현우 고객님, 안녕하세요. 하루노트 고객지원팀 서지우입니다.\n\n"
    "환불이 아직 처리되지 않았다고 알려주신 내용 잘 확인했습니다. 불편을 드려 정말 죄송합니다. "
    "기다려 주셔서 감사합니다. 환불은 정책에 따라 결제 담당 팀이 검토해 드리며, 환불을 원하시는 "
    "이유를 알려주시면 더 알맞은 방법도 함께 찾아드리겠습니다.\n\n"
    "환불 정책: https://help.harunotes.example/ko/articles/refunds\n\n"
    "담당 팀에 확인하여 영업일 기준 2일 이내에 다시 연락드리겠습니다.\n\n감사합니다."
)
OVERPROMISE = "반드시 내일까지 해결됩니다."


class Clock:
    """A store clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def no_findings(text: str, draft: dict[str, object]) -> CheckResult:
    return CheckResult()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def store(tmp_path: Path, clock: Clock) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'review.db'}", clock=clock)
    s.migrate()
    history.import_jsonl(s, _customer_file(tmp_path), actor="test")
    return s


def _customer_file(tmp_path: Path) -> Path:
    customer = Customer(id="cus_1", name="정현우", language="ko", plan="Plus")
    path = tmp_path / "customers.jsonl"
    path.write_text(customer.model_dump_json() + "\n", encoding="utf-8")
    return path


def make_draft(store: Store, output: str = REPLY_KO, **fields: object) -> int:
    values: dict[str, object] = dict(
        status="ready",
        customer_id="cus_1",
        channel="chat",
        message="환불 아직도 안 됐어요. 언제 되나요?",
        language="ko",
        situations=["S2"],
        output=output,
        model="offline",
        prompt_version="offline_reply@v1",
        findings=[],
    )
    values.update(fields)
    return store.create_draft(**values)


def version(store: Store, draft_id: int) -> int:
    draft = store.get_draft(draft_id)
    assert draft is not None
    return int(draft["version"])


def test_approve_as_is_queues_the_reply_and_records_the_decision(
    store: Store, clock: Clock
) -> None:
    draft_id = make_draft(store)
    clock.advance(42)
    decision = review.approve(
        store,
        draft_id,
        final_text=REPLY_KO,
        reviewer=actor("지수"),
        expected_version=version(store, draft_id),
        checker=no_findings,
    )
    assert decision.action == "approved"
    assert decision.edit_distance == 0
    assert decision.seconds_to_decide == pytest.approx(42)
    assert decision.reviewer == "지수"
    draft = store.get_draft(draft_id)
    assert draft is not None and draft["status"] == "approved"
    [item] = review.outbox(store)
    assert (item.draft_id, item.decision_id, item.status) == (draft_id, decision.id, "queued")
    assert item.text == REPLY_KO and item.reviewer == "지수"
    [event] = store.list_events(draft_id=draft_id, kind="draft.approved")
    assert event["actor"] == "지수" and event["payload"]["decision_id"] == decision.id


def test_edited_approval_measures_the_edit(store: Store) -> None:
    draft_id = make_draft(store)
    edited = REPLY_KO.replace("정말 죄송합니다", "죄송합니다")
    decision = review.approve(
        store,
        draft_id,
        final_text=edited,
        reviewer=actor("지수"),
        expected_version=version(store, draft_id),
        checker=no_findings,
    )
    assert decision.action == "edited_approved"
    assert decision.edit_distance == 3  # "정말 " removed
    assert review.outbox(store)[0].text == edited


def test_reject_needs_a_reason(store: Store) -> None:
    draft_id = make_draft(store)
    with pytest.raises(InputError, match="reason"):
        review.reject(
            store,
            draft_id,
            reviewer=actor("지수"),
            reason="  ",
            expected_version=version(store, draft_id),
        )
    assert store.get_draft(draft_id)["status"] == "ready"  # type: ignore[index]
    decision = review.reject(
        store,
        draft_id,
        reviewer=actor("지수"),
        reason="고객이 요청한 내용과 다른 답변",
        expected_version=version(store, draft_id),
    )
    assert decision.action == "rejected" and decision.reason == "고객이 요청한 내용과 다른 답변"
    assert store.get_draft(draft_id)["status"] == "rejected"  # type: ignore[index]
    assert review.outbox(store) == []


def test_error_findings_block_approval_until_fixed(store: Store) -> None:
    draft_id = make_draft(store)
    bad = REPLY_KO.replace(
        "담당 팀에 확인하여 영업일 기준 2일 이내에 다시 연락드리겠습니다.", OVERPROMISE
    )
    with pytest.raises(ApprovalBlocked, match="F2") as blocked:
        review.approve(
            store,
            draft_id,
            final_text=bad,
            reviewer=actor("지수"),
            expected_version=version(store, draft_id),
        )
    assert any(f.rule == "F2" and f.quote and "반드시" in f.quote for f in blocked.value.findings)
    assert store.get_draft(draft_id)["status"] == "ready"  # type: ignore[index]
    assert review.outbox(store) == []
    decision = review.approve(
        store,
        draft_id,
        final_text=REPLY_KO,
        reviewer=actor("지수"),
        expected_version=version(store, draft_id),
    )
    assert decision.action == "approved"


def test_override_reason_lets_an_error_through_and_is_recorded(store: Store) -> None:
    draft_id = make_draft(store)

    def f2(text: str, draft: dict[str, object]) -> CheckResult:
        return CheckResult(
            findings=[Finding(rule="F2", severity="error", message="overpromise", fix="soften")]
        )

    decision = review.approve(
        store,
        draft_id,
        final_text=REPLY_KO + "\n" + OVERPROMISE,
        reviewer=actor("지수"),
        expected_version=version(store, draft_id),
        checker=f2,
        override_reason="팀장 승인: 내일 배포가 확정됨",
    )
    assert decision.override_reason == "팀장 승인: 내일 배포가 확정됨"
    assert [f.rule for f in decision.findings] == ["F2"]
    event = store.list_events(draft_id=draft_id, kind="draft.approved")[0]
    assert event["payload"]["override_reason"] == "팀장 승인: 내일 배포가 확정됨"
    assert review.analytics(store)["overrides"] == 1


def test_a_newer_customer_message_makes_the_draft_stale(store: Store, clock: Clock) -> None:
    conv = history.record_message(store, "cus_1", None, "customer", "환불 언제 되나요?", "chat")
    clock.advance(5)
    draft_id = make_draft(store, conversation_id=conv)
    clock.advance(60)
    history.record_message(store, "cus_1", conv, "customer", "아 그리고 영수증도 주세요", "chat")
    assert review.is_stale(store, draft_id)
    with pytest.raises(StaleDraftError, match="wrote again"):
        review.approve(
            store,
            draft_id,
            final_text=REPLY_KO,
            reviewer=actor("지수"),
            expected_version=version(store, draft_id),
            checker=no_findings,
        )
    decision = review.approve(
        store,
        draft_id,
        final_text=REPLY_KO,
        reviewer=actor("지수"),
        expected_version=version(store, draft_id),
        checker=no_findings,
        confirm_stale=True,
    )
    assert decision.action == "approved"


def test_mark_stale_for_conversation_marks_only_older_open_drafts(
    store: Store, clock: Clock
) -> None:
    conv = history.record_message(store, "cus_1", None, "customer", "환불 언제 되나요?", "chat")
    old = make_draft(store, conversation_id=conv)
    done = make_draft(store, conversation_id=conv)
    review.reject(
        store, done, reviewer=actor("지수"), reason="중복", expected_version=version(store, done)
    )
    clock.advance(30)
    assert review.mark_stale_for_conversation(store, conv) == [old]
    assert store.get_draft(old)["status"] == "stale"  # type: ignore[index]
    with pytest.raises(StaleDraftError):
        review.approve(
            store,
            old,
            final_text=REPLY_KO,
            reviewer=actor("지수"),
            expected_version=version(store, old),
            checker=no_findings,
        )


def test_two_agents_approving_at_once_one_wins_one_gets_a_conflict(store: Store) -> None:
    draft_id = make_draft(store)
    seen = version(store, draft_id)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def agent(name: str) -> None:
        barrier.wait()
        try:
            outcomes.append(
                review.approve(
                    store,
                    draft_id,
                    final_text=f"{REPLY_KO}\n({name})",
                    reviewer=actor(name),
                    expected_version=seen,
                    checker=no_findings,
                )
            )
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=agent, args=(n,)) for n in ("지수", "현정")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    decisions = [o for o in outcomes if isinstance(o, review.Decision)]
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(decisions) == 1 and len(conflicts) == 1
    assert "changed meanwhile" in str(conflicts[0])
    [item] = review.outbox(store)
    assert item.reviewer == decisions[0].reviewer


def test_a_stale_version_is_a_conflict(store: Store) -> None:
    draft_id = make_draft(store)
    seen = version(store, draft_id)
    store.update_draft(draft_id, output=REPLY_KO + " ")  # someone regenerated meanwhile
    with pytest.raises(ConflictError, match="reload"):
        review.approve(
            store,
            draft_id,
            final_text=REPLY_KO,
            reviewer=actor("지수"),
            expected_version=seen,
            checker=no_findings,
        )


def _approve_two(store: Store) -> list[review.Decision]:
    out = []
    for text in (REPLY_KO, 'Hi Priya, "thanks", for waiting,\nwe will reply by Friday.'):
        draft_id = make_draft(store, output=text)
        out.append(
            review.approve(
                store,
                draft_id,
                final_text=text,
                reviewer=actor("Jiwoo"),
                expected_version=version(store, draft_id),
                checker=no_findings,
            )
        )
    return out


def test_outbox_exports_csv_and_jsonl_with_text_intact(store: Store) -> None:
    first, second = _approve_two(store)
    sent = review.mark_sent(store, first.id, actor="Jiwoo")
    assert sent.status == "sent" and sent.sent_at is not None
    rows = list(csv.DictReader(io.StringIO(review.export_outbox(store, "csv"))))
    assert [r["decision_id"] for r in rows] == [str(second.id), str(first.id)]
    assert rows[0]["text"] == 'Hi Priya, "thanks", for waiting,\nwe will reply by Friday.'
    assert rows[1]["status"] == "sent" and rows[1]["text"] == REPLY_KO
    lines = review.export_outbox(store, "jsonl").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [second.final_text, REPLY_KO]
    with pytest.raises(InputError, match="format"):
        review.export_outbox(store, "xml")
    with pytest.raises(ConflictError):
        review.mark_sent(store, first.id)


def test_analytics_counts_acceptance_edits_time_and_findings(store: Store, clock: Clock) -> None:
    findings = [{"rule": "F2", "severity": "error"}, {"rule": "R5", "severity": "warning"}]
    a = make_draft(store, findings=findings)
    b = make_draft(store, findings=[{"rule": "R5", "severity": "warning"}])
    c = make_draft(store, prompt_version="draft_reply@v2", model="openai/gpt-4o-mini")
    clock.advance(10)
    review.approve(
        store, a, final_text=REPLY_KO, reviewer=actor("x"), expected_version=1, checker=no_findings
    )
    clock.advance(20)
    review.approve(
        store,
        b,
        final_text=REPLY_KO[:-4],
        reviewer=actor("x"),
        expected_version=1,
        checker=no_findings,
    )
    review.reject(store, c, reviewer=actor("x"), reason="wrong article", expected_version=1)
    stats = review.analytics(store)
    assert (stats["approved_as_is"], stats["edited"], stats["rejected"]) == (1, 1, 1)
    assert stats["acceptance_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert stats["edit_distance"] == {"mean": 2.0, "median": 2.0}  # 0 and 4 characters
    assert stats["seconds_to_approve"] == {"mean": 20.0, "median": 20.0}  # 10 s and 30 s
    assert stats["findings_by_rule"] == {"F2": 1, "R5": 2}
    assert stats["reject_reasons"] == {"wrong article": 1}
    groups = {(g["prompt_version"], g["model"]): g for g in stats["by_prompt_version"]}
    assert groups[("offline_reply@v1", "offline")]["acceptance_rate"] == 1.0
    assert groups[("draft_reply@v2", "openai/gpt-4o-mini")]["rate_rejected"] == 1.0
