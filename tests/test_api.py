"""The HTTP API through a real uvicorn on 127.0.0.1 (httpx as the client): auth, drafting with
idempotency, approval with If-Match and its races, role checks, the error contract, and the
CLI's shapes for check, search and triage; and ``tokens create``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from assistant import accounts
from assistant.config import load_settings
from assistant.pipeline import Deps
from assistant.store import Store

OVERPROMISE = "반드시 내일까지 해결됩니다."


class Api:
    """A running server and a token per role."""

    def __init__(self, url: str, deps: Deps, tokens: dict[str, str]) -> None:
        self.url = url
        self.deps = deps
        self.store = deps.store
        self.tokens = tokens

    def client(self, role: str | None = "agent") -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """uvicorn in a thread on a free port, serving a private copy of the demo data dir."""
    from assistant.api import create_app

    data = tmp_path_factory.mktemp("api") / "data"
    shutil.copytree(demo_dir, data)
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("ASSISTANT_"):
                mp.delenv(key)
        deps = Deps.from_settings(load_settings(data_dir=data))
    store = deps.store
    tokens = {}
    for role in ("agent", "lead", "admin"):
        accounts.add_user(store, f"api-{role}", role, None)
        tokens[role] = accounts.create_token(store, f"api-{role}", name="tests")
    accounts.add_user(store, "api-gone", "lead", None)
    tokens["disabled"] = accounts.create_token(store, "api-gone")
    accounts.set_disabled(store, "api-gone", True)
    port = _free_port()
    config = uvicorn.Config(create_app(deps), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield Api(f"http://127.0.0.1:{port}", deps, tokens)
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()


def _draft(c: httpx.Client, message: str, **body: Any) -> dict[str, Any]:
    r = c.post("/v1/drafts", json={"message": message, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _is_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = dict(r.json())
    assert set(body) >= {"error", "where"} and body["error"], body
    assert "Traceback" not in r.text
    return body


def test_healthz_needs_no_token(api: Api) -> None:
    r = api.client(None).get("/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_korean_and_english_drafts_with_sources(api: Api) -> None:
    with api.client() as c:
        ko = _draft(c, "앱에서 결제하면 화면이 멈춰요", customer_id="cus_ko_minji", channel="chat")
        en = _draft(c, "I was charged twice for my subscription this month.")
    keys = {"id", "draft", "language", "situations", "sources", "findings", "model"}
    keys |= {"prompt_version", "status", "version"}
    for d in (ko, en):
        assert set(d) == keys
        assert d["status"] == "ready" and isinstance(d["version"], int) and d["draft"].strip()
        assert d["sources"] and set(d["sources"][0]) == {
            "doc_id",
            "title",
            "url",
            "score",
            "snippet",
        }
    assert ko["language"] == "ko" and en["language"] == "en"
    events = api.store.list_events(draft_id=ko["id"], kind="draft.created")
    assert events[0]["actor"] == "api-agent" and events[0]["payload"]["via"] == "api"


def test_the_same_idempotency_key_gets_the_same_draft(api: Api) -> None:
    body = {"message": "How do I export my notes to PDF?"}
    with api.client() as c:
        first = c.post("/v1/drafts", json=body, headers={"Idempotency-Key": "k-export-1"})
        again = c.post("/v1/drafts", json=body, headers={"Idempotency-Key": "k-export-1"})
        other = c.post("/v1/drafts", json=body, headers={"Idempotency-Key": "k-export-2"})
        changed = c.post(
            "/v1/drafts",
            json={"message": "How do I export to Word?"},
            headers={"Idempotency-Key": "k-export-1"},
        )
    with api.client("lead") as c:
        someone_else = c.post("/v1/drafts", json=body, headers={"Idempotency-Key": "k-export-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert other.json()["id"] != first.json()["id"]
    assert someone_else.json()["id"] != first.json()["id"]  # keys are per account
    assert _is_error(changed, 409)["where"] == "Idempotency-Key"


def test_get_a_draft_and_404_for_an_unknown_one(api: Api) -> None:
    with api.client() as c:
        made = _draft(c, "비밀번호를 잊어버렸어요")
        got = c.get(f"/v1/drafts/{made['id']}")
        missing = c.get("/v1/drafts/999999")
    assert got.status_code == 200
    record = got.json()
    for key in ("id", "draft", "language", "status", "version", "situations"):
        assert record[key] == made[key]
    assert record["message"] == "비밀번호를 잊어버렸어요"
    assert _is_error(missing, 404)["where"] == "id"


def test_approve_with_if_match_then_a_stale_version_is_409(api: Api) -> None:
    with api.client() as c:
        d = _draft(c, "I was charged twice for my subscription this month.")
        no_version = c.post(f"/v1/drafts/{d['id']}/approve", json={"text": d["draft"]})
        ok = c.post(
            f"/v1/drafts/{d['id']}/approve",
            json={"text": d["draft"]},
            headers={"If-Match": str(d["version"])},
        )
        again = c.post(
            f"/v1/drafts/{d['id']}/approve",
            json={"text": d["draft"]},
            headers={"If-Match": str(d["version"])},
        )
    assert _is_error(no_version, 400)["where"] == "If-Match"
    assert ok.status_code == 200, ok.text
    assert ok.json()["decision"]["reviewer"] == "api-agent"
    assert ok.json()["draft"]["status"] == "approved"
    _is_error(again, 409)
    decided = [e for e in api.store.list_events(draft_id=d["id"]) if e["kind"] == "draft.approved"]
    assert len(decided) == 1 and decided[0]["payload"]["via"] == "api"


def test_two_approvals_of_the_same_version_race_and_exactly_one_wins(api: Api) -> None:
    with api.client() as c:
        d = _draft(c, "I was charged twice for my subscription this month.")
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def approve(role: str) -> None:
        with api.client(role) as c:
            barrier.wait()
            r = c.post(
                f"/v1/drafts/{d['id']}/approve",
                json={"text": d["draft"]},
                headers={"If-Match": f'"{d["version"]}"'},
            )
            codes.append(r.status_code)

    threads = [threading.Thread(target=approve, args=(role,)) for role in ("agent", "lead")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [200, 409]
    decided = [e for e in api.store.list_events(draft_id=d["id"]) if e["kind"] == "draft.approved"]
    assert len(decided) == 1


def test_overriding_error_findings_needs_a_lead(api: Api) -> None:
    with api.client() as c:
        d = _draft(c, "환불 아직도 안 됐어요. 언제 되나요?", customer_id="cus_ko_minji")
        bad = d["draft"] + "\n\n" + OVERPROMISE
        url = f"/v1/drafts/{d['id']}/approve"
        headers = {"If-Match": str(d["version"])}
        blocked = c.post(url, json={"text": bad}, headers=headers)
        agent = c.post(url, json={"text": bad, "override_reason": "확정됨"}, headers=headers)
    with api.client("lead") as c:
        lead = c.post(url, json={"text": bad, "override_reason": "배포 확정"}, headers=headers)
    body = _is_error(blocked, 422)
    assert body["findings"] and all(f["severity"] == "error" for f in body["findings"])
    assert "override" in _is_error(agent, 403)["error"]
    assert lead.status_code == 200, lead.text
    assert lead.json()["decision"]["override_reason"] == "배포 확정"


def test_reject_needs_a_reason(api: Api) -> None:
    with api.client() as c:
        d = _draft(c, "How do I export my notes to PDF?")
        empty = c.post(f"/v1/drafts/{d['id']}/reject", json={"reason": " "})
        done = c.post(f"/v1/drafts/{d['id']}/reject", json={"reason": "wrong article"})
    assert _is_error(empty, 422)["where"] == "reason"
    assert done.status_code == 200 and done.json()["draft"]["status"] == "rejected"


def test_no_token_or_a_bad_one_is_401(api: Api) -> None:
    anonymous = api.client(None)
    for r in (
        anonymous.post("/v1/drafts", json={"message": "hi"}),
        anonymous.get("/v1/search", params={"q": "refund"}),
        anonymous.get("/v1/drafts/1", headers={"Authorization": "Bearer ra_not-a-real-token"}),
        anonymous.get("/v1/drafts/1", headers={"Authorization": "Basic dXNlcjpwdw=="}),
        api.client("disabled").get("/v1/search", params={"q": "refund"}),
    ):
        assert _is_error(r, 401)["where"] == "Authorization"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_json_is_400_and_a_bad_field_422(api: Api) -> None:
    with api.client() as c:
        broken = c.post(
            "/v1/drafts", content=b'{"message": "hi"', headers={"content-type": "application/json"}
        )
        missing = c.post("/v1/drafts", json={"channel": "chat"})
        channel = c.post("/v1/drafts", json={"message": "hi", "channel": "fax"})
        nameless = c.post("/v1/drafts", json={"message": "hi", "customer": {"id": "c1"}})
        language = c.post(
            "/v1/drafts",
            json={"message": "hi", "customer": {"id": "c1", "name": "A", "language": "fr"}},
        )
        extra = c.post("/v1/drafts", json={"message": "hi", "customer": {"id": "c1", "notes": []}})
    assert _is_error(broken, 400)["where"] == "body"
    assert _is_error(missing, 422)["where"] == "message"
    assert _is_error(channel, 422)["where"] == "channel"
    assert _is_error(nameless, 422)["where"] == "customer.name"
    assert _is_error(language, 422)["where"] == "customer.language"
    assert _is_error(extra, 422)["where"] == "customer.notes"
    assert api.store.get_draft  # nothing was stored for them:
    from assistant import history

    assert history.get_customer(api.store, "c1") is None


def test_a_customer_sent_with_the_request_is_created_then_updated(api: Api) -> None:
    from assistant import history

    profile = {"id": "crm-88", "name": "Robin Choi", "email": "robin@example.com", "language": "en"}
    with api.client() as c:
        first = _draft(c, "I cannot log in since yesterday.", customer=profile)
        again = _draft(c, "Still cannot log in.", customer_id="crm-88", customer={"plan": "Pro"})
    person = history.get_customer(api.store, "crm-88")
    assert person is not None and person.name == "Robin Choi" and person.plan == "Pro"
    assert api.store.get_draft(first["id"])["customer_id"] == "crm-88"  # type: ignore[index]
    assert "Robin" in first["draft"] and again["language"] == "en"


def test_the_reply_is_in_the_customers_language_else_the_messages(api: Api) -> None:
    with api.client() as c:
        new = _draft(c, "I cannot log in since yesterday.", customer={"id": "crm-90", "name": "Kai"})
        korean = _draft(c, "Hi, I forgot my password.", customer_id="cus_ko_minji")
        anonymous = _draft(c, "iPhone에서 sync가 안 돼요")
    assert new["language"] == "en" and korean["language"] == "ko"  # minji is stored as Korean
    assert "김민지 고객님" in korean["draft"]
    assert all("/ko/articles/" in s["url"] for s in korean["sources"])
    assert anonymous["language"] == "ko"  # Korean with English words is Korean


def test_an_oversized_body_is_413(api: Api) -> None:
    big = {"message": "가" * (300 * 1024)}
    with api.client() as c:
        declared = c.post("/v1/drafts", json=big)

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked
            yield b'{"message": "'
            for _ in range(40):
                yield b"x" * 8192
            yield b'"}'

        streamed = c.post(
            "/v1/drafts", content=chunks(), headers={"content-type": "application/json"}
        )
    _is_error(declared, 413)
    _is_error(streamed, 413)


def test_check_search_and_triage_have_the_cli_shapes(api: Api) -> None:
    with api.client() as c:
        checked = c.post("/v1/check", json={"text": OVERPROMISE, "channel": "chat", "lang": "ko"})
        found = c.get("/v1/search", params={"q": "환불 정책", "k": 3})
        tri = c.post("/v1/triage", json={"message": "I want a refund, this is urgent!"})
        bad_k = c.get("/v1/search", params={"q": "refund", "k": 0})
    assert checked.status_code == 200
    result = checked.json()
    assert set(result) == {"ok", "findings"} and result["ok"] is False
    finding = next(f for f in result["findings"] if f["rule"] == "F2")
    assert set(finding) == {"rule", "severity", "span", "quote", "message", "fix"}
    assert isinstance(finding["span"], list)
    hits = found.json()["results"]
    assert found.status_code == 200 and 1 <= len(hits) <= 3
    assert set(hits[0]) == {"doc_id", "title", "url", "score", "snippet"}
    assert tri.status_code == 200
    assert set(tri.json()) == {"language", "situations", "sentiment", "urgency"}
    assert tri.json()["language"] == "en"
    assert _is_error(bad_k, 422)["where"] == "query.k"


def test_tokens_create_prints_the_token_once_and_stores_its_hash(
    demo_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    store = Store.from_settings(load_settings(data_dir=demo_data))
    accounts.add_user(store, "jisu", "agent", None)
    with pytest.raises(SystemExit) as done:
        main(["tokens", "create", "--user", "jisu", "--json"])
    assert done.value.code == 0
    token = json.loads(capsys.readouterr().out)["token"]
    assert token.startswith("ra_") and len(token) > 40
    actor = accounts.actor_for_token(store, token)
    assert actor is not None and actor.name == "jisu" and actor.via == "api"
    assert token.encode() not in (demo_data / "assistant.db").read_bytes()
    assert accounts.actor_for_token(store, token + "x") is None
    with pytest.raises(SystemExit) as unknown:
        main(["tokens", "create", "--user", "nobody", "--json"])
    assert unknown.value.code == 2 and "nobody" in capsys.readouterr().err
    accounts.set_disabled(store, "jisu", True)
    assert accounts.actor_for_token(store, token) is None


def test_a_revoked_token_stops_working_and_the_list_never_shows_a_token(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    accounts.add_user(api.store, "short-lived", "agent", None)
    token = accounts.create_token(api.store, "short-lived", name="crm sync")
    client = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"})
    assert client.get("/v1/search", params={"q": "refund"}).status_code == 200
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_DATA_DIR", str(api.deps.settings.data_dir))
        with pytest.raises(SystemExit):
            main(["tokens", "list", "--json"])
        listed = json.loads(capsys.readouterr().out)["tokens"]
        mine = next(t for t in listed if t["name"] == "crm sync")
        assert mine["user"] == "short-lived" and not mine["revoked"] and mine["last_used_at"]
        assert token not in json.dumps(listed)
        with pytest.raises(SystemExit) as done:
            main(["tokens", "revoke", str(mine["id"])])
    assert done.value.code == 0
    assert _is_error(client.get("/v1/search", params={"q": "refund"}), 401)
    kinds = [e["kind"] for e in api.store.list_events(kind="user.token_revoked")]
    assert kinds == ["user.token_revoked"]


def test_a_crash_is_a_json_500_without_a_traceback(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index file vanished: /secret/path")

    monkeypatch.setattr(api.deps.kb, "search", broken)
    with api.client() as c:
        r = c.get("/v1/search", params={"q": "refund"})
        unknown_route = c.get("/v1/nothing-here")
    body = _is_error(r, 500)
    assert "/secret/path" not in r.text and body["where"] == "/v1/search"
    _is_error(unknown_route, 404)


def test_serve_refuses_a_missing_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    with pytest.raises(SystemExit) as done:
        main(["serve", "--data-dir", str(tmp_path / "none"), "--port", "0"])
    assert done.value.code == 2 and "init" in capsys.readouterr().err


def test_openapi_docs_are_served(api: Api) -> None:
    client = api.client(None)
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/drafts", "/v1/drafts/{draft_id}/approve", "/v1/search"} <= set(paths)


def test_the_serve_command_answers_on_the_port_it_was_given(demo_data: Path) -> None:
    import subprocess
    import sys

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    cmd = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(demo_data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json() == {"ok": True}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/search?q=x").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_concurrent_drafts_share_the_loaded_models(api: Api) -> None:
    messages = [
        "앱에서 결제하면 화면이 멈춰요",
        "I was charged twice for my subscription this month.",
        "비밀번호를 잊어버렸어요",
        "How do I export my notes to PDF?",
    ]
    results: dict[str, dict[str, Any]] = {}

    def one(message: str) -> None:
        with api.client() as c:
            results[message] = _draft(c, message)

    threads = [threading.Thread(target=one, args=(m,)) for m in messages]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(results) == set(messages)
    assert len({d["id"] for d in results.values()}) == len(messages)
    assert all(d["sources"] and d["status"] == "ready" for d in results.values())


def test_history_is_recorded_once_and_grounds_the_draft(api: Api) -> None:
    earlier = [
        {
            "role": "customer",
            "text": "Sync stopped on my iPad yesterday.",
            "at": "2026-11-30T09:00:00Z",
        },
        {"role": "agent", "text": "Could you try signing out and in again?"},
    ]
    body = {
        "message": "Still not syncing after signing in again.",
        "customer_id": "cus_en_oliver",
        "conversation_id": "conv_api_sync",
        "history": earlier,
    }
    with api.client() as c:
        first = _draft(c, **body)
        second = _draft(c, **body)
        bad_role = c.post("/v1/drafts", json={**body, "history": [{"role": "bot", "text": "x"}]})
        no_customer = c.post(
            "/v1/drafts", json={"message": "hi", "history": [{"role": "customer", "text": "x"}]}
        )
        record = c.get(f"/v1/drafts/{first['id']}").json()
    assert record["conversation_id"] == "conv_api_sync" and second["id"] != first["id"]
    from assistant import history

    customer = history.get_customer(api.store, "cus_en_oliver")
    assert customer is not None
    conv = next(x for x in customer.conversations if x.id == "conv_api_sync")
    assert [m.text for m in conv.messages] == [e["text"] for e in earlier]
    assert _is_error(bad_role, 422)["where"] == "history.0.role"
    assert _is_error(no_customer, 422)["where"] == "history"
    assert api.store.get_draft(first["id"])["status"] == "ready"  # type: ignore[index]
    # The customer writes again: the history now holds a newer customer message.
    newer = [*earlier, {"role": "customer", "text": "Now it also crashes on start."}]
    with api.client() as c:
        third = _draft(c, **{**body, "history": newer, "message": "It crashes on start."})
    assert api.store.get_draft(first["id"])["status"] == "stale"  # type: ignore[index]
    assert api.store.get_draft(second["id"])["status"] == "stale"  # type: ignore[index]
    assert third["status"] == "ready"


def _cli(api: Api, *args: str, token: str | None = None, stdin: str | None = None) -> Any:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_SERVER=api.url,
        ASSISTANT_SERVER_TOKEN=token or api.tokens["agent"],
        ASSISTANT_DATA_DIR="/nonexistent/no-local-data",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_line_sends_its_work_to_a_running_server(api: Api) -> None:
    """draft, check and search with ASSISTANT_SERVER need no local data or models: the
    answers are the server's, in the commands' own JSON shapes and exit codes."""
    found = _cli(api, "search", "환불 요청", "-k", "3", "--json")
    assert found.returncode == 0, found.stderr
    with api.client() as c:
        direct = c.get("/v1/search", params={"q": "환불 요청", "k": 3}).json()
    assert json.loads(found.stdout) == direct and direct["results"]

    drafted = _cli(api, "draft", "--customer", "cus_ko_minji", "--channel", "chat", "--json",
                   "앱에서 결제하면 화면이 멈춰요")  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr
    answer = json.loads(drafted.stdout)
    assert set(answer) == {"id", "draft", "language", "situations", "sources", "findings",
                           "model", "prompt_version"}  # fmt: skip
    row = api.store.get_draft(answer["id"])
    assert (
        row is not None
        and row["output"] == answer["draft"]
        and row["customer_id"] == "cus_ko_minji"
    )
    events = api.store.list_events(draft_id=answer["id"], kind="draft.created")
    assert events[0]["actor"] == "api-agent"

    checked = _cli(api, "check", "--json", "-", stdin=f"안녕하세요. {OVERPROMISE}")
    assert checked.returncode == 1, checked.stderr
    assert not json.loads(checked.stdout)["ok"]
    human = _cli(api, "draft", "I was charged twice.")
    assert human.returncode == 0 and "source:" in human.stdout and "— draft #" in human.stdout


def test_the_command_line_names_what_is_wrong_with_the_server(api: Api) -> None:
    wrong = _cli(api, "search", "refund", "--json", token="ra_not-a-token")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.strip().startswith("error: ASSISTANT_SERVER_TOKEN:")
    gone = _cli(api, "search", "refund", "--server", "http://127.0.0.1:9", "--json")
    assert gone.returncode == 2 and "cannot reach http://127.0.0.1:9" in gone.stderr
    assert len(gone.stderr.strip().splitlines()) == 1
    judge = _cli(api, "check", "--judge", "openai/x", "-", stdin="안녕하세요.")
    assert judge.returncode == 2 and "--judge" in judge.stderr
