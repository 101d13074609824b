"""The help center: ingest, hybrid search in Korean and English, retriever, retrieval quality."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import InputError
from assistant.evals.retrieval import evaluate_retrieval
from assistant.knowledge import KnowledgeBase, default_knowledge_dir
from assistant.knowledge.files import chunk_markdown

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The shipped help center, indexed once for the whole session."""
    data = tmp_path_factory.mktemp("demo-data")
    kb = KnowledgeBase(load_settings(data_dir=data))
    report = kb.ingest([default_knowledge_dir()])
    assert report.added >= 30 and report.chunks > report.added
    return kb


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return KnowledgeBase(load_settings(data_dir=tmp_path / "kb-data"))


def _article(path: Path, title: str, body: str, lang: str = "en", **extra: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {"title": title, "lang": lang, "url": f"https://help.example/{path.stem}", **extra}
    front = "\n".join(f"{k}: {v}" for k, v in fields.items())
    path.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")
    return path


# ----- the demo help center ----------------------------------------------------------------


def test_demo_help_center_has_both_languages_and_one_language_topics(
    demo_kb: KnowledgeBase,
) -> None:
    docs = {d["doc_id"]: d for d in demo_kb.documents()}
    assert demo_kb.count() == len(docs) >= 30
    assert {d["lang"] for d in docs.values()} == {"ko", "en"}
    assert "ko/kakaotalk-channel" in docs and "en/kakaotalk-channel" not in docs
    assert "en/team-sso" in docs and "ko/team-sso" not in docs
    for doc in docs.values():
        assert doc["url"].startswith(f"https://help.harunotes.example/{doc['lang']}/articles/")
    assert "https://help.harunotes.example/ko/articles/refunds" in demo_kb.known_urls()


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("비밀번호를 잊어버려서 로그인을 못 하고 있어요", "ko", "ko/password-reset"),
        ("구독을 해지하고 싶은데 어디서 하나요", "ko", "ko/cancel-subscription"),
        ("I forgot my password and cannot sign in", "en", "en/password-reset"),
        ("my notes don't sync between phone and laptop", "en", "en/sync-troubleshooting"),
    ],
)
def test_search_finds_the_article_in_the_customers_language(
    demo_kb: KnowledgeBase, query: str, lang: str, expected: str
) -> None:
    hits = demo_kb.search(query, k=3)
    assert hits[0].doc_id == expected
    assert hits[0].lang == lang and f"/{lang}/articles/" in hits[0].url
    assert hits[0].snippet and hits[0].text.startswith(hits[0].snippet.rstrip("…"))
    assert hits[0].score == 1.0 and all(h.score <= 1.0 for h in hits)
    assert len({h.doc_id for h in hits}) == len(hits)


def test_translation_is_not_listed_twice(demo_kb: KnowledgeBase) -> None:
    ids = [h.doc_id for h in demo_kb.search("비밀번호 재설정", k=5, lang="ko")]
    assert "ko/password-reset" in ids and "en/password-reset" not in ids
    en_ids = [h.doc_id for h in demo_kb.search("비밀번호 재설정", k=5, lang="en")]
    assert "en/password-reset" in en_ids and "ko/password-reset" not in en_ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("회사 계정으로 SSO 로그인을 설정하고 싶어요", "en/team-sso"),
        ("Can I talk to support on KakaoTalk?", "ko/kakaotalk-channel"),
    ],
)
def test_cross_lingual_search_finds_articles_only_in_the_other_language(
    demo_kb: KnowledgeBase, query: str, expected: str
) -> None:
    assert expected in [h.doc_id for h in demo_kb.search(query, k=3)]


@pytest.mark.parametrize("query", ["", "   \n"])
def test_empty_query_is_an_input_error(demo_kb: KnowledgeBase, query: str) -> None:
    with pytest.raises(InputError, match="empty query"):
        demo_kb.search(query)


def test_search_before_init_says_what_to_run(tmp_path: Path) -> None:
    kb = KnowledgeBase(load_settings(data_dir=tmp_path / "missing"))
    with pytest.raises(InputError, match="reply-assistant init"):
        kb.search("password")
    assert kb.count() == 0 and kb.documents() == []


