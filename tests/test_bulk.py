"""Bulk runs over social posts: validation, clustering across languages, resume, retries, summary."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.bulk import BulkOptions, prepare, run_bulk
from assistant.bulk.io import FIELDS, load_output, read_posts
from assistant.bulk.review import Filters, apply_filters, decide, export, load_run, save_edits
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.pipeline import Deps
from tests.actors import actor
from tests.fakellm import FakeLLM

DEMO = Path(__file__).resolve().parent.parent / "assistant" / "data" / "demo_social_posts.csv"
FAST = {"progress": False}


def _deps(data_dir: Path, **overrides: Any) -> Deps:
    data_dir.mkdir(parents=True, exist_ok=True)
    return Deps.from_settings(load_settings(data_dir=data_dir, **overrides))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The demo file through the offline drafter, once for the module."""
    root = tmp_path_factory.mktemp("demo")
    out = root / "bulk" / "demo.jsonl"
    result = run_bulk(_deps(root / "data"), DEMO, out, BulkOptions())
    return out, result.summary


def _records(out: Path) -> dict[str, dict[str, Any]]:
    return load_output(out).records


# ----- validation -------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_line_and_kept(demo_run: tuple[Path, Any]) -> None:
    out, summary = demo_run
    recs = _records(out)
    issues = {i["line"]: i["reason"] for i in summary["issues"]}
    assert "unknown platform 'tiktok'" in issues[33]
    assert issues[34] == "empty post text"
    assert "duplicate id 'p011'" in issues[35]
    assert "bad created_at 'yesterday morning'" in issues[36]
    assert recs["p032"]["status"] == "invalid" and "tiktok" in recs["p032"]["reason"]
    assert recs["p033"]["status"] == "invalid"
    assert recs["p011"]["status"] == "drafted"  # the first p011 is answered
    assert recs["p011@line35"]["status"] == "invalid"  # the second is not
    assert recs["p035"]["status"] == "drafted" and recs["p035"]["created_at"] is None
    assert len(recs) == 42  # every data row of the file is accounted for


def test_platform_aliases_become_channels(demo_run: tuple[Path, Any]) -> None:
    recs = _records(demo_run[0])
    assert recs["p004"]["platform"] == "x"  # twitter
    assert recs["p005"]["platform"] == "review"  # playstore
    assert recs["p008"]["platform"] == "review"  # appstore
    assert recs["p036"]["platform"] == "facebook"  # fb
    assert recs["p001"]["extra"] == {"campaign": ""}


def test_spam_is_skipped_without_a_draft(demo_run: tuple[Path, Any]) -> None:
    recs = _records(demo_run[0])
    for key in ("p013", "p014", "p023"):
        assert recs[key]["status"] == "skipped"
        assert recs[key]["draft"] is None and recs[key]["reason"]


def test_x_drafts_fit_280_weighted_chars_and_carry_findings(demo_run: tuple[Path, Any]) -> None:
    from assistant.playbook import count_chars

    recs = _records(demo_run[0])
    x_drafts = [r for r in recs.values() if r["platform"] == "x" and r["status"] == "drafted"]
    assert len(x_drafts) >= 10
    for r in x_drafts:
        assert count_chars(r["draft"], "x") <= 280
        assert not any(f["rule"] == "C1" for f in r["findings"])
        assert isinstance(r["findings"], list)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.csv", "id,platform,text\n1,x,caf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("blob.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("notes.csv", b"name,age\nkim,3\n", "'text' column"),
        ("posts.jsonl", b"hello\nworld\n", "not JSONL"),
        ("empty.txt", b"   \n", "empty"),
    ],
)
def test_unreadable_files_are_input_errors_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_posts(path)
    assert info.value.where == str(path)


