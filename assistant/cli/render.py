"""Terminal rendering for the command line (rich lives here and nowhere in the core)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from assistant.evals.suites import Run


def bulk_progress(total: int) -> AbstractContextManager[Callable[[], None]]:
    """A progress bar on stderr for a bulk run of ``total`` posts (nothing when there are none)."""
    if total <= 0:
        return nullcontext(lambda: None)
    return _BulkProgress(total)


def progress_bar(
    label: str, unit: str
) -> Callable[[int], AbstractContextManager[Callable[[], None]]]:
    """``bar(total)``: a progress bar on stderr (label, count, ``unit``/s, elapsed, ETA),
    only when stderr is a terminal."""

    def bar(total: int) -> AbstractContextManager[Callable[[], None]]:
        if total <= 0 or not sys.stderr.isatty():
            return nullcontext(lambda: None)
        return _BulkProgress(total, label, unit)

    return bar


class _BulkProgress:
    """A rich progress bar on stderr with rate and ETA."""

    def __init__(self, total: int, label: str = "Drafting", unit: str = "posts") -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self._progress: Any = None

    def __enter__(self) -> Callable[[], None]:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        task = self._progress.add_task("bulk", total=self.total, rate="")
        started = time.perf_counter()

        def advance() -> None:
            done = self._progress.tasks[0].completed + 1
            rate = done / max(time.perf_counter() - started, 1e-6)
            self._progress.update(task, advance=1, rate=f"{rate:.1f} {self.unit}/s")

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_summary(summary: dict[str, Any]) -> None:
    """The run summary as terminal tables (stdout)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=f"Bulk run: {summary.get('total', 0)} posts", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    sections = (
        ("status", "by_status"),
        ("situation", "by_situation"),
        ("platform", "by_platform"),
        ("finding", "findings_by_rule"),
    )
    for title, name in sections:
        for key, value in (summary.get(name) or {}).items():
            table.add_row(f"{title} {key}", str(value))
    console.print(table)
    for c in summary.get("clusters") or []:
        console.print(f"[bold]Systemic {c['id']}[/bold]: {escape(str(c['summary']))}")
    for issue in summary.get("issues") or []:
        console.print(f"line {issue['line']}: {issue['reason']}", markup=False, style="yellow")


def terminal_table(run: Run, comparison: dict[str, Any] | None = None, console: Any = None) -> None:
    """Print the per suite × variant summary (and the baseline comparison) with rich."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="Eval results", show_lines=False)
    for column in ("suite", "variant", "cases", "passed", "pass rate", "score", "cost $"):
        table.add_column(column, justify="right" if column not in ("suite", "variant") else "left")
    for suite, variants in run.summary.get("suites", {}).items():
        for variant, block in variants.items():
            table.add_row(
                suite,
                variant,
                str(block["cases"]),
                str(block["passed"]),
                f"{block['pass_rate']:.1%}",
                f"{block['score']:.3f}",
                f"{block['cost_usd']:.4f}",
            )
    console.print(table)
    calls, hits = run.summary.get("model_calls", 0), run.summary.get("cache_hits", 0)
    console.print(f"model calls: {calls}, answers from the cache: {hits}")
    if comparison is not None:
        _print_comparison(console, comparison)


def _print_comparison(console: Any, comparison: dict[str, Any]) -> None:
    regressed, improved = comparison["regressed"], comparison["improved"]
    console.print(
        f"against the baseline ({comparison['compared']} case rows compared): "
        f"{len(regressed)} regressed, {len(improved)} improved"
    )
    for entry in regressed[:30]:
        console.print(
            f"  [red]regressed[/red] {entry['suite']}/{entry['case']} [{entry['variant']}] "
            f"{entry['assertion']}: {entry['before']} → {entry['after']}",
            markup=True,
            highlight=False,
        )
