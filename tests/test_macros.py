"""Team macros: checked by the playbook when saved and after the help center changes,
rendered in a sandbox, inserted into a draft with their use recorded, and moved as YAML."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.errors import PermissionDenied
from assistant.knowledge import KnowledgeBase
from assistant.macros import (
    Macro,
    MacroError,
    MacroRefused,
    Team,
    insert_into,
    list_macros,
    remove,
    save,
    usage,
)
from assistant.store import Store
from tests.actors import actor

REFUND_KO = (
    "{{ customer.name }} 고객님, 환불은 [환불 정책]({{ article('refunds') }})에서 "
    "확인하실 수 있습니다. 문의해 주셔서 감사합니다.\n\n상담원 {{ agent.name }}"
)


def open_demo(data: Path) -> tuple[Store, Team]:
    settings = load_settings(data_dir=data)
    return Store.from_settings(settings), Team.of(KnowledgeBase(settings), settings, "en")


def cli(
    args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = ""
) -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(args)
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_a_checked_macro_renders_for_the_customer_with_the_article_in_its_language(
    demo_data: Path,
) -> None:
    store, team = open_demo(demo_data)
    saved = save(store, Macro(name="refund-ko", lang="ko", title="환불 안내", body=REFUND_KO), team,
                 actor=actor("lead"))  # fmt: skip
    assert saved.status == "ok" and [m.name for m in list_macros(store)] == ["refund-ko"]
    text = insert_into(store, "refund-ko", "", team, customer={"name": "정현우"}, agent="서지우",
                       draft_id=None)  # fmt: skip
    assert text.startswith("정현우 고객님")
    assert "(https://help.harunotes.example/ko/articles/refunds)" in text
    assert text.endswith("감사합니다.\n\n상담원 서지우")


@pytest.mark.parametrize(
    ("lang", "body", "rule"),
    [
        ("ko", "환불 정책을 확인해.", "F9"),  # 반말
        ("ko", "{{ customer.name }} 고객님, 환불은 100% 보장해 드립니다.", "F2"),
        ("en", "We guarantee a full refund today.", "F2"),
        ("en", "See https://evil.example/refund for details, {{ customer.name }}.", "F7"),
    ],
)
def test_the_playbook_refuses_a_macro_with_an_error_and_nothing_is_stored(
    demo_data: Path, lang: str, body: str, rule: str
) -> None:
    store, team = open_demo(demo_data)
    with pytest.raises(MacroRefused) as refused:
        save(store, Macro(name="bad", lang=lang, title="t", body=body), team, actor=actor("lead"))  # type: ignore[arg-type]
    assert rule in {f.rule for f in refused.value.findings}
    assert list_macros(store) == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ customer.nmae }} 고객님", "'customer.nmae'"),
        ("{{ order_id }} 주문 건", "'order_id'"),
        ("{{ article('no-such-article') }}", "'no-such-article'"),
    ],
)
def test_a_bad_variable_is_one_line_naming_the_macro_and_the_variable(
    demo_data: Path, body: str, named: str
) -> None:
    store, team = open_demo(demo_data)
    with pytest.raises((MacroError, MacroRefused)) as err:
        save(store, Macro(name="vip", lang="ko", title="t", body=body), team, actor=actor("lead"))
    message = str(err.value)
    assert "'vip'" in message and named in message and "\n" not in message


def test_the_sandbox_keeps_a_macro_away_from_python(demo_data: Path) -> None:
    store, team = open_demo(demo_data)
    body = "{{ customer.name.__class__.__mro__ }} 고객님"
    with pytest.raises(MacroError, match="'sneaky'"):
        save(
            store, Macro(name="sneaky", lang="ko", title="t", body=body), team, actor=actor("lead")
        )


def test_only_a_lead_manages_macros_in_the_workspace(demo_data: Path) -> None:
    store, team = open_demo(demo_data)
    with pytest.raises(PermissionDenied):
        save(store, Macro(name="x", lang="ko", title="t", body="안녕하세요."), team,
             actor=actor("agent1", role="agent"))  # fmt: skip


def test_a_macro_whose_article_is_gone_is_flagged_after_ingest(
    demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "team-kb"
    folder.mkdir()
    article = folder / "vip-care.md"
    article.write_text(
        "---\nid: team/vip-care\ntitle: VIP care\nurl: https://help.harunotes.example/en/articles/vip-care\n"
        "lang: en\n---\n# VIP care\n\nVIP customers get a named contact.\n",
        encoding="utf-8",
    )
    assert cli(["ingest", str(folder)], capsys)[0] == 0
    body = tmp_path / "vip.j2"
    body.write_text("Your named contact is described in {{ article('team/vip-care') }}.", "utf-8")
    code, out, _ = cli(["macros", "add", "vip-en", "--lang", "en", "--title", "VIP",
                        "--body", str(body), "--json"], capsys)  # fmt: skip
    assert code == 0 and json.loads(out)["macros"][0]["status"] == "ok"
    article.unlink()
    code, _, err = cli(["ingest", "--prune", str(folder)], capsys)
    assert code == 0 and "vip-en" in err
    listed = json.loads(cli(["macros", "list", "--json"], capsys)[1])["macros"]
    assert listed[0]["status"] == "flagged" and listed[0]["findings"][0]["rule"] == "F7"
    store, team = open_demo(demo_data)
    with pytest.raises(MacroError, match="flagged"):
        insert_into(store, "vip-en", "", team, customer={"name": "A"}, agent="B", draft_id=None)


def test_cli_add_refuses_with_exit_1_and_a_bad_variable_is_exit_2(
    demo_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(["macros", "add", "rude", "--title", "t", "--body", "-", "--json"],
                         capsys, stdin="빨리 확인해.")  # fmt: skip
    assert code == 1 and json.loads(out)["findings"][0]["rule"] == "F9" and "refused" in err
    code, out, err = cli(["macros", "add", "typo", "--title", "t", "--body", "-"], capsys,
                         stdin="{{ agent.nmae }} 드림")  # fmt: skip
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "agent.nmae" in err


def test_yaml_export_and_import_round_trip_and_a_bad_file_names_its_line(
    demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, team = open_demo(demo_data)
    save(store, Macro(name="refund-ko", lang="ko", title="환불 안내", body=REFUND_KO), team,
         actor="cli")  # fmt: skip
    exported = tmp_path / "macros.yaml"
    assert cli(["macros", "export", str(exported)], capsys)[0] == 0
    text = exported.read_text(encoding="utf-8")
    assert "환불 안내" in text and "{{ customer.name }}" in text
    remove(store, "refund-ko", actor="cli")
    code, out, _ = cli(["macros", "import", str(exported), "--json"], capsys)
    assert code == 0 and json.loads(out)["macros"][0]["body"] == REFUND_KO
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "macros:\n  - name: first\n    lang: en\n    title: t\n    body: Thank you.\n"
        "  - name: second\n    lang: ko\n    title: t\n    body: '{{ x }}'\n",
        encoding="utf-8",
    )
    code, out, err = cli(["macros", "import", str(bad)], capsys)
    assert code == 2 and f"{bad}:6:" in err and "'x'" in err
    assert [m.name for m in list_macros(store)] == ["refund-ko"]


def test_usage_counts_uses_and_the_edits_made_after_inserting(demo_data: Path) -> None:
    from assistant import review

    store, team = open_demo(demo_data)
    save(store, Macro(name="refund-ko", lang="ko", title="환불 안내", body=REFUND_KO), team,
         actor="cli")  # fmt: skip
    draft_id = store.create_draft(status="ready", message="환불 되나요?", language="ko",
                                  output="안녕하세요.", findings=[])  # fmt: skip
    after = insert_into(store, "refund-ko", "안녕하세요.", team, customer={"name": "정현우"},
                        agent="서지우", draft_id=draft_id)  # fmt: skip
    assert after.startswith("안녕하세요.\n\n정현우 고객님")
    review.approve(store, draft_id, final_text=after + " 감사합니다.", reviewer=actor("서지우"),
                   expected_version=1)  # fmt: skip
    [row] = usage(store)
    assert row["macro"] == "refund-ko" and row["uses"] == 1 and row["approved"] == 1
    assert row["edit_distance_median"] == len(" 감사합니다.")


def test_forgetting_the_customer_blanks_the_text_a_macro_left_in_their_draft(
    demo_data: Path,
) -> None:
    from assistant.privacy import forget_customer

    store, team = open_demo(demo_data)
    save(store, Macro(name="refund-ko", lang="ko", title="환불 안내", body=REFUND_KO), team,
         actor="cli")  # fmt: skip
    draft_id = store.create_draft(status="ready", customer_id="cus_ko_hyunwoo", message="환불",
                                  language="ko", output="안녕하세요.", findings=[])  # fmt: skip
    insert_into(store, "refund-ko", "안녕하세요.", team, customer={"name": "정현우"},
                agent="서지우", draft_id=draft_id)  # fmt: skip
    forget_customer(store, "cus_ko_hyunwoo", actor("admin", role="admin"))
    [row] = usage(store)
    assert row["uses"] == 1  # the count stays
    with store.engine.connect() as conn:
        from sqlalchemy import select

        from assistant import store as tables

        assert conn.execute(select(tables.macro_uses.c.text_after)).scalar_one() == ""
