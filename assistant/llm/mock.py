"""The ``mock/<name>`` eval model and the eval response cache.

**The mock model** answers through litellm's ``mock_response`` with a reply built
deterministically from the *rendered prompt* (never from the labels of the case). It is a
literal-minded reader of the prompt, so that a change in what a prompt states shows up as a
change in the reply:

- language: Korean (존댓말) when the system prompt asks for Korean, else English; in 해요체
  when it names that speech level (``Speech level for this channel: 해요체``), else in 하십시오체;
- moves: one sentence for every rule id on the ``Required for this message:`` line
  (R1 restates the customer's words, R2 links the first URL found in ``<sources>``, marked
  "(영문)" / "(in Korean)" when the prompt says that article is in the other language,
  R3 thanks, R4 apologises, R5 gives a window of two business days after ``Today is``,
  R6 greets the customer named on the ``Customer:`` line and introduces the team);
- situations: one sentence for each situation on the ``Situations detected:`` line;
- shape: a DM invitation when the prompt says the reply is PUBLIC, a signature when it asks
  for one (``signature from NAME``);
- length: it trims to the character number the prompt states. It counts one per character
  unless the prompt says how the platform counts (a line containing ``count double`` or
  ``counts double``: then it counts as the platform does, see ``playbook.count_chars``).
  A ``Length budget: at most N`` line wins over ``fit in N characters``.

What this measures: whether a prompt *states* each requirement explicitly enough for a model
that follows instructions to the letter. It says nothing about a real model's fluency or
judgement; use a real model (any litellm string) for that. The ``<name>`` part is a label
only: every ``mock/*`` model behaves the same way.

**The other model steps** get mock answers the same way, read from their rendered prompts:

- triage (``triage_message``): the rules' triage (:func:`assistant.triage.triage_rules`) of
  the text in ``<message>``, with only the JSON fields the prompt names and only the situation
  ids it defines;
- the playbook judge (``playbook_judge``): the rule-based checker's findings on the text in
  ``<draft>`` (channel, situations and customer message from their blocks), for the rules the
  prompt lists, with their quotes;
- the rubric judge (``rubric_judge``): the share of the rubric's quoted phrases ("like this")
  found in ``<reply>`` (1 when the rubric quotes nothing and the reply is not empty), when the
  prompt asks for ``"score"`` and ``"reason"``.

They prove that each prompt carries what its step needs and that the structured answer is
parsed and used; they say nothing about how well a real model classifies or judges.

**The cache** (``<data_dir>/eval-cache.sqlite``) keeps model answers keyed by model, rendered
messages and parameters, so rerunning an eval costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any

from assistant.config import brand

MOCK_PREFIX = "mock/"
_REQUIRED = re.compile(r"Required for this message:\s*([R\d, ]+)")
_SITUATIONS = re.compile(r"Situations detected:\s*([S\d, ]+|none)")
_BUDGET = re.compile(r"Length budget:[^\n\d]*(\d+)")
_FIT = re.compile(r"fit in (\d+) characters")
_SIGNATURE = re.compile(r"signature from ([^\n.]+)")
_CUSTOMER = re.compile(r"^Customer: (.+?) \(plan", re.M)
_TODAY = re.compile(r"Today is (\d{4}-\d{2}-\d{2})")
_SOURCE_URL = re.compile(r"^\[\d+\] .*? — (https?://\S+)", re.M)
_SOURCE_MARK = re.compile(r"^\[1\] .*? — https?://\S+ \(in (English|Korean):", re.M)
_MESSAGE = re.compile(r"^<customer_message>\n(.*?)\n</customer_message>", re.S | re.M)
_COMPANY = re.compile(r"customer-support team of ([^.\n]+)\.")
_LEVEL = re.compile(r"^Speech level for this channel: (해요체|하십시오체)", re.M)

_KO = {
    "greet": "안녕하세요, {name}. {company} 고객지원팀입니다.",
    "R1": "{issue}라고 문의하신 내용 잘 확인했습니다.",
    "R3": "직접 알려 주셔서 감사합니다.",
    "R4": "이용에 불편을 드려 정말 죄송합니다.",
    "R2": "자세한 방법은 {url} 에서 확인하실 수 있습니다.",
    "R5": "담당 팀에 확인한 뒤 영업일 기준 2일 이내({window}) 다시 연락드리겠습니다.",
    "S1": "많이 답답하셨을 마음 충분히 이해합니다.",
    "S2": "환불을 원하시는 이유를 알려 주시면 더 알맞은 방법이 있는지 함께 살펴보겠습니다.",
    "S3": "요청하신 해지는 말씀하신 대로 처리해 드리겠습니다.",
    "S4": "사용 중인 기기와 앱 버전, 문제가 생기기 전 하신 동작을 알려 주시면 큰 도움이 됩니다.",
    "S5": "이 부분은 제가 바로 결정할 수 없어 담당 팀에 확인하겠습니다.",
    "S7": "같은 문제를 겪는 분들이 있어 제품팀이 원인을 살펴보고 있습니다.",
    "S8": "따뜻한 말씀에 팀 모두 힘을 얻었습니다.",
    "dm": "계정 확인이 필요한 내용은 DM으로 보내 주시면 안내해 드리겠습니다.",
    "sign": "감사합니다.\n{agent} 드림\n하루노트 고객지원팀",
}
_EN = {
    "greet": "Hi {name}, this is the {company} support team.",
    "R1": "You wrote: {issue}.",
    "R3": "Thank you for letting us know.",
    "R4": "I'm sorry for the trouble this has caused.",
    "R2": "The steps are here: {url}",
    "R5": "I'll check with the team responsible and get back to you {window}.",
    "S1": "I understand how frustrating this is.",
    "S2": "Could you tell me why you would like a refund, so we can look for the best option?",
    "S3": "We will cancel your subscription as you asked.",
    "S4": "Could you share your device, app version and the steps that led to the problem?",
    "S5": "This is not something I can decide myself, so I will check with the team.",
    "S7": "Other customers have reported this as well, and our engineers are investigating it.",
    "S8": "Your kind words made the whole team's day.",
    "dm": "Please send us a DM so we can look at your account privately.",
    "sign": "Best regards,\n{agent}",
}
_MARKS = {("ko", "English"): " (영문)", ("en", "Korean"): " (in Korean)"}
"""How a reply marks its link to an article the prompt says is in the other language."""
# Dropped first when the reply is over its length: least essential last in this list.
_KEEP_ORDER = ("R1", "R3", "R4", "R2", "dm", "R5", "greet", "S3", "S2", "S5", "S4", "S1")


def is_mock(model: str) -> bool:
    """True for ``mock/<name>`` model strings."""
    return model.startswith(MOCK_PREFIX)


def litellm_model(model: str) -> str:
    """The litellm model string for an eval model (``mock/x`` → an OpenAI-shaped name)."""
    return "openai/mock-" + model.split("/", 1)[1] if is_mock(model) else model


def _prompt_facts(messages: list[dict[str, str]]) -> dict[str, Any]:
    system, user = _roles(messages)

    def find(rx: re.Pattern[str], default: str = "", where: str = "system") -> str:
        m = rx.search(system if where == "system" else user)
        return m.group(1).strip() if m else default

    required = [r.strip() for r in find(_REQUIRED).split(",") if r.strip()]
    situations = [s.strip() for s in find(_SITUATIONS).split(",") if s.strip().startswith("S")]
    budget = find(_BUDGET) or find(_FIT)
    return {
        "ko": "in Korean" in system,
        "haeyo": find(_LEVEL) == "해요체",
        "public": "PUBLIC reply" in system,
        "required": required,
        "situations": situations,
        "budget": int(budget) if budget else None,
        "weighted": bool(re.search(r"counts? double", system)),
        "agent": find(_SIGNATURE),
        "company": find(_COMPANY, brand().company),
        "name": find(_CUSTOMER, where="user"),
        "today": find(_TODAY, where="user"),
        "url": find(_SOURCE_URL, where="user"),
        "mark": find(_SOURCE_MARK, where="user"),
        "message": find(_MESSAGE, where="user"),
    }


def _parts(facts: dict[str, Any]) -> dict[str, str]:
    from assistant.llm.offline import business_days_after, format_window, issue_phrase

    ko = facts["ko"]
    words = _KO if ko else _EN
    lang = "ko" if ko else "en"
    today = date.fromisoformat(facts["today"]) if facts["today"] else date(2025, 1, 6)
    issue = issue_phrase(facts["message"], lang) if facts["message"] else ""
    fill = {
        "name": (facts["name"] + (" 고객님" if ko else ""))
        if facts["name"]
        else ("고객님" if ko else "there"),
        "company": facts["company"],
        "issue": issue or ("도움이 필요하다" if ko else "you need a hand with the app"),
        "url": facts["url"] + _MARKS.get((lang, facts["mark"]), ""),
        "window": format_window(business_days_after(today, 2), lang).removesuffix("까지"),
        "agent": facts["agent"],
    }
    wanted = ["greet"] if "R6" in facts["required"] else []
    wanted += [s for s in facts["situations"] if s in words]
    wanted += [r for r in ("R1", "R3", "R4", "R2", "R5") if r in facts["required"]]
    if "R2" in wanted and not facts["url"]:
        wanted.remove("R2")
    if facts["public"]:
        wanted.append("dm")
    return {key: words[key].format(**fill) for key in wanted}


def mock_reply(messages: list[dict[str, str]], channel: str = "email") -> str:
    """The deterministic reply of a ``mock/*`` model to these rendered messages (see module)."""
    from assistant.playbook import count_chars

    facts = _prompt_facts(messages)
    parts = _parts(facts)
    words = _KO if facts["ko"] else _EN
    signature = words["sign"].format(agent=facts["agent"]) if facts["agent"] else ""

    def text_of(keys: list[str]) -> str:
        body = " ".join(parts[k] for k in keys)
        return body + ("\n\n" + signature if signature else "")

    def length(text: str) -> int:
        return count_chars(text, channel) if facts["weighted"] else len(text)

    if facts["ko"] and facts["haeyo"]:
        from assistant.speech import HAEYO, convert

        parts = {k: convert(v, HAEYO).text for k, v in parts.items()}
    keys = list(parts)
    budget = facts["budget"]
    while budget and keys and length(text_of(keys)) > budget:
        drop = next((k for k in reversed(_KEEP_ORDER) if k in keys), keys[-1])
        keys.remove(drop)
    return text_of(keys).strip()


def _roles(messages: list[dict[str, str]]) -> tuple[str, str]:
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    user = next((m["content"] for m in messages if m["role"] == "user"), "")
    return system, user


def _block(tag: str, text: str) -> str:
    """The content of the fenced ``<tag>`` block in ``text`` ("" when there is none)."""
    found = re.search(rf"^<{tag}>\n(.*?)\n</{tag}>", text, re.S | re.M)
    return found.group(1) if found else ""


def mock_triage(messages: list[dict[str, str]]) -> str:
    """The ``mock/*`` answer to a rendered triage prompt (see the module), as JSON."""
    from assistant.triage import triage_rules

    system, user = _roles(messages)
    asked = set(re.findall(r'"(\w+)":', system))
    defined = set(re.findall(r"\bS\d\b", system))
    tri = triage_rules(_block("message", user))
    answer: dict[str, Any] = {
        "language": tri.language,
        "situations": [s for s in tri.situations if s in defined],
        "sentiment": tri.sentiment,
        "urgency": tri.urgency,
        "spam": tri.spam,
    }
    return json.dumps({k: v for k, v in answer.items() if k in asked}, ensure_ascii=False)


def mock_findings(messages: list[dict[str, str]]) -> str:
    """The ``mock/*`` answer to a rendered playbook-judge prompt (see the module), as JSON."""
    from assistant.config import CHANNELS
    from assistant.playbook import check

    _, user = _roles(messages)
    listed = set(re.findall(r"^- ([A-Z]\d+): ", user, re.M))
    channel = _block("channel", user).strip()
    situations = re.findall(r"\bS\d\b", _block("situations", user))
    result = check(
        _block("draft", user),
        channel=channel if channel in CHANNELS else "email",
        customer_message=_block("customer_message", user) or None,
        situations=situations or None,
        ui_lang="en",
    )
    findings = [
        {"rule": f.rule, "quote": f.quote, "message": f.message, "fix": f.fix}
        for f in result.findings
        if f.rule in listed
    ]
    return json.dumps({"findings": findings}, ensure_ascii=False)


def mock_judgement(messages: list[dict[str, str]]) -> str:
    """The ``mock/*`` answer to a rendered rubric-judge prompt (see the module), as JSON."""
    system, user = _roles(messages)
    if '"score"' not in system or '"reason"' not in system:
        return json.dumps({"verdict": "the prompt asks for no score and reason"})
    rubric, reply = _block("rubric", user), _block("reply", user)
    phrases = [a or b for a, b in re.findall(r'"([^"\n]+)"|“([^”\n]+)”', rubric)]
    if not phrases:
        score = 1.0 if reply.strip() else 0.0
        reason = "the rubric quotes nothing; " + ("a reply is there" if score else "no reply")
    else:
        missing = [p for p in phrases if p not in reply]
        score = round(1 - len(missing) / len(phrases), 4)
        reason = f"missing {missing[0]!r}" if missing else "every quoted phrase is there"
    return json.dumps({"score": score, "reason": reason}, ensure_ascii=False)


class ResponseCache:
    """Model answers in SQLite, keyed by model + rendered messages + parameters.

    One connection, kept open and shared under a lock, in WAL mode with ``synchronous=NORMAL``
    (an answer costs a write, not an fsync: a crash loses at most the last answers, which are
    asked again). Several processes may share the file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        with self._lock, self._db as db:
            with contextlib.suppress(sqlite3.OperationalError):  # locked: stays as it is
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT NOT NULL,"
                " text TEXT NOT NULL, usage TEXT NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP)"
            )

    def close(self) -> None:
        """Close the connection (it is also closed when the cache is collected)."""
        with self._lock:
            self._db.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()

    @staticmethod
    def key(model: str, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        """A stable hash of what determines the answer."""
        blob = json.dumps([model, messages, params], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The cached ``(text, usage)`` for ``key``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT text, usage FROM responses WHERE key = ?", (key,)
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def put(self, key: str, model: str, text: str, usage: dict[str, Any]) -> None:
        """Store an answer (replacing any earlier one for the same key)."""
        with self._lock, self._db as db:
            db.execute(
                "INSERT OR REPLACE INTO responses (key, model, text, usage) VALUES (?, ?, ?, ?)",
                (key, model, text, json.dumps(usage)),
            )