def test_jsonl_rows_with_broken_lines_are_invalid_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    good = {"id": "a", "platform": "instagram", "text": "sync 안 돼요", "lang_hint": "ko"}
    path.write_text(
        json.dumps(good, ensure_ascii=False) + "\n{broken\n\n[1, 2]\n" + '{"id": "b"}\n'
    )
    res = read_posts(path)
    assert [(p.line, p.invalid) for p in res.posts] == [
        (1, None),
        (2, res.posts[1].invalid),
        (4, "not a JSON object"),
        (5, "empty post text"),
    ]
    assert res.posts[1].invalid and res.posts[1].invalid.startswith("not valid JSON")
    assert res.posts[0].extra == {"lang_hint": "ko"}


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header_extra=st.lists(st.sampled_from(["lang", "note", "x1"]), max_size=2, unique=True),
    rows=st.lists(st.lists(_cell, min_size=0, max_size=9), max_size=12),
)
def test_fuzzed_csv_never_crashes_and_accounts_for_every_row(
    tmp_path_factory: pytest.TempPathFactory, header_extra: list[str], rows: list[list[str]]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "posts.csv"
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([*FIELDS, *header_extra])
    written = [r for r in rows if r]  # csv.writer writes [] as a blank line, which is no row
    for r in rows:
        writer.writerow(r)
    path.write_text(buf.getvalue(), encoding="utf-8")
    res = read_posts(path)
    assert len(res.posts) == len(written)
    assert len({p.key for p in res.posts}) == len(res.posts)
    for post in res.posts:
        assert post.invalid or (
            post.text and post.platform in ("x", "instagram", "facebook", "review")
        )
        if post.invalid:
            assert any(i.line == post.line and i.severity == "error" for i in res.issues)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.one_of(
    st.fixed_dictionaries(
        {"id": st.text(max_size=5), "platform": st.sampled_from(["x", "twitter", "tiktok", ""]),
         "text": st.text(max_size=20)},
        optional={"created_at": st.text(max_size=12), "extra": st.integers()},
    ).map(json.dumps),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=20),
), max_size=10))  # fmt: skip
def test_fuzzed_jsonl_never_crashes_and_accounts_for_every_line(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        res = read_posts(path)
    except InputError as exc:
        assert exc.where == str(path)
        return
    assert len(res.posts) == sum(1 for line in lines if line.strip())
    assert len({p.key for p in res.posts}) == len(res.posts)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_give_posts_or_an_input_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "upload.dat"
    path.write_bytes(data)
    try:
        read_posts(path)
    except InputError as exc:
        assert exc.where == str(path)


# ----- clustering -------------------------------------------------------------------------


def test_korean_and_english_sync_reports_form_one_systemic_cluster(
    demo_run: tuple[Path, Any],
) -> None:
    recs = _records(demo_run[0])
    sync = {"p001", "p002", "p003", "p004", "p005", "p006", "p007", "p021", "p022"}
    clusters = {recs[k]["cluster"] for k in sync}
    assert len(clusters) == 1 and None not in clusters
    cid = clusters.pop()
    members = [r for r in recs.values() if r["cluster"] == cid]
    assert {r["language"] for r in members} == {"ko", "en"}
    assert all("S7" in r["situations"] for r in members)
    for unrelated in ("p009", "p010", "p015", "p020", "p013", "p024"):
        assert recs[unrelated]["cluster"] != cid
        assert "S7" not in recs[unrelated]["situations"] or unrelated == "p017"
    summary = recs["p001"]["cluster_summary"]
    assert summary.startswith(f"{len(members)} posts since 09:02: ")
    assert recs["p001"]["cluster_summary_ko"].startswith(f"게시물 {len(members)}건 (09:02부터)")


def test_fewer_than_three_similar_posts_are_no_cluster(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,platform,text\n"
        "a,x,오프라인 메모가 동기화가 안 돼요\n"
        "b,x,My offline notes are not syncing\n"
        "c,x,The web clipper cuts long articles in half\n",
        encoding="utf-8",
    )
    prepared, _ = prepare(_deps(tmp_path / "d"), read_posts(path).posts)
    assert all(p.cluster is None for p in prepared.values())


# ----- resume -----------------------------------------------------------------------------


def _small_file(tmp_path: Path, n: int = 8) -> Path:
    path = tmp_path / "posts.jsonl"
    texts = [
        "@harunotes 첨부한 PDF가 열리지 않아요",
        "How do I restore a note from the trash?",
        "Charged twice this month, please refund",
        "하루노트 웹 클리퍼가 글을 반만 저장해요",
        "Can I export a notebook to Markdown?",
        "잠금 노트 비밀번호를 바꾸고 싶어요",
        "The Windows app is slow to open since the update",
        "태그를 한 번에 여러 개 지우는 방법이 있나요?",
    ]
    rows = [
        {"id": f"s{i}", "platform": "x", "author": "@a", "text": texts[i % len(texts)]}
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _crash(deps: Deps, out: Path, keep: int, torn: int) -> str:
    """What a run killed while writing post ``keep + 1`` leaves: the first ``keep`` posts in the
    store and in OUT, and part of the next line in OUT. Returns the kept lines."""
    from sqlalchemy import delete

    from assistant import store as tables
    from assistant.bulk import runs

    lines = out.read_text("utf-8").splitlines(keepends=True)
    kept = [json.loads(line)["key"] for line in lines[:keep]]
    run_id = runs.find_run(deps.store, str(out.resolve()))
    p = tables.bulk_posts
    with deps.store.transaction() as conn:
        conn.execute(delete(p).where(p.c.run_id == run_id, p.c.key.not_in(kept)))
    out.write_text("".join(lines[:keep]) + lines[keep][:torn], "utf-8")
    return "".join(lines[:keep])


def _linked_drafts(deps: Deps, out: Path) -> list[int]:
    from assistant.bulk import runs

    run_id = runs.find_run(deps.store, str(out.resolve()))
    assert run_id is not None
    return [r["draft_id"] for r in runs.records(deps.store, run_id) if r["status"] == "drafted"]


def test_resume_after_a_crash_drafts_nothing_twice(tmp_path: Path) -> None:
    posts = _small_file(tmp_path)
    out = tmp_path / "out.jsonl"
    with FakeLLM(default="Thank you for telling us; we are sorry and will check it.") as fake:
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=3, llm_extra={"api_key": "test-key"}, **FAST)
        run_bulk(deps, posts, out, opts)
        assert len(fake.requests) == 8
        kept = _crash(deps, out, keep=3, torn=40)
        result = run_bulk(deps, posts, out, opts)
        assert len(fake.requests) == 8 + 5  # only the five missing posts were drafted again
    text = out.read_text("utf-8")
    assert text.startswith(kept)
    keys = [json.loads(line)["key"] for line in text.splitlines()]
    assert sorted(keys) == sorted(f"s{i}" for i in range(8))  # each once, torn line gone
    assert result.processed == 5 and result.resumed == 3
    assert result.summary["by_status"]["drafted"] == 8
    drafts = _linked_drafts(deps, out)
    assert len(drafts) == 8 and len(set(drafts)) == 8
    assert all((deps.store.get_draft(d) or {}).get("status") == "ready" for d in drafts)


def test_a_post_in_the_store_but_not_yet_in_out_is_written_on_rerun(tmp_path: Path) -> None:
    """A crash between storing a post and appending its line: the rerun writes the line."""
    posts = _small_file(tmp_path, n=4)
    out = tmp_path / "out.jsonl"
    deps = _deps(tmp_path / "d")
    run_bulk(deps, posts, out, BulkOptions())
    lines = out.read_text("utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:2]), "utf-8")
    result = run_bulk(deps, posts, out, BulkOptions())
    assert result.processed == 0
    keys = sorted(json.loads(line)["key"] for line in out.read_text("utf-8").splitlines())
    assert keys == [f"s{i}" for i in range(4)]


def test_rerun_of_a_finished_run_does_nothing(demo_run: tuple[Path, Any], tmp_path: Path) -> None:
    out = tmp_path / "again.jsonl"
    out.write_bytes(demo_run[0].read_bytes())
    result = run_bulk(_deps(tmp_path / "d"), DEMO, out, BulkOptions())
    assert result.processed == 0 and result.resumed == 42
    assert out.read_bytes() == demo_run[0].read_bytes()


# ----- worker processes -------------------------------------------------------------------


def test_workers_draft_every_post_once_and_resume_after_a_crash(tmp_path: Path) -> None:
    posts = _small_file(tmp_path, n=12)
    out = tmp_path / "out.jsonl"
    with FakeLLM(default="Thank you for telling us; we are sorry and will check it.") as fake:
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=4, workers=2, llm_extra={"api_key": "test-key"}, **FAST)
        first = run_bulk(deps, posts, out, opts)
        assert first.summary["run"]["workers"] == 2
        assert len(fake.requests) == 12
        _crash(deps, out, keep=5, torn=20)  # killed mid-line
        again = run_bulk(deps, posts, out, opts)
        assert len(fake.requests) == 12 + 7
    keys = [json.loads(line)["key"] for line in out.read_text("utf-8").splitlines()]
    assert sorted(keys) == sorted(f"s{i}" for i in range(12))
    assert again.processed == 7 and again.summary["by_status"]["drafted"] == 12
    assert all(r["draft"].startswith("Thank you") for r in _records(out).values())


def test_a_killed_worker_fails_only_its_posts_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    from assistant.bulk import workers as bulk_workers

    posts = _small_file(tmp_path, n=24)
    out = tmp_path / "out.jsonl"
    killed: list[int] = []
    # The worker that sent the first draft is the one killed: it is certainly started and
    # holding posts (the other may still be starting, and then holds none).
    sender: list[int] = []
    handle = bulk_workers.WorkerPool._handle

    def remember_sender(pool: Any, w: Any, message: Any, on_outcome: Any) -> None:
        sender[:] = [w.process.pid]
        handle(pool, w, message, on_outcome)

    monkeypatch.setattr(bulk_workers.WorkerPool, "_handle", remember_sender)

    def kill_one_worker(record: dict[str, Any]) -> None:
        if not killed and record["status"] == "drafted":
            killed.append(sender[0])
            os.kill(sender[0], signal.SIGKILL)

    with FakeLLM(default="Sorry for the trouble; please DM us.", delay=0.3) as fake:
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=4, workers=2, llm_extra={"api_key": "test-key"}, **FAST)
        result = run_bulk(deps, posts, out, opts, on_record=kill_one_worker)
        by_status = result.summary["by_status"]
        failed = [r for r in _records(out).values() if r["status"] == "failed"]
        assert 1 <= len(failed) <= 4  # its two slots and two posts of lookahead at most
        assert by_status["drafted"] == 24 - len(failed)  # the other worker finished the rest
        assert all(f"process {killed[0]} stopped: killed by SIGKILL" in r["reason"] for r in failed)
        assert "killed by SIGKILL" in result.summary["run"]["worker_errors"][0]
        rerun = run_bulk(
            deps, posts, out, BulkOptions(workers=1, llm_extra={"api_key": "k"}, **FAST)
        )
    assert rerun.processed == len(failed) and rerun.summary["by_status"]["drafted"] == 24


