"""Drive the Streamlit app in a real headless Chromium.

``streamlit_page(script, env)`` starts ``streamlit run <script>`` on a free local port with the
given environment, waits for ``/_stcore/health``, and yields ``(page, base_url)`` from a
Playwright Chromium. Tests using it are skipped when ``/usr/bin/chromium`` or Playwright is
missing. Screenshots go to ``ARTIFACTS`` (``tests/artifacts/``, ignored by git).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip the calling test when Chromium or Playwright is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-nanum)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Poll ``/_stcore/health`` until it answers "ok"; fail with the server log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=1) as resp:
                if resp.read().strip() == b"ok":
                    return
        time.sleep(0.2)
    proc.terminate()
    out = proc.communicate(timeout=10)[0].decode("utf-8", "replace")
    pytest.fail(f"streamlit did not become healthy at {base_url}:\n{out[-4000:]}")


@contextlib.contextmanager
def streamlit_server(
    script: str | Path,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run ``streamlit run script`` headless on ``port`` (a free one by default), with extra
    command-line ``args``; yield its base URL."""
    port = port or free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        *args,
    ]  # fmt: skip
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, proc)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def streamlit_page(
    script: str | Path,
    env: Mapping[str, str],
    *,
    locale: str = "ko-KR",
    viewport: tuple[int, int] = (1400, 1000),
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[tuple[Any, str]]:
    """Yield ``(page, base_url)``: a Playwright page already opened on the running app."""
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(script, env, port=port, args=args) as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                locale=locale,
                viewport={"width": viewport[0], "height": viewport[1]},
                extra_http_headers={"Accept-Language": f"{locale},{locale.split('-')[0]};q=0.9"},
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(base_url)
            wait_app_idle(page)
            try:
                yield page, base_url
            except BaseException:
                # What the page showed when the test failed, next to the other screenshots.
                with contextlib.suppress(Exception):
                    screenshot(page, f"FAILED-{Path(script).stem}")
                raise
        finally:
            browser.close()


def wait_app_idle(page: Any, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the current script run (and any rerun it triggered).

    Streamlit marks its root with ``data-test-script-state``; "notRunning" means idle. A short
    pause first lets a click's rerun start before we look.
    """
    page.wait_for_timeout(250)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )
    page.wait_for_timeout(150)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, name: str, password: str) -> None:
    """Fill the workspace's sign-in form as a person does and wait for the page."""
    page.get_by_label("계정 이름").or_(page.get_by_label("Account name")).first.fill(name)
    field = page.get_by_label("비밀번호").or_(page.get_by_label("Password")).first
    field.fill(password)
    page.get_by_role("button", name="로그인").or_(
        page.get_by_role("button", name="Sign in")
    ).first.click()
    wait_app_idle(page)
