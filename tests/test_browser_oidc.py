"""Signing in through an OpenID Connect provider (Streamlit's ``st.login``), against a real
local provider (oidc-provider-mock) on 127.0.0.1: the round trip maps the provider's e-mail to
the account with that e-mail and its role; an unknown person gets no access unless
self-registration is on, and then becomes an agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import accounts
from assistant.config import load_settings
from assistant.store import Store
from tests.browser import free_port, streamlit_page, wait_app_idle

pytestmark = pytest.mark.browser


def _secrets(folder: Path, app_port: int, provider_port: int) -> Path:
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-that-is-long-enough-0123456789"\n'
        'client_id = "reply-assistant"\n'
        'client_secret = "test-client-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def _provider_sign_in(page: object, email: str) -> None:
    page.get_by_role("button", name="회사 계정으로 로그인").click()  # type: ignore[attr-defined]
    field = page.locator('input[name="sub"]')  # type: ignore[attr-defined]
    field.wait_for()
    field.fill(email)
    page.locator('button[type="submit"][value="allow"], button[type="submit"]').first.click()  # type: ignore[attr-defined]
    page.wait_for_url("**127.0.0.1**")  # type: ignore[attr-defined]
    wait_app_idle(page)


@pytest.mark.parametrize("self_register", [False, True])
def test_provider_sign_in_maps_to_the_account_and_its_role(
    demo_data: Path, tmp_path: Path, self_register: bool
) -> None:
    oidc = pytest.importorskip("oidc_provider_mock")
    pytest.importorskip("authlib")
    store = Store.from_settings(load_settings(data_dir=demo_data))
    accounts.add_user(store, "지수", "lead", None, email="jisu@team.example")
    store.dispose()
    app_port = free_port()
    env = {
        "ASSISTANT_DATA_DIR": str(demo_data),
        "ASSISTANT_OIDC_SELF_REGISTER": "true" if self_register else "false",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    with oidc.run_server_in_thread(port=free_port()) as provider:
        secrets = _secrets(tmp_path, app_port, provider.server_port)
        args = ("--secrets.files", str(secrets))
        with streamlit_page("app.py", env, port=app_port, args=args) as (page, _):
            _provider_sign_in(page, "jisu@team.example")
            page.get_by_text("지수 (리드) 로그인 중").first.wait_for()
            assert "김민지" in page.locator("body").inner_text()  # the inbox, now signed in
        with streamlit_page("app.py", env, port=app_port, args=args) as (page, _):
            _provider_sign_in(page, "newcomer@team.example")
            body = page.locator("body").inner_text()
    store = Store.from_settings(load_settings(data_dir=demo_data))
    newcomer = accounts.find_by_email(store, "newcomer@team.example")
    if self_register:
        assert newcomer is not None and newcomer.role == "agent"
        assert "newcomer (상담원) 로그인 중" in body
    else:
        assert newcomer is None
        assert "연결된 사용자가 없습니다" in body and "김민지" not in body
