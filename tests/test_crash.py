"""Crash safety of ingest: a process killed with SIGKILL in the middle of writing a document
leaves an index that the next ingest repairs: every document whole, none twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.config import load_settings
from assistant.knowledge import KnowledgeBase
from assistant.knowledge.files import add_chunks, collect_files, parse_file

REPO = Path(__file__).resolve().parent.parent

# Writes one chunk per call and hangs (waiting for the kill) after ``stop_after`` calls.
INGEST_AND_HANG = """
import sys, time
from pathlib import Path
import assistant.knowledge as knowledge
from assistant.config import load_settings

data, folder, marker, stop_after = sys.argv[1:5]
knowledge._BATCH = 1
kb = knowledge.KnowledgeBase(load_settings(data_dir=Path(data)))
collection = kb._open(create=True)
real_add, calls = collection.add, [0]

def add(**kwargs):
    real_add(**kwargs)
    calls[0] += 1
    if calls[0] == int(stop_after):
        Path(marker).write_text("ready")
        time.sleep(600)

collection.add = add
kb.ingest([Path(folder)])
"""


def _expected_chunks(folder: Path) -> dict[str, int]:
    out = {}
    for file, root in collect_files([folder]):
        doc = add_chunks(parse_file(file, root, chunk=False))
        out[doc.doc_id] = len(doc.chunks)
    return out


def _stored_chunks(kb: KnowledgeBase) -> tuple[dict[str, int], list[str]]:
    got = kb._open(create=False).get(include=["metadatas"])
    counts: dict[str, int] = {}
    for meta in got["metadatas"] or []:
        counts[str(meta["doc_id"])] = counts.get(str(meta["doc_id"]), 0) + 1
    return counts, list(got["ids"])


def test_kill_9_mid_document_then_rerun_repairs_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(REPO / "knowledge" / "ko", folder / "ko")
    expected = _expected_chunks(folder)
    first_doc_chunks = expected[sorted(expected)[0]]
    stop_after = first_doc_chunks + 2  # one whole document, then part of the next
    data, marker = tmp_path / "data", tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            INGEST_AND_HANG,
            str(data),
            str(folder),
            str(marker),
            str(stop_after),
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the ingest never got going"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    kb = KnowledgeBase(load_settings(data_dir=data))
    partial, _ = _stored_chunks(kb)
    assert sum(partial.values()) == stop_after  # the kill landed mid-document
    assert any(partial[d] < expected[d] for d in partial)

    report = KnowledgeBase(load_settings(data_dir=data)).ingest([folder])
    assert report.added + report.updated + report.unchanged == len(expected)
    assert report.updated >= 1  # the half-written document was replaced, not kept

    again = KnowledgeBase(load_settings(data_dir=data))
    counts, ids = _stored_chunks(again)
    assert counts == expected
    assert len(ids) == len(set(ids))
    assert again.search("비밀번호를 잊어버렸어요", k=1)[0].doc_id == "ko/password-reset"
    rerun = KnowledgeBase(load_settings(data_dir=data)).ingest([folder])
    assert rerun.unchanged == len(expected)
