"""Accounts and roles: hashed passwords, sign-in with lockout, role checks in the core (the same
refusal from every front end), the first admin made by ``init``, and the CLI."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant import accounts, review
from assistant.accounts import Actor
from assistant.config import load_settings
from assistant.errors import InputError, PermissionDenied, SignInError
from assistant.store import Store

PASSWORD = "correct-horse-7"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    made = Store(f"sqlite:///{tmp_path / 'a.db'}")
    made.migrate()
    return made


def test_passwords_are_argon2_hashes_never_kept_or_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts.add_user(store, "지수", "agent", PASSWORD)
    with store.engine.connect() as conn:
        hashed = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert str(hashed).startswith("$argon2id$") and PASSWORD not in str(hashed)
    assert accounts.authenticate(store, "지수", PASSWORD).name == "지수"
    shown = json.dumps([a.model_dump(mode="json") for a in accounts.list_users(store)])
    assert "argon2" not in shown and "password" not in shown
    assert "argon2" not in caplog.text and PASSWORD not in caplog.text
    with pytest.raises(InputError, match="at least 10"):
        accounts.add_user(store, "short", "agent", "abc")
    with pytest.raises(InputError, match="unknown role"):
        accounts.add_user(store, "x", "boss", PASSWORD)


def test_wrong_passwords_are_refused_audited_and_lock_the_account(store: Store) -> None:
    accounts.add_user(store, "지수", "agent", PASSWORD)
    with pytest.raises(SignInError) as wrong:
        accounts.authenticate(store, "지수", "not-the-password")
    assert "wrong" in str(wrong.value) and not wrong.value.locked
    with pytest.raises(SignInError):
        accounts.authenticate(store, "nobody", PASSWORD)  # same message for an unknown name
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(SignInError):
            accounts.authenticate(store, "지수", "still-wrong-123")
    with pytest.raises(SignInError) as locked:
        accounts.authenticate(store, "지수", PASSWORD)  # right password, but locked out
    assert locked.value.locked
    failed = store.list_events(kind="user.signin_failed")
    assert len(failed) == accounts.MAX_FAILURES + 2
    assert {e["actor"] for e in failed} == {"지수", "nobody"}


def test_a_disabled_account_cannot_sign_in_or_act(store: Store) -> None:
    account = accounts.add_user(store, "민호", "lead", PASSWORD)
    accounts.set_disabled(store, "민호", True)
    with pytest.raises(SignInError):
        accounts.authenticate(store, "민호", PASSWORD)
    assert accounts.active(store, account.id) is None
    stale = Actor(account.model_copy(update={"disabled": True}))
    with pytest.raises(PermissionDenied, match="disabled"):
        accounts.require(stale, "approve")


def _draft_with_an_overpromise(store: Store) -> int:
    draft_id = store.create_draft(message="환불 언제 되나요?", channel="email", language="ko")
    store.update_draft(draft_id, status="ready", output="안녕하세요. 확인하겠습니다.")
    return draft_id


@pytest.mark.parametrize("via", ["workspace", "cli", "api"])
def test_an_agent_cannot_override_error_findings_from_any_front_end(store: Store, via: str) -> None:
    agent = Actor(accounts.add_user(store, f"agent-{via}", "agent", PASSWORD), via)
    lead = Actor(accounts.add_user(store, f"lead-{via}", "lead", PASSWORD), via)
    draft_id = _draft_with_an_overpromise(store)
    text = "고객님, 불편을 드려 죄송합니다. 100% 보장합니다. 반드시 내일까지 해결됩니다."
    with pytest.raises(PermissionDenied, match="needs the lead role"):
        review.approve(store, draft_id, final_text=text, reviewer=agent, expected_version=2,
                       override_reason="고객 요청")  # fmt: skip
    decision = review.approve(store, draft_id, final_text=text, reviewer=lead,
                              expected_version=2, override_reason="팀장 확인")  # fmt: skip
    assert decision.reviewer == lead.name and decision.override_reason == "팀장 확인"
    [event] = store.list_events(draft_id=draft_id, kind="draft.approved")
    assert event["actor"] == lead.name and event["payload"]["via"] == via


def test_nobody_signed_in_cannot_decide(store: Store) -> None:
    with pytest.raises(PermissionDenied, match="sign in"):
        accounts.require(None, "approve")


def test_init_makes_one_admin_and_shows_its_password_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.cli import main

    data = tmp_path / "data"
    small = tmp_path / "kb"
    (small / "en").mkdir(parents=True)
    (small / "en" / "a.md").write_text("---\ntitle: A\nurl: https://h.example/a\n---\nHello.\n")
    args = ["init", "--data-dir", str(data), "--knowledge", str(small), "--no-demo", "--json"]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    first = json.loads(capsys.readouterr().out)
    password = first["admin"]["password"]
    assert first["admin"]["name"] == "admin" and len(password) >= 16
    with pytest.raises(SystemExit):
        main(args)
    assert "admin" not in json.loads(capsys.readouterr().out)  # idempotent: shown once
    store = Store.from_settings(load_settings(data_dir=data))
    assert accounts.authenticate(store, "admin", password).role == "admin"
    assert password.encode() not in (data / "assistant.db").read_bytes()


def test_cli_users_add_list_disable_with_the_password_on_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from assistant.cli import main

    data = str(tmp_path / "data")

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        with pytest.raises(SystemExit) as done:
            main([*args, "--data-dir", data])
        got = capsys.readouterr()
        return int(done.value.code or 0), got.out, got.err

    assert run("users", "add", "서지우", "--role", "lead", stdin=PASSWORD + "\n")[0] == 0
    code, _, err = run("users", "add", "nopass", "--role", "agent")
    assert code == 2 and "no password" in err
    code, out, _ = run("users", "list", "--json")
    [user] = json.loads(out)["users"]
    assert user["name"] == "서지우" and user["role"] == "lead" and "hash" not in out
    assert run("users", "disable", "서지우")[0] == 0
    store = Store.from_settings(load_settings(data_dir=Path(data)))
    with pytest.raises(SignInError):
        accounts.authenticate(store, "서지우", PASSWORD)
    code, _, _ = run("users", "add", "x", "--role", "agent", "--password", "secret")
    assert code == 2  # a password is never an argument
