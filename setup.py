"""Build step: the wheel carries the top-level ``prompts/``, ``knowledge/`` and ``evals/``
folders as ``assistant/shipped/``. They stay where they are in the source tree (the only copy
anyone edits); the build copies them, so nothing can drift. Editable installs read them in
place (see ``assistant/resources.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = {
    "prompts": ("*.j2",),
    "knowledge": ("*.md", "*.txt", "*.html"),
    "evals": ("*.yaml", "*.yml", "*.jsonl", "*.json", "*.txt"),
}
"""Each shipped folder and the files of it the package needs."""


def _shipped(rel: Path) -> bool:
    """Eval runs made in a checkout stay out of the wheel; the committed baseline goes in."""
    return rel.parts[:1] != ("results",) or rel.parts[:2] == ("results", "baseline")


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped folders into the built package."""

    def run(self) -> None:
        editable = getattr(self, "editable_mode", False)
        if not editable:  # modules moved or removed since an earlier build must not ship
            shutil.rmtree(Path(self.build_lib) / "assistant", ignore_errors=True)
        super().run()
        if editable:
            return
        target = Path(self.build_lib) / "assistant" / "shipped"
        for folder, patterns in SHIPPED.items():
            source = HERE / folder
            for pattern in patterns:
                for path in sorted(source.rglob(pattern)):
                    if not _shipped(path.relative_to(source)):
                        continue
                    dest = target / folder / path.relative_to(source)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)


setup(cmdclass={"build_py": BuildWithShippedFiles})