# ----- rate limits and server errors -------------------------------------------------------


def test_429_with_retry_after_and_500_are_retried(tmp_path: Path) -> None:
    posts = _small_file(tmp_path, n=3)
    out = tmp_path / "out.jsonl"
    with FakeLLM(default="Thanks for waiting; sorry for the trouble.") as fake:
        fake.enqueue_fault(429, retry_after=1)
        fake.enqueue_fault(500)
        fake.enqueue_fault(503)
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=1, llm_extra={"api_key": "test-key"}, **FAST)
        started = time.monotonic()
        result = run_bulk(deps, posts, out, opts)
        elapsed = time.monotonic() - started
        assert len(fake.requests) == 3 + 3  # three faults, each retried, then three replies
    assert result.summary["by_status"] == {"drafted": 3, "skipped": 0, "invalid": 0, "failed": 0}
    assert elapsed >= 1.0  # the Retry-After of the 429 was honoured
    assert all(r["draft"].startswith("Thanks for waiting") for r in _records(out).values())


def test_persistent_errors_fail_one_post_and_the_run_goes_on(tmp_path: Path) -> None:
    posts = _small_file(tmp_path, n=3)
    out = tmp_path / "out.jsonl"
    with FakeLLM(default="Sorry for the trouble, and thank you.") as fake:
        for _ in range(3):
            fake.enqueue_fault(500)
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=1, retries=2, llm_extra={"api_key": "test-key"}, **FAST)
        result = run_bulk(deps, posts, out, opts)
        # The failed post is tried again on a rerun, the others are not.
        assert result.summary["by_status"]["failed"] == 1
        failed = [r for r in _records(out).values() if r["status"] == "failed"]
        assert "fake error 500" in failed[0]["reason"] and "3 attempt(s)" in failed[0]["reason"]
        again = run_bulk(deps, posts, out, opts)
        assert len(fake.requests) == 3 + 2 + 1
    assert again.summary["by_status"]["drafted"] == 3 and again.processed == 1


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    posts = _small_file(tmp_path, n=1)
    out = tmp_path / "out.jsonl"
    with FakeLLM() as fake:
        fake.enqueue_fault(401)
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(llm_extra={"api_key": "test-key"}, **FAST)
        result = run_bulk(deps, posts, out, opts)
        assert len(fake.requests) == 1
    assert result.summary["by_status"]["failed"] == 1