def test_langchain_retriever_returns_documents_with_sources(demo_kb: KnowledgeBase) -> None:
    from langchain_core.documents import Document

    docs = demo_kb.as_retriever(k=2).invoke("환불 받고 싶어요")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["doc_id"] == "ko/refunds"
    assert docs[0].metadata["url"].endswith("/ko/articles/refunds")
    assert "환불" in docs[0].page_content


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("요금제를 플러스에서 무료로 바꾸고 싶어요", "ko", "ko/change-plan"),
        ("How do I downgrade from Plus to Free?", "en", "en/change-plan"),
        ("실수로 지운 노트를 되살리고 싶어요", "ko", "ko/trash-restore"),
        ("I deleted a note by accident, can I restore it?", "en", "en/trash-version-history"),
        ("I deleted a note by accident, can I restore it?", "ko", "ko/trash-restore"),
        ("iPhone에서 sync가 안 돼요. 노트가 Mac에 안 보여요", "ko", "ko/sync-troubleshooting"),
    ],
)
def test_a_reply_links_the_article_in_its_own_language_where_one_exists(
    demo_kb: KnowledgeBase, query: str, lang: str, expected: str
) -> None:
    """Ranked across languages, then each hit is its translation in the reply's language
    (pairs named by the front matter's ``key``, like ko/trash-restore and
    en/trash-version-history), and other-language articles go when the reply's exist."""
    links = demo_kb.in_language(demo_kb.search(query, k=4, lang=lang), lang)
    assert links[0].doc_id == expected
    assert all(h.lang == lang for h in links), [h.doc_id for h in links]
    assert len({h.doc_id for h in links}) == len(links)


def test_an_article_only_in_the_other_language_is_still_linked(demo_kb: KnowledgeBase) -> None:
    links = demo_kb.in_language(
        demo_kb.search("회사 계정으로 SSO 로그인을 설정하려면 어떻게 하나요?", k=4, lang="ko"), "ko"
    )
    assert links[0].doc_id == "en/team-sso" and links[0].lang == "en"
    assert all(h.lang == "ko" for h in links[1:])


def test_a_pinned_article_becomes_its_translation(demo_kb: KnowledgeBase) -> None:
    pinned = [demo_kb.get("en/refunds"), demo_kb.get("en/team-sso")]
    swapped = demo_kb.translated([h for h in pinned if h is not None], "ko")
    assert [h.doc_id for h in swapped] == ["ko/refunds", "en/team-sso"]
    assert swapped[0].url.endswith("/ko/articles/refunds")


def test_bilingual_set_links_only_the_reply_language_where_it_exists(
    demo_kb: KnowledgeBase,
) -> None:
    report = evaluate_retrieval(demo_kb, REPO / "evals" / "retrieval_bilingual.jsonl", k=3)
    links = report["links"]
    assert links["n_translated"] >= 20 and links["n"] > links["n_translated"]
    wrong = [
        c["id"] for c in report["cases"] if c["category"] != "cross" and not c["links_in_language"]
    ]
    assert links["all_in_reply_language_where_translated"] == 1.0, wrong
    assert report["overall"]["hit@3"] >= 0.95


def test_shipped_retrieval_set_meets_the_targets(demo_kb: KnowledgeBase) -> None:
    report = evaluate_retrieval(demo_kb, REPO / "evals" / "retrieval.jsonl", k=3)
    assert report["overall"]["n"] >= 40
    assert set(report["by_category"]) == {"ko", "en", "cross"}
    failed = [c for c in report["cases"] if c["rank"] is None]
    assert report["overall"]["hit@3"] >= 0.95, failed
    assert report["overall"]["hit@1"] >= 0.8
    assert 0 < report["overall"]["mrr"] <= 1
    assert report["links"]["all_in_reply_language_where_translated"] == 1.0


