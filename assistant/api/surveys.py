"""The survey page of ``reply-assistant serve``: ``GET /s/{token}`` shows one CSAT (1-5) or
CES (1-7) question in the customer's language, ``POST /s/{token}`` stores the answer.

No sign-in: the token is the only key, so the page shows nothing but the question (no name,
no reply, no conversation) and is never cached or indexed, and its address is not sent on as
a referrer. A forged token is 404, an answered one 409, an expired one 410, each a short page.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant import surveys
from assistant.errors import InputError

router = APIRouter(include_in_schema=False)

TEXT: dict[str, dict[str, str]] = {
    "ko": {
        "title": "설문", "csat": "{company} 고객지원에 얼마나 만족하셨나요?",
        "ces": "문의하신 문제를 해결하기가 얼마나 쉬우셨나요?",
        "csat_low": "매우 불만족", "csat_high": "매우 만족",
        "ces_low": "매우 어려웠음", "ces_high": "매우 쉬웠음", "send": "보내기",
        "thanks": "소중한 의견 감사합니다.", "unknown": "유효하지 않은 설문 링크입니다.",
        "answered": "이미 응답하신 설문입니다. 감사합니다.",
        "expired": "응답 기간이 지난 설문입니다.", "pick": "점수를 하나 골라 주세요.",
    },
    "en": {
        "title": "Survey", "csat": "How satisfied are you with the help you got from {company}?",
        "ces": "How easy was it to get your issue resolved?",
        "csat_low": "Very unsatisfied", "csat_high": "Very satisfied",
        "ces_low": "Very difficult", "ces_high": "Very easy", "send": "Send",
        "thanks": "Thank you for your feedback.", "unknown": "This survey link is not valid.",
        "answered": "This survey has already been answered. Thank you.",
        "expired": "This survey has expired.", "pick": "Please pick one score.",
    },
}  # fmt: skip
STATUS = {"unknown": 404, "answered": 409, "expired": 410}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
STYLE = (
    "body{font-family:'NanumGothic','Noto Sans KR',system-ui,sans-serif;max-width:36rem;"
    "margin:3rem auto;padding:0 1rem;color:#222}fieldset{border:0;padding:0;display:flex;"
    "gap:.5rem;flex-wrap:wrap}label{border:1px solid #bbb;border-radius:.4rem;padding:.6rem .9rem;"
    "cursor:pointer}input[type=radio]{margin-right:.3rem}.ends{display:flex;"
    "justify-content:space-between;color:#666;font-size:.9rem;margin:.4rem 0 1.2rem}"
    "button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.4rem;border:0;background:#8b1e2d;"
    "color:#fff;cursor:pointer}"
)


def _lang(request: Request) -> str:
    header = (request.headers.get("accept-language") or "").strip().lower()
    return "en" if header.startswith("en") else "ko"


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    t = TEXT[lang]
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(t['title'])}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _message(lang: str, key: str, status: int = 200) -> HTMLResponse:
    return _page(lang, f"<main><p role='status'>{escape(TEXT[lang][key])}</p></main>", status)


def _company(request: Request, lang: str) -> str:
    settings = request.app.state.deps.settings
    return str(settings.company_ko if lang == "ko" else settings.company)


def _form(survey: surveys.Survey, company: str, note: str = "") -> str:
    t = TEXT[survey.lang]
    options = "".join(
        f'<label><input type="radio" name="score" value="{n}" required>{n}</label>'
        for n in range(1, surveys.SCALES[survey.kind] + 1)
    )
    question = escape(t[survey.kind].format(company=company))
    warn = f"<p role='alert'>{escape(note)}</p>" if note else ""
    return (
        f'<main><form method="post"><h1 id="q">{question}</h1>{warn}'
        f'<fieldset aria-labelledby="q">{options}</fieldset>'
        f'<div class="ends"><span>1 = {escape(t[survey.kind + "_low"])}</span>'
        f"<span>{surveys.SCALES[survey.kind]} = {escape(t[survey.kind + '_high'])}</span></div>"
        f'<button type="submit">{escape(t["send"])}</button></form></main>'
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def show(token: str, request: Request) -> HTMLResponse:
    """The question of a valid survey token; a refusal page otherwise."""
    store = request.app.state.deps.store
    try:
        survey = surveys.lookup(store, token)
    except surveys.SurveyRefused as exc:
        lang = exc.lang if exc.reason != "unknown" else _lang(request)
        return _message(lang, exc.reason, STATUS[exc.reason])
    return _page(survey.lang, _form(survey, _company(request, survey.lang)))


@router.post("/s/{token}", response_class=HTMLResponse)
async def submit(token: str, request: Request) -> HTMLResponse:
    """Store the answer (form field ``score``) once; thanks, or the refusal page."""
    store = request.app.state.deps.store
    fields: dict[str, Any] = parse_qs((await request.body()).decode("utf-8", "replace"))
    try:
        survey = surveys.lookup(store, token)
        raw = (fields.get("score") or [""])[0]
        if not raw.isdigit():
            return _page(survey.lang, _form(survey, _company(request, survey.lang),
                                            TEXT[survey.lang]["pick"]), 422)  # fmt: skip
        surveys.answer(store, token, int(raw))
    except surveys.SurveyRefused as exc:
        lang = exc.lang if exc.reason != "unknown" else _lang(request)
        return _message(lang, exc.reason, STATUS[exc.reason])
    except InputError:
        return _page(survey.lang, _form(survey, _company(request, survey.lang),
                                        TEXT[survey.lang]["pick"]), 422)  # fmt: skip
    return _message(survey.lang, "thanks")