# ----- summary, review, export, CLI -------------------------------------------------------


def test_summary_counts(demo_run: tuple[Path, Any]) -> None:
    summary = demo_run[1]
    assert summary["total"] == 42
    assert summary["by_status"] == {"drafted": 35, "skipped": 3, "invalid": 4, "failed": 0}
    assert summary["by_platform"]["x"] == 20 and summary["by_platform"]["review"] == 8
    assert summary["by_situation"]["S7"] >= 10
    assert summary["clusters"][0]["size"] >= 10
    assert summary["clusters"][0]["summary"].startswith(f"{summary['clusters'][0]['size']} posts")
    assert sum(summary["findings_by_rule"].values()) == sum(
        len(r["findings"]) for r in _records(demo_run[0]).values()
    )


@pytest.fixture
def reviewed(demo_run: tuple[Path, Any], tmp_path: Path) -> tuple[Deps, int]:
    """The demo run imported into a fresh data dir (from its output file: nothing redrafted)."""
    from assistant.bulk import runs

    out = tmp_path / "bulk" / "r.jsonl"
    out.parent.mkdir()
    out.write_bytes(demo_run[0].read_bytes())
    deps = _deps(tmp_path / "data")
    assert run_bulk(deps, DEMO, out, BulkOptions()).processed == 0
    run_id = runs.find_run(deps.store, str(out.resolve()))
    assert run_id is not None
    return deps, run_id


