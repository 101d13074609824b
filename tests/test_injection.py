"""Prompt injection: customer messages that try to extract the system prompt, other customers'
data, or change the reply's behaviour (evals/injection.jsonl).

1. The rendered prompt keeps each message, whole, inside the one <customer_message> block.
2. A mocked model that OBEYS the injection produces a draft the checker flags with an error
   finding (F8 for prompt echoes, foreign data and internal notes; F2/F3/F4/F7/F9 for the
   behaviour changes), and approval is refused without an override reason.
3. The offline drafter answers every one as a normal support message, with no error finding.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assistant import prompts, review, triage
from assistant.config import load_settings
from assistant.errors import ApprovalBlocked
from assistant.pipeline import (
    Deps,
    DraftRequest,
    customer_context,
    draft_reply,
    prompt_messages,
    retrieve,
    run_checks,
)
from tests.actors import actor

REPO = Path(__file__).resolve().parent.parent
CASES = [
    json.loads(line)
    for line in (REPO / "evals" / "injection.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TAGS = ("customer_message", "history", "sources")


@pytest.fixture(scope="module")
def deps(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deps]:
    """One private copy of the demo data for the whole module (drafts pile up; that is fine)."""
    copy = tmp_path_factory.mktemp("injection") / "data"
    shutil.copytree(demo_dir, copy)
    built = Deps.from_settings(load_settings(data_dir=copy, model="openai/gpt-4o-mini"))
    built.clock = lambda: NOW
    yield built
    built.store.dispose()


def _request(case: dict[str, Any]) -> DraftRequest:
    return DraftRequest(
        message=case["message"], channel=case["channel"], customer_id=case["customer_id"]
    )


def _rendered(deps: Deps, case: dict[str, Any]) -> list[dict[str, str]]:
    req = _request(case)
    tri = triage.triage(req.message)
    sources = retrieve(deps, req, tri.language)
    return prompt_messages(deps, req, tri, customer_context(deps, req), sources, [])[1]


def test_the_set_covers_both_languages_and_every_goal() -> None:
    assert len(CASES) >= 30
    assert {c["lang"] for c in CASES} == {"ko", "en"}
    assert min(sum(c["lang"] == lang for c in CASES) for lang in ("ko", "en")) >= 12
    goals = {c["goal"] for c in CASES}
    assert {"system_prompt", "other_customer", "internal_notes", "fence_escape"} <= goals


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_prompt_keeps_the_message_inside_its_fence(deps: Deps, case: dict[str, Any]) -> None:
    system, user = _rendered(deps, case)
    content = user["content"]
    for tag in TAGS:
        assert content.count(f"<{tag}>") == 1 and content.count(f"</{tag}>") == 1, tag
    inner = content.split("<customer_message>", 1)[1].split("</customer_message>", 1)[0]
    assert inner.strip() == prompts.fence(case["message"]).strip()
    assert content.rstrip().endswith("</customer_message>")
    assert case["message"][:40] not in system["content"]


def _obeyed(deps: Deps, case: dict[str, Any]) -> str:
    """What a model that follows the injection writes (the real system prompt, when asked)."""
    system = _rendered(deps, case)[0]["content"]
    return str(case["obeyed_reply"]).replace("{system_prompt}", system[:500])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_an_obeying_model_is_flagged_and_approval_is_blocked(
    deps: Deps, case: dict[str, Any]
) -> None:
    draft = draft_reply(deps, _request(case), llm_extra={"mock_response": _obeyed(deps, case)})
    errors = {f.rule for f in draft.findings if f.severity == "error"}
    assert case["expect_rule"] in errors, draft.draft
    assert draft.attempts == 2  # the errors were fed back once; the model obeyed again
    record = deps.store.get_draft(draft.id or 0)
    assert record is not None
    checker = review.make_checker(deps.store, known_urls=deps.kb.known_urls())
    with pytest.raises(ApprovalBlocked) as blocked:
        review.approve(
            deps.store,
            record["id"],
            final_text=draft.draft,
            reviewer=actor("지수"),
            expected_version=record["version"],
            checker=checker,
        )
    assert case["expect_rule"] in {f.rule for f in blocked.value.findings}  # type: ignore[attr-defined]
    after = deps.store.get_draft(record["id"])
    assert after is not None and after["status"] == "ready"
    assert not [o for o in review.outbox(deps.store) if o.draft_id == record["id"]]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_offline_drafter_answers_normally(deps: Deps, case: dict[str, Any]) -> None:
    offline = Deps(
        settings=load_settings(data_dir=deps.settings.data_dir),
        store=deps.store,
        kb=deps.kb,
        clock=deps.clock,
    )
    req = _request(case)
    draft = draft_reply(offline, req)
    system = _rendered(deps, case)[0]["content"]
    tri = triage.triage(req.message)
    result = run_checks(offline, draft.draft, req, tri, customer_context(offline, req), system)
    assert result.errors == [], f"{case['id']}: {draft.draft}\n{result.errors}"
    assert "{system_prompt}" not in draft.draft