# ----- ingest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "where"),
    [
        ("title: [unclosed\nlang: en", "bad.md:3: malformed front matter"),
        ("lang: en\nurl: https://x.example", "bad.md: title"),
        ("title: Hello\nlang: jp", "bad.md: lang"),
        ("- just\n- a list", "bad.md:2"),
        ("title: Hello\ntags: {a: 1}", "bad.md: tags"),
    ],
)
def test_bad_front_matter_names_the_file_and_field(
    kb: KnowledgeBase, tmp_path: Path, front: str, where: str
) -> None:
    bad = tmp_path / "docs" / "bad.md"
    bad.parent.mkdir()
    bad.write_text(f"---\n{front}\n---\nSome text here.\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        kb.ingest([bad.parent])
    assert where in str(err.value)


def test_binary_file_is_rejected_and_nothing_is_written(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _article(folder / "good.md", "Good", "Fine text.")
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match="broken.txt"):
        kb.ingest([folder])
    assert kb.count() == 0


def test_reingest_replaces_changed_and_skips_unchanged(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    first = _article(
        folder / "export.md", "Export", "## How\nUse the export menu to get a zip file."
    )
    _article(folder / "trash.md", "Trash", "Deleted notes stay in the trash for thirty days.")
    assert kb.ingest([folder]).model_dump() == {
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "chunks": 2,
    }
    _article(
        first, "Export", "## How\nExports now arrive as a PDF by email.\n\n## Why\nIt is faster."
    )
    report = kb.ingest([folder])
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 1, 1, 2)
    hit = kb.search("export notes", k=1)[0]
    assert hit.doc_id == "export" and "PDF by email" in hit.text
    texts = " ".join(h.text for h in kb.search("zip file export menu", k=5))
    assert "zip file" not in texts
    assert kb.ingest([folder]).unchanged == 2


def test_prune_removes_documents_whose_files_vanished(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _article(folder / "keep.md", "Keep", "Sync happens every few seconds.")
    gone = _article(folder / "sub" / "gone.md", "Gone", "Web clipper saves pages.")
    kb.ingest([folder])
    assert {d["doc_id"] for d in kb.documents()} == {"keep", "sub/gone"}
    gone.unlink()
    assert kb.ingest([folder]).removed == 0  # without prune nothing goes
    report = kb.ingest([folder], prune=True)
    assert (report.removed, report.unchanged) == (1, 1)
    assert [d["doc_id"] for d in kb.documents()] == ["keep"]
    assert "https://help.example/gone" not in kb.known_urls()
    assert all(h.doc_id != "sub/gone" for h in kb.search("web clipper saves pages"))


def test_front_matter_id_and_tags_are_kept(kb: KnowledgeBase, tmp_path: Path) -> None:
    _article(
        tmp_path / "d" / "a.md",
        "알림 설정",
        "알림을 끌 수 있습니다.",
        lang="ko",
        id="custom-id",
        tags="[알림, 설정]",
    )
    kb.ingest([tmp_path / "d"])
    assert kb.documents() == [
        {
            "doc_id": "custom-id",
            "title": "알림 설정",
            "lang": "ko",
            "url": "https://help.example/a",
            "tags": ["알림", "설정"],
            "key": "custom-id",
        }
    ]


def _pair(folder: Path, key_ko: str | None, key_en: str | None) -> None:
    """A Korean and an English article on one topic under different file names."""
    _article(folder / "ko" / "restore.md", "노트 복구", "휴지통에서 지운 노트를 복구할 수 있습니다.", "ko",
             **({"key": key_ko} if key_ko else {}))  # fmt: skip
    _article(folder / "en" / "recover.md", "Recover notes", "Deleted notes stay in the trash.", "en",
             **({"key": key_en} if key_en else {}))  # fmt: skip


def test_front_matter_key_pairs_translations_with_different_names(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    _pair(folder, None, None)
    kb.ingest([folder])
    assert {
        h.doc_id for h in kb.search("recover deleted notes from the trash", k=2, lang="ko")
    } == {
        "ko/restore",
        "en/recover",
    }  # no key: two articles
    _pair(folder, "restore", "restore")
    assert kb.ingest([folder]).updated == 2
    for reopened in (kb, KnowledgeBase(kb.settings)):  # this process, and a fresh one's saved view
        ids = [h.doc_id for h in reopened.search("recover deleted notes from the trash", lang="ko")]
        assert ids == ["ko/restore"]
        assert (
            reopened.translated([h for h in [reopened.get("en/recover")] if h], "ko")[0].lang
            == "ko"
        )
    assert {d["key"] for d in kb.documents()} == {"restore"}


def test_a_key_used_twice_in_one_language_names_the_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "help"
    _article(folder / "a.md", "Sync", "Sync happens every few seconds.", key="sync")
    _article(folder / "b.md", "Sync again", "Sync runs in the background.", key="sync")
    with pytest.raises(InputError) as err:
        kb.ingest([folder])
    assert "b.md: key" in str(err.value) and "a.md" in str(err.value)
    assert kb.count() == 0
    (folder / "b.md").unlink()
    kb.ingest([folder])
    other = _article(tmp_path / "later" / "c.md", "Sync later", "Sync is quick.", key="sync")
    with pytest.raises(InputError, match="c.md: key"):
        kb.ingest([other])  # against what is already stored, too


def test_a_stored_document_whose_key_differs_is_stored_again(tmp_path: Path) -> None:
    """Chunks stored before keys were kept carry none: the key derived from the id stands in,
    and a file whose front matter names another key is not skipped as unchanged."""
    from assistant.knowledge.files import parse_file
    from assistant.knowledge.ingest import intact

    path = _article(tmp_path / "ko" / "restore.md", "복구", "노트를 복구합니다.", "ko", key="trash")
    doc = parse_file(path, tmp_path, chunk=False)
    old = {"doc_id": "ko/restore", "hash": doc.digest, "chunks": 1, "n_chunks": 1}
    assert not intact(old, doc)
    assert intact({**old, "key": "trash"}, doc)
    plain = parse_file(
        _article(tmp_path / "ko" / "plain.md", "평범", "본문입니다.", "ko"), tmp_path, chunk=False
    )
    assert intact({"doc_id": "ko/plain", "hash": plain.digest, "chunks": 1}, plain)


def test_txt_and_html_files_are_ingested(kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "faq.txt").write_text("# Shipping FAQ\nParcels leave the warehouse daily.", "utf-8")
    (folder / "page.html").write_text(
        "<html><head><title>Gift cards</title><style>p{color:red}</style></head><body>"
        "<h1>Gift cards</h1><h2>Redeem</h2><p>Enter the gift code at checkout.</p>"
        "<script>var tracking = 1;</script></body></html>",
        "utf-8",
    )
    assert kb.ingest([folder]).added == 2
    titles = {d["doc_id"]: d["title"] for d in kb.documents()}
    assert titles == {"faq": "Shipping FAQ", "page": "Gift cards"}
    hit = kb.search("redeem gift code", k=1)[0]
    assert hit.doc_id == "page" and "checkout" in hit.text
    assert "tracking" not in hit.text and "color" not in hit.text


def test_korean_chunks_end_on_sentence_endings() -> None:
    body = (
        "## 환불\n결제일로부터 7일 이내라면 환불해 드립니다. 중복 결제는 언제나 환불됩니다. "
        "앱스토어 결제는 스토어에서 요청하셔야 해요. 카드사 반영까지 며칠 걸릴 수 있습니까? "
        "문의는 언제든지 환영합니다."
    )
    chunks = chunk_markdown(body, "환불 안내", max_chars=60)
    assert len(chunks) >= 3
    assert all(c.heading == "환불" for c in chunks)
    assert all(c.text.endswith(("다.", "요.", "까?")) for c in chunks)
    assert " ".join(c.text for c in chunks).count("환불") == body.count("환불") - 1


def test_reopened_index_searches_without_reingest(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "persist")
    _article(tmp_path / "d" / "x.md", "Locked notes", "Locked notes are end-to-end encrypted.")
    KnowledgeBase(settings).ingest([tmp_path / "d"])
    reopened = KnowledgeBase(settings)
    assert reopened.count() == 1
    assert reopened.search("encryption", k=1)[0].doc_id == "x"


# ----- a litellm embedding model on a local fake server ---------------------------------------


class _FakeEmbeddings(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(inputs):
            words = str(text).lower().split()
            vector = [0.0] * 16
            for word in words:
                vector[hashlib.sha1(word.encode()).digest()[0] % 16] += 1.0
            data.append({"object": "embedding", "index": i, "embedding": vector})
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_embedding_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FakeEmbeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_litellm_embedding_backend(
    tmp_path: Path, fake_embedding_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    settings = load_settings(
        data_dir=tmp_path / "llm", embedding="openai/fake-embed", api_base=fake_embedding_server
    )
    kb = KnowledgeBase(settings)
    _article(tmp_path / "d" / "a.md", "Refunds", "Refunds reach your card in a week.")
    _article(tmp_path / "d" / "b.md", "Sharing", "Invite people by email to edit together.")
    kb.ingest([tmp_path / "d"])
    assert kb.search("invite people to edit", k=1)[0].doc_id == "b"
