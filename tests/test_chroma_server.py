"""The help center on a real Chroma server (``chroma run`` from the installed chromadb):
with ASSISTANT_CHROMA_URL set, the same ingest and search commands use it, nothing is kept
in the local data dir, and a second machine (another data dir) sees the same index."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMA = Path(sys.executable).parent / "chroma"
ARTICLES = ["ko/app-freeze.md", "ko/cancel-subscription.md", "en/attachments.md", "en/refunds.md"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server on 127.0.0.1 for this module, stopped afterwards."""
    if not CHROMA.exists():
        pytest.fail(f"{CHROMA} is missing: chromadb should install its server")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(path / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("chroma run did not come up: " + (path / "server.log").read_text())
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kb")
    for rel in ARTICLES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "knowledge" / rel, folder / rel)
    return folder


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    from assistant.cli import main

    with pytest.raises(SystemExit) as code:
        main([*args, "--json"])
    out = capsys.readouterr().out
    assert code.value.code == 0, out
    return dict(json.loads(out))


def test_ingest_and_search_go_through_the_server(
    chroma_url: str,
    knowledge: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_url)
    first = tmp_path / "machine-a"
    report = _cli(["ingest", str(knowledge), "--data-dir", str(first)], capsys)
    assert report["added"] == len(ARTICLES)
    assert not (first / "chroma").exists()
    again = _cli(["ingest", str(knowledge), "--data-dir", str(first)], capsys)
    assert again["unchanged"] == len(ARTICLES) and again["added"] == 0

    second = tmp_path / "machine-b"
    second.mkdir()
    found = _cli(
        ["search", "앱이 실행하자마자 꺼져요", "-k", "2", "--data-dir", str(second)], capsys
    )
    results = found["results"]
    assert isinstance(results, list) and results[0]["doc_id"] == "ko/app-freeze"
    found = _cli(["search", "how large can a PDF attachment be", "--data-dir", str(second)], capsys)
    assert found["results"][0]["doc_id"] == "en/attachments"  # type: ignore[index]


def test_a_server_that_is_down_is_a_clear_error(
    knowledge: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(SystemExit) as code:
        main(["ingest", str(knowledge), "--data-dir", str(tmp_path / "d")])
    err = capsys.readouterr().err.strip()
    assert code.value.code == 2, err
    assert len(err.splitlines()) == 1 and "chroma" in err.lower()
