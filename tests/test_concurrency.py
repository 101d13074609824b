"""Two agents deciding the same draft at once, and an approval that fails half-way, on SQLite
and (with TEST_POSTGRES_URL, as .ci/run sets it) on a real PostgreSQL server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from assistant import history, review
from assistant import store as tables
from assistant.errors import ConflictError
from assistant.models import CheckResult, Customer
from assistant.store import Store
from tests.actors import actor

PG_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
REPLY = (
    "정현우 고객님, 안녕하세요. 하루노트 고객지원팀 서지우입니다. 환불 문의 주셔서 감사합니다. "
    "불편을 드려 죄송합니다. https://help.harunotes.example/ko/articles/refunds 를 참고해 주시고, "
    "영업일 기준 2일 이내에 다시 연락드리겠습니다."
)


def no_findings(text_: str, draft: dict[str, object]) -> CheckResult:
    return CheckResult()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
    else:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    s = Store(url)
    s.migrate()
    path = tmp_path / "customers.jsonl"
    path.write_text(Customer(id="cus_1", name="정현우").model_dump_json() + "\n", encoding="utf-8")
    history.import_jsonl(s, path, actor="test")
    yield s
    s.dispose()


def _draft(s: Store) -> int:
    return s.create_draft(
        status="ready",
        customer_id="cus_1",
        channel="email",
        message="환불 언제 되나요?",
        language="ko",
        situations=["S2"],
        output=REPLY,
        model="offline",
        prompt_version="offline_reply@v1",
        findings=[],
    )


def _count(s: Store, table: object, draft_id: int) -> int:
    with s.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.draft_id == draft_id)  # type: ignore[attr-defined]
            ).scalar_one()
        )


def _race(s: Store, draft_id: int, agents: int) -> list[object]:
    seen = s.get_draft(draft_id)
    assert seen is not None
    barrier = threading.Barrier(agents)
    outcomes: list[object] = []

    def agent(n: int) -> None:
        barrier.wait()
        try:
            if n % 2:
                review.reject(
                    s,
                    draft_id,
                    reviewer=actor(f"agent{n}"),
                    reason="다시",
                    expected_version=seen["version"],
                )
                outcomes.append("rejected")
                return
            outcomes.append(
                review.approve(
                    s,
                    draft_id,
                    final_text=f"{REPLY}\n\n(agent{n})",
                    reviewer=actor(f"agent{n}"),
                    expected_version=seen["version"],
                    checker=no_findings,
                )
            )
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("agents", [2, 4])
def test_exactly_one_agent_wins_each_race(store: Store, agents: int) -> None:
    for _ in range(5):
        draft_id = _draft(store)
        outcomes = _race(store, draft_id, agents)
        winners = [o for o in outcomes if not isinstance(o, ConflictError)]
        assert len(outcomes) == agents and len(winners) == 1, outcomes
        final = store.get_draft(draft_id)
        assert final is not None and final["status"] in {"approved", "rejected"}
        assert final["version"] == 2
        decided = _count(store, tables.decisions, draft_id)
        queued = _count(store, tables.outbox, draft_id)
        assert decided == 1 and queued == (1 if final["status"] == "approved" else 0)


def test_an_approval_that_fails_inside_its_transaction_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = _draft(store)
    before = store.get_draft(draft_id)
    assert before is not None

    def broken_queue(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while queueing")

    monkeypatch.setattr(review, "_queue", broken_queue)
    with pytest.raises(RuntimeError, match="disk full"):
        review.approve(
            store,
            draft_id,
            final_text=REPLY,
            reviewer=actor("지수"),
            expected_version=before["version"],
            checker=no_findings,
        )
    after = store.get_draft(draft_id)
    assert after == before
    assert _count(store, tables.decisions, draft_id) == 0
    assert _count(store, tables.outbox, draft_id) == 0
    assert store.list_events(draft_id=draft_id, kind="draft.approved") == []
    monkeypatch.undo()
    decision = review.approve(
        store,
        draft_id,
        final_text=REPLY,
        reviewer=actor("지수"),
        expected_version=before["version"],
        checker=no_findings,
    )
    assert decision.action == "approved" and _count(store, tables.outbox, draft_id) == 1
