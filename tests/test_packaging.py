"""The wheel carries what the assistant needs: every prompt template, the demo help center, the
eval suites and labelled sets, the templates inside the package (the eval report), the schema's
migration scripts, and the code finds them inside the installed package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
               ".assistant-data", ".hypothesis", "artifacts")  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # A copy without the checkout's build/ and *.egg-info/: setuptools reuses what an earlier
    # build left there, which would hide a file that the package data no longer declares.
    source = tmp_path_factory.mktemp("source") / "reply-assistant"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(source)],
        check=True, env={**os.environ, "TMPDIR": str(build)}, capture_output=True,
    )  # fmt: skip
    (found,) = out.glob("reply_assistant-*.whl")
    return found


def _sources() -> list[str]:
    """Every file of the source folders that the package must carry."""
    wanted = [*REPO.glob("prompts/**/*.j2"), *REPO.glob("knowledge/**/*.md")]
    wanted += [*REPO.glob("evals/*.jsonl"), *REPO.glob("evals/suites/*.yaml")]
    wanted += [*REPO.glob("evals/results/baseline/*")]
    return sorted(str(p.relative_to(REPO)) for p in wanted)


def _migration_scripts() -> list[str]:
    """Alembic's environment, its template and every revision of the schema."""
    folder = REPO / "assistant" / "migrations"
    wanted = [folder / "env.py", folder / "script.py.mako", *folder.glob("versions/*.py")]
    return sorted(str(p.relative_to(REPO)) for p in wanted)


def test_every_template_article_and_suite_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = _sources()
    assert len([s for s in sources if s.endswith(".j2")]) >= 3
    missing = [s for s in sources if f"assistant/shipped/{s}" not in names]
    assert missing == []
    assert "assistant/data/demo_customers.jsonl" in names
    package_files = [*REPO.glob("assistant/**/*.j2"), *REPO.glob("assistant/data/*")]
    assert "assistant/evals/report.html.j2" in {str(p.relative_to(REPO)) for p in package_files}
    assert [str(p.relative_to(REPO)) for p in package_files
            if str(p.relative_to(REPO)) not in names] == []  # fmt: skip
    scripts = _migration_scripts()
    assert "assistant/migrations/versions/0001_initial.py" in scripts
    assert [s for s in scripts if s not in names] == []
    assert not [n for n in names if n.startswith("assistant/shipped/evals/results/") and
                "/baseline/" not in n]  # fmt: skip


def test_the_unpacked_wheel_finds_its_files_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import json; from assistant import prompts, resources, evals, store;"
        "from assistant.evals import report; from assistant.evals.suites import Run;"
        "print(json.dumps({'prompts': str(resources.shipped('prompts')),"
        "'templates': [t.ref for t in prompts.all_templates()],"
        "'suites': evals.available_suites(),"
        "'knowledge': len(list(resources.shipped('knowledge').rglob('*.md'))),"
        "'report': report.html_report(Run({}, [], {'suites': {}})),"
        "'migrated': store.Store('sqlite:///w.db').migrate()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["prompts"].startswith(str(site))
    shipped = sorted(f"{p.parent.name}@{p.name.split('.')[0]}" for p in REPO.glob("prompts/*/*.j2"))
    assert sorted(seen["templates"]) == shipped
    assert set(seen["suites"]) == {p.stem for p in REPO.glob("evals/suites/*.yaml")}
    assert seen["knowledge"] == len(list(REPO.glob("knowledge/**/*.md")))
    assert seen["report"].startswith("<!doctype html>") and "<h1>Eval report</h1>" in seen["report"]
    revisions = sorted(
        p.name.split("_")[0] for p in REPO.glob("assistant/migrations/versions/*.py")
    )
    assert seen["migrated"] == revisions and revisions[0] == "0001"
