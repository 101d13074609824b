"""The ``llm_judge`` assertion's model call: any litellm model, cached like draft answers.

The prompt is ``prompts/rubric_judge/`` (the rubric and the reply in fenced blocks); the call
goes through :func:`assistant.llm.complete_json` and the answer is parsed as
:class:`Judgement`. ``mock/<name>`` judges answer deterministically from the rendered prompt
(:func:`assistant.llm.mock.mock_judgement`). A failed call or a malformed answer scores 0,
with the one-line error as the reason, and is not cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from assistant.errors import InputError, ModelError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.evals.assertions import Assertion
    from assistant.evals.suites import Stats
    from assistant.llm.mock import ResponseCache

Judge = Callable[[str, str, "Assertion"], tuple[float, str]]
TEMPLATE = "rubric_judge"


class Judgement(BaseModel):
    """What the judge prompt asks the model for."""

    score: float
    reason: str = ""

    def verdict(self) -> tuple[float, str]:
        """``(score, reason)``: the score clamped to [0, 1], the reason to 300 characters."""
        return min(1.0, max(0.0, self.score)), self.reason[:300]


def judge_messages(
    text: str, rubric: str, language: str, version: str | None = None
) -> list[dict[str, str]]:
    """The judge prompt: the rubric as given and the reply, fenced as data; a JSON answer asked
    for in Korean or English (the latest template version unless ``version``)."""
    from assistant import prompts

    version = version or prompts.latest(TEMPLATE)
    return prompts.render(TEMPLATE, version, language=language, rubric=rubric, reply=text)


def make_judge(settings: Settings, cache: ResponseCache, stats: Stats, language: str) -> Judge:
    """A judge function for one case: ``judge(reply, rubric, assertion) -> (score, reason)``.

    The assertion names the model (``model:``) and may name the template version
    (``prompt: rubric_judge@v1``); ``mock_response:`` answers through litellm's mock instead
    of calling it (tests). The rubric is sent as written, so write it in the case's language;
    the instructions around it follow ``language``.
    """

    def judge(text: str, rubric: str, assertion: Assertion) -> tuple[float, str]:
        from assistant import llm
        from assistant.llm.mock import is_mock, litellm_model, mock_judgement

        model = str(assertion.options.get("model") or "")
        if not model:
            raise InputError("llm_judge needs 'model' (a litellm model string)", where="llm_judge")
        messages = judge_messages(text, rubric, language, _version(assertion))
        extra: dict[str, Any] = {}
        if "mock_response" in assertion.options:
            extra["mock_response"] = str(assertion.options["mock_response"])
        elif is_mock(model):
            extra["mock_response"] = mock_judgement(messages)
        key = cache.key(model, messages, {"temperature": 0.0, **extra})
        hit = cache.get(key)
        if hit is not None:
            try:
                found = Judgement.model_validate_json(hit[0])
                stats.cache_hits += 1
                return found.verdict()
            except ValidationError:
                pass  # an answer cached before answers were parsed: ask again
        own = llm.with_model(settings, litellm_model(model), temperature=0.0)
        try:
            answer = llm.complete_json(messages, own, Judgement, **extra)
        except ModelError as exc:
            return 0.0, f"judge failed: {exc}"
        stats.model_calls += 1
        cache.put(key, model, answer.model_dump_json(), {})
        return answer.verdict()

    return judge


def _version(assertion: Assertion) -> str | None:
    """The template version an assertion names (``prompt: rubric_judge@v1``), if any."""
    from assistant import prompts

    ref = assertion.options.get("prompt")
    if not ref:
        return None
    name, version = prompts.parse_ref(str(ref))
    if name != TEMPLATE:
        raise InputError(f"llm_judge uses {TEMPLATE} templates, not {name!r}", where="llm_judge")
    return version
