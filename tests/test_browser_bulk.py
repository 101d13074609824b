"""The bulk review page in a real browser: filter, edit a reply, approve many, export.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assistant import accounts
from assistant.bulk import BulkOptions, run_bulk
from assistant.config import load_settings
from assistant.pipeline import Deps
from tests.browser import screenshot, sign_in, streamlit_page, wait_app_idle

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parent.parent / "assistant" / "data" / "demo_social_posts.csv"
PASSWORD = "correct-horse-7"
EDITED = "불편을 드려 죄송합니다. 동기화 문제를 확인 중이며 DM으로 안내드리겠습니다."


@pytest.fixture(scope="module")
def bulk_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("bulkui") / "data"
    data.mkdir()
    deps = Deps.from_settings(load_settings(data_dir=data))
    run_bulk(deps, DEMO, data / "bulk" / "demo.jsonl", BulkOptions())
    accounts.add_user(deps.store, "서지우", "lead", PASSWORD)
    return data


def _pick(page: object, label: str, option: str) -> None:
    box = page.get_by_label(label)  # type: ignore[attr-defined]
    box.click()
    page.get_by_role("option", name=option).first.click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    wait_app_idle(page)


def test_filter_edit_bulk_approve_export(bulk_data: Path) -> None:
    env = {"ASSISTANT_DATA_DIR": str(bulk_data), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    with streamlit_page("app.py", env, viewport=(1500, 1400)) as (page, base_url):
        page.goto(f"{base_url}/Bulk_review")
        wait_app_idle(page)
        sign_in(page, "서지우", PASSWORD)
        page.get_by_text("반복되는 문제 (S7)").first.wait_for()
        page.get_by_text("42건 표시").first.wait_for()
        screenshot(page, "bulk_overview")

        _pick(page, "묶음", "c1")
        page.get_by_text("/ 42건 표시").first.wait_for()
        shown = int(page.get_by_text("/ 42건 표시").first.inner_text().split(" / ")[0])
        assert 9 <= shown < 42
        screenshot(page, "bulk_filtered")

        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None
        # Select the first row's reply cell (the grid is a canvas), open its editor with Enter
        # once the grid has scrolled the cell into view, and type a new reply.
        page.mouse.click(box["x"] + box["width"] - 200, box["y"] + 50)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        editor = page.locator("textarea.gdg-input")
        editor.wait_for()
        editor.fill(EDITED)
        page.keyboard.press("Enter")
        # Leave the grid, as a person does, and wait until the page counts the edit.
        page.get_by_text("/ 42건 표시").first.click()
        page.get_by_text("저장하지 않은 편집 1건").first.wait_for()
        wait_app_idle(page)
        screenshot(page, "bulk_edited")

        page.get_by_text("표시된 초안 모두 선택").first.click()
        wait_app_idle(page)
        page.get_by_role("button", name="선택 승인").click()
        wait_app_idle(page)
        # .first: while a rerun replaces the page, the old and the new line can both be there.
        page.get_by_text(f"승인 {shown} · 반려 0").first.wait_for()
        screenshot(page, "bulk_approved")

        with page.expect_download() as info:
            page.get_by_role("button", name="CSV", exact=True).first.click()
        exported = Path(info.value.path()).read_text(encoding="utf-8")
        with page.expect_download() as info_jsonl:
            page.get_by_role("button", name="JSONL", exact=True).first.click()
        lines = Path(info_jsonl.value.path()).read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == shown == len(lines)
    assert {json.loads(line)["id"] for line in lines} == {r["id"] for r in rows}
    assert any(r["reply"] == EDITED and r["edited"] == "True" for r in rows)
    # The decisions went through the review path: audited with the reviewer, in the outbox.
    from assistant import review

    deps = Deps.from_settings(load_settings(data_dir=bulk_data))
    queued = review.outbox(deps.store)
    assert len(queued) == shown and {q.reviewer for q in queued} == {"서지우"}
    assert EDITED in {q.text for q in queued}
    assert len(deps.store.list_events(kind="draft.approved")) == shown
