"""Command-line start-up: wall time and peak memory of fresh ``reply-assistant`` processes.

Builds a data dir with ``init`` (the demo help center and customers), then runs each command
``--repeats`` times as a new process (``python -m assistant …``) and reports the median wall
time and the largest peak RSS (from ``wait4``, per process); ``python_only`` is the bare
interpreter, the floor on a busy machine. The first search after ``init``
finds the saved search view and the cached tokenizer tables, as every later process does.
Prints one JSON document.

    .venv/bin/python benchmarks/bench_cli.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PYTHON_ONLY = ["-c", "pass"]
"""The interpreter starting and exiting: the floor every command stands on, on this machine."""

COMMANDS = {
    "python_only": PYTHON_ONLY,
    "help": ["--help"],
    "search_ko": ["search", "비밀번호를 잊어버렸어요", "--json"],
    "search_en": ["search", "I forgot my password", "--json"],
    "draft_ko": ["draft", "--json", "--customer", "cus_ko_minji", "앱에서 결제하면 화면이 멈춰요"],
    "draft_en": ["draft", "--json", "--customer", "cus_en_oliver", "My notes stopped syncing"],
    "triage": ["triage", "--json", "I want a refund for the duplicate charge"],
}


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh process; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    command = (
        [sys.executable, *args]
        if args is PYTHON_ONLY
        else [sys.executable, "-m", "assistant", *args]
    )
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(COMMANDS), help="Commands to time.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(Path(tmp) / "data"),
            "ASSISTANT_ADMIN_PASSWORD": "bench-only-password",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "PYTHONPATH": str(REPO),
        }
        subprocess.run(
            [sys.executable, "-m", "assistant", "init", "--json"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        result: dict[str, dict[str, float]] = {}
        for name in args.only or list(COMMANDS):
            runs = [run_once(COMMANDS[name], env) for _ in range(args.repeats)]
            result[name] = {
                "wall_s_median": round(statistics.median(w for w, _ in runs), 2),
                "wall_s_min": round(min(w for w, _ in runs), 2),
                "peak_mb": round(max(m for _, m in runs), 1),
            }
    print(json.dumps({"repeats": args.repeats, "commands": result}, indent=2))


if __name__ == "__main__":
    main()
