"""Retrieval quality on a labelled set: hit@1, hit@k and MRR, overall and per category, and
the language of the links a draft would carry.

Cases are JSON lines ``{"id", "query", "lang", "expected": [doc_id, ...]}``; ``lang`` is the
reply's language (the customer's), which may differ from the query's. A case is in category
``cross`` when none of its expected documents is in that language, else in that language
(``ko`` or ``en``). The language is passed to the search as the preferred language, as the
drafting pipeline does. ``links`` counts the cases whose links (the top k as
:meth:`KnowledgeBase.in_language` keeps them for a reply) are all in the reply language, overall
and where the expected article exists in that language (target: all of those).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.evals.labelled import read_cases

if TYPE_CHECKING:
    from assistant.knowledge import KnowledgeBase

_FIELDS = ("id", "query", "lang", "expected")


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The labelled queries of ``path``; a malformed line is an :class:`InputError` naming it."""

    def expected_list(case: dict[str, Any]) -> str | None:
        ok = isinstance(case.get("expected"), list) and case["expected"]
        return None if ok else "missing or empty field 'expected'"

    return read_cases(path, _FIELDS, expected_list)


def _category(case: dict[str, Any], doc_langs: dict[str, str]) -> str:
    langs = {doc_langs.get(d, d.split("/")[0]) for d in case["expected"]}
    return case["lang"] if case["lang"] in langs else "cross"


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(results)
    if not n:
        return {"n": 0, "hit@1": 0.0, "hit@k": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "hit@1": round(sum(r["rank"] == 1 for r in results) / n, 4),
        "hit@k": round(sum(r["rank"] is not None for r in results) / n, 4),
        "mrr": round(sum(1 / r["rank"] for r in results if r["rank"]) / n, 4),
    }


def _link_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The share of cases whose links are all in the reply language, overall and where the
    expected article exists in that language (its category is not ``cross``)."""

    def share(rows: list[dict[str, Any]]) -> float | None:
        return round(sum(r["links_in_language"] for r in rows) / len(rows), 4) if rows else None

    translated = [r for r in results if r["category"] != "cross"]
    return {
        "n": len(results),
        "all_in_reply_language": share(results),
        "n_translated": len(translated),
        "all_in_reply_language_where_translated": share(translated),
    }


def evaluate_retrieval(kb: KnowledgeBase, cases_path: Path, k: int = 3) -> dict[str, Any]:
    """Search every case and score it: ``{"k", "overall", "by_category", "links", "cases"}``.

    ``overall`` and each category hold ``n``, ``hit@1``, ``hit@k`` (also under ``hit@3`` when
    k is 3) and ``mrr`` (reciprocal rank of the first expected document within the top k).
    """
    doc_langs = {d["doc_id"]: d["lang"] for d in kb.documents()}
    results = []
    for case in load_cases(cases_path):
        hits = kb.search(case["query"], k=k, lang=case["lang"])
        found = [h.doc_id for h in hits]
        rank = next((i for i, d in enumerate(found, 1) if d in case["expected"]), None)
        links = kb.in_language(hits, case["lang"])
        results.append(
            {
                "id": case["id"],
                "query": case["query"],
                "category": _category(case, doc_langs),
                "expected": case["expected"],
                "found": found,
                "rank": rank,
                "links": [h.doc_id for h in links],
                "links_in_language": all(h.lang == case["lang"] for h in links),
            }
        )
    categories = sorted({r["category"] for r in results})
    report: dict[str, Any] = {
        "k": k,
        "overall": _summary(results),
        "by_category": {
            c: _summary([r for r in results if r["category"] == c]) for c in categories
        },
        "links": _link_summary(results),
        "cases": results,
    }
    for block in [report["overall"], *report["by_category"].values()]:
        block[f"hit@{k}"] = block["hit@k"]
    return report