def test_review_decisions_and_export(reviewed: tuple[Deps, int]) -> None:
    deps, run = reviewed
    records = load_run(deps.store, run)
    sync = apply_filters(records, Filters(clusters=[records[0]["cluster"] or "c1"]))
    assert sync and all(r["cluster"] == sync[0]["cluster"] for r in sync)
    x_only = apply_filters(records, Filters(platforms=["x"], situations=["S6"]))
    assert x_only and all(r["platform"] == "x" and "S6" in r["situations"] for r in x_only)
    keys = [r["key"] for r in sync]
    edit = "고객님, 불편을 드려 죄송합니다. DM으로 알려 주세요."
    assert save_edits(deps.store, run, {keys[0]: edit}) == 1
    done = decide(deps, run, keys[:1] + keys[2:], "approved", reviewer=actor("서지우"))
    assert done.done + len(done.blocked) == len(keys) - 1 and done.done >= len(keys) - 3
    assert (
        decide(deps, run, ["p013"], "approved", reviewer=actor("서지우")).done == 0
    )  # spam: no draft
    assert decide(deps, run, [keys[1]], "rejected", reviewer=actor("서지우")).done == 1
    assert decide(deps, run, [keys[1]], "approved", reviewer=actor("서지우")).done == 0  # decided
    rows = [json.loads(line) for line in export(deps.store, run, "jsonl").splitlines()]
    assert len(rows) == done.done
    assert rows[0]["reply"] == edit and rows[0]["edited"] and rows[0]["approved_at"]
    table = list(csv.DictReader(io.StringIO(export(deps.store, run, "csv"))))
    assert [t["id"] for t in table] == [r["id"] for r in rows]


