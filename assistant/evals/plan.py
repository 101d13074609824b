"""What an ``eval`` run will do: its suites (filtered), variants and repeats, new or resumed.

A run's folder keeps ``run.json`` beside its results: the suite files, the variants, the
repeats, the filters and the state (``running``, ``budget``, ``interrupted``; removed when
the run is done), so ``--resume RUN`` can finish it: rows already answered are kept and not asked again; rows
that ended in an error are dropped and run again.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.evals.suites import Suite, Variant, available_suites, load_suite, matrix

if TYPE_CHECKING:
    from collections.abc import Iterable

    from assistant.config import Settings
    from assistant.evals import RunOptions

STATE = "run.json"


@dataclass
class Plan:
    """Suites, variants and repeats of a run, and for a resumed run its folder and done rows."""

    suites: list[Suite]
    variants: list[Variant]
    repeat: int = 1
    filters: list[str] = field(default_factory=list)
    out_dir: Path | None = None
    done: set[Any] = field(default_factory=set)
    prior: Iterable[dict[str, Any]] = ()
    ignored: list[str] = field(default_factory=list)
    """Fields of a promptfoo config that were not used (one line each)."""


def new_plan(names: list[str], prompts: list[str], models: list[str], opts: RunOptions) -> Plan:
    """Load the named suites (all when none; a promptfoo config brings its own prompts and
    providers), keep the cases ``opts.filters`` pick, and build the matrix."""
    from assistant.evals import promptfoo

    if opts.repeat < 1:
        raise InputError("must be at least 1", where="--repeat")
    suites: list[Suite] = []
    ignored: list[str] = []
    for name in names or available_suites():
        if promptfoo.is_config(name):
            imported = promptfoo.load(Path(name))
            suites.append(imported.suite)
            prompts = prompts or imported.prompts
            models = models or imported.models
            ignored += imported.ignored
        else:
            suites.append(load_suite(name))
    plan = Plan(_filtered(suites, opts.filters), matrix(prompts, models), opts.repeat)
    plan.filters, plan.ignored = list(opts.filters), ignored
    return plan


def _filtered(suites: list[Suite], filters: list[str]) -> list[Suite]:
    """Cases whose id matches a filter (a glob: ``s1-*``) or that carry it as a tag."""
    if not filters:
        return suites
    out = []
    for suite in suites:
        cases = [c for c in suite.cases if any(_picks(f, c.id, c.tags) for f in filters)]
        if cases:
            out.append(replace(suite, cases=cases))
    if not out:
        raise InputError(f"no case matches {', '.join(filters)}", where="--filter")
    return out


def _picks(pattern: str, case_id: str, tags: list[str]) -> bool:
    return fnmatch.fnmatchcase(case_id, pattern) or pattern in tags


def save_state(folder: Path, plan: Plan, opts: RunOptions) -> None:
    """Write ``run.json`` (state ``running``) before the first row."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "suites": [str(s.path.resolve()) if s.path else s.name for s in plan.suites],
        "variants": [{"prompt": v.prompt, "model": v.model} for v in plan.variants],
        "repeat": plan.repeat,
        "filters": plan.filters,
        "max_cost": opts.max_cost,
        "state": "running",
    }
    (folder / STATE).write_text(json.dumps(state, ensure_ascii=False, indent=2) + "\n", "utf-8")


def mark(folder: Path, state: str) -> None:
    """Record how the run stopped; a finished run has nothing to resume, and its folder keeps
    only its results (a committed baseline gets no machine paths)."""
    path = folder / STATE
    if state == "done":
        path.unlink(missing_ok=True)
    elif path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        data["state"] = state
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


def resume_plan(settings: Settings, opts: RunOptions) -> Plan:
    """The plan of an earlier run (``opts.resume``: its folder, or its id under the data
    dir's ``evals/``), with the rows it already answered."""
    from assistant.evals import promptfoo
    from assistant.evals.results import RowFile
    from assistant.evals.runner import done_keys

    assert opts.resume is not None
    folder = _run_folder(settings, opts.resume)
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise InputError("nothing to resume (the run finished)", where=str(folder)) from None
    suites = [
        promptfoo.load(Path(s)).suite if promptfoo.is_config(s) else load_suite(s)
        for s in state["suites"]
    ]
    variants = [Variant(v["prompt"], v["model"]) for v in state["variants"]]
    rows = RowFile(folder / "cases.jsonl")
    _drop_errors(rows)
    plan = Plan(_filtered(suites, list(state.get("filters") or [])), variants)
    plan.repeat, plan.filters = int(state.get("repeat") or 1), list(state.get("filters") or [])
    plan.out_dir, plan.done, plan.prior = folder, done_keys(rows), rows
    return plan


def _run_folder(settings: Settings, given: Path) -> Path:
    for candidate in (Path(given), settings.data_dir / "evals" / str(given)):
        if (candidate / STATE).is_file() or (candidate / "summary.json").is_file():
            return candidate
    raise InputError("no such run to resume (a results folder or a run id)", where=str(given))


def _drop_errors(rows: Any) -> None:
    """Rewrite ``cases.jsonl`` without the rows that have no answer (they are run again)."""
    from assistant.evals.results import row_line

    path: Path = rows.path
    if not path.is_file():
        return
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            if not (row.get("output") or {}).get("error"):
                fh.write(row_line(row) + "\n")
    tmp.replace(path)
