"""The ``llm_judge`` assertion's model call: any litellm model, cached like draft answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.evals.assertions import Assertion
    from assistant.evals.suites import Stats
    from assistant.llm.mock import ResponseCache

Judge = Callable[[str, str, "Assertion"], tuple[float, str]]


def make_judge(settings: Settings, cache: ResponseCache, stats: Stats, language: str) -> Judge:
    """A judge function for one case: ``judge(reply, rubric, assertion) -> (score, reason)``.

    The assertion names the model (``model:``); ``mock_response:`` answers through litellm's
    mock instead of calling it (tests). The rubric is sent as written, so write it in the
    case's language; the instructions around it follow ``language``.
    """

    def judge(text: str, rubric: str, assertion: Assertion) -> tuple[float, str]:
        from assistant import llm
        from assistant.evals.assertions import judge_messages, parse_judgement

        model = assertion.options.get("model")
        if not model:
            raise InputError("llm_judge needs 'model' (a litellm model string)", where="llm_judge")
        messages = judge_messages(text, rubric, language)
        extra: dict[str, Any] = {}
        if "mock_response" in assertion.options:
            extra["mock_response"] = str(assertion.options["mock_response"])
        key = cache.key(str(model), messages, {"temperature": 0.0, **extra})
        hit = cache.get(key)
        if hit is not None:
            stats.cache_hits += 1
            return parse_judgement(hit[0])
        own = settings.model_copy(update={"model": str(model), "temperature": 0.0})
        gen = llm.complete(messages, own, **extra)
        stats.model_calls += 1
        cache.put(key, str(model), gen.text, gen.model_dump(exclude={"text"}))
        return parse_judgement(gen.text)

    return judge