def test_an_edited_bulk_reply_goes_through_the_one_review_path(reviewed: tuple[Deps, int]) -> None:
    """An over-promise typed into the bulk grid is blocked like in the workspace; a reason
    overrides it, the decision is audited with the reviewer, and the reply is in the outbox
    and in analytics."""
    from assistant import review

    deps, run = reviewed
    post = next(r for r in load_run(deps.store, run) if r["status"] == "drafted")
    bad = post["draft"] + " 100% 보장합니다. 반드시 내일까지 해결됩니다."
    blocked = decide(
        deps, run, [post["key"]], "approved", reviewer=actor("서지우"), edits={post["key"]: bad}
    )
    assert blocked.done == 0 and "F2" in blocked.blocked[post["key"]]
    assert {r["key"]: r for r in load_run(deps.store, run)}[post["key"]]["decision"] == "pending"
    assert review.outbox(deps.store) == []
    forced = decide(
        deps, run, [post["key"]], "approved", reviewer=actor("한지민"), edits={post["key"]: bad},
        override_reason="고객과 통화로 내일 해결을 약속함",
    )  # fmt: skip
    assert forced.done == 1
    queued = review.outbox(deps.store)
    assert [q.text for q in queued] == [bad] and queued[0].reviewer == "한지민"
    events = deps.store.list_events(draft_id=post["draft_id"])
    approved = [e for e in events if e["kind"] == "draft.approved"]
    assert approved and approved[0]["actor"] == "한지민"
    assert approved[0]["payload"]["override_reason"] == "고객과 통화로 내일 해결을 약속함"
    assert "F2" in approved[0]["payload"]["findings"]
    stats = review.analytics(deps.store)
    assert stats["overrides"] == 1 and stats["drafts_by_status"]["approved"] == 1


def test_cli_bulk_json_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    data = tmp_path / "d"
    data.mkdir()
    posts = _small_file(tmp_path, n=2)
    with pytest.raises(SystemExit) as done:
        main(
            [
                "bulk",
                str(posts),
                "--out",
                str(tmp_path / "o.jsonl"),
                "--json",
                "--data-dir",
                str(data),
            ]
        )
    assert done.value.code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_status"]["drafted"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SystemExit) as failed:
        main(["bulk", str(bad), "--out", str(tmp_path / "o2.jsonl"), "--data-dir", str(data)])
    assert failed.value.code == 2
    assert str(bad) in capsys.readouterr().err


def test_workers_do_not_rerun_the_calling_script(tmp_path: Path, monkeypatch: Any) -> None:
    """A run started from a page (Streamlit runs pages as ``__main__``) must not run that page
    again in each worker process."""
    import sys
    import types

    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n", encoding="utf-8")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    posts = _small_file(tmp_path, n=6)
    out = tmp_path / "out.jsonl"
    with FakeLLM(default="Sorry for the trouble; please DM us.") as fake:
        deps = _deps(tmp_path / "d", model="openai/fake", api_base=fake.api_base)
        opts = BulkOptions(concurrency=2, workers=2, llm_extra={"api_key": "test-key"}, **FAST)
        result = run_bulk(deps, posts, out, opts)
    assert result.summary["run"]["workers"] == 2 and not result.summary["run"]["worker_errors"]
    assert result.summary["by_status"]["drafted"] == 6
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main
