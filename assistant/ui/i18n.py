"""UI strings in Korean and English, in one table. Korean is the default.

``t(key, lang, **fields)`` looks a string up and fills ``{fields}``; an unknown language falls
back to Korean and an unknown key is a ``KeyError`` (a test checks every key has both).
``lang_from_accept_language`` picks the UI language from a browser's Accept-Language header.
"""

from __future__ import annotations

from assistant.ui.i18n_language import LANGUAGE_STRINGS
from assistant.ui.i18n_tools import TOOL_STRINGS

LANGS = ("ko", "en")
DEFAULT_LANG = "ko"

STRINGS: dict[str, tuple[str, str]] = {
    # (ko, en)
    "app_title": ("{company_ko} 답장 도우미", "{company} reply assistant"),
    "language": ("언어", "Language"),
    "analytics_agent": ("상담원", "Agent"),
    "analytics_all_agents": ("모든 상담원", "All agents"),
    "signin_title": ("로그인", "Sign in"),
    "signin_no_accounts": (
        "아직 계정이 없습니다. `reply-assistant init`을 실행하면 관리자 계정과 일회용 비밀번호가 "
        "한 번 출력됩니다.",
        "No accounts yet. `reply-assistant init` creates the admin account and prints its "
        "one-time password once.",
    ),
    "signin_name": ("계정 이름", "Account name"),
    "signin_password": ("비밀번호", "Password"),
    "signin_button": ("로그인", "Sign in"),
    "signin_provider": ("회사 계정으로 로그인", "Sign in with your identity provider"),
    "signin_failed": (
        "계정 이름이나 비밀번호가 맞지 않거나, 사용 중지된 계정입니다.",
        "The name or password is wrong, or the account is disabled.",
    ),
    "signin_locked": (
        "로그인 실패가 너무 많습니다. 15분 뒤에 다시 시도하세요.",
        "Too many failed sign-ins. Try again in 15 minutes.",
    ),
    "signin_unknown_identity": (
        "이 신원 계정에 연결된 사용자가 없습니다. 관리자에게 문의하세요.",
        "No account is linked to this identity. Ask an administrator.",
    ),
    "signed_in_as": ("{name} ({role}) 로그인 중", "Signed in as {name} ({role})"),
    "sign_out": ("로그아웃", "Sign out"),
    "role_lead": ("리드", "lead"),
    "role_admin": ("관리자", "admin"),
    "override_needs_lead": (
        "오류가 있는 답변의 예외 승인은 리드 이상만 할 수 있습니다. 답변을 고쳐 주세요.",
        "Only a lead can override error findings. Fix the reply instead.",
    ),
    "bulk_needs_lead": (
        "일괄 승인·반려는 리드 이상만 할 수 있습니다.",
        "Only a lead can approve or reject in bulk.",
    ),
    "inbox": ("받은 편지함", "Inbox"),
    "inbox_empty": ("열린 대화가 없습니다.", "No open conversations."),
    "anonymous": ("(고객 없음)", "(no customer)"),
    "new_message": ("새 메시지 붙여넣기", "Paste a new message"),
    "customer": ("고객", "Customer"),
    "channel": ("채널", "Channel"),
    "message_text": ("고객 메시지", "Customer message"),
    "add_message": ("받은 편지함에 추가", "Add to inbox"),
    "message_added": ("메시지를 추가했습니다.", "Message added."),
    "offline_banner": (
        "연결된 언어 모델이 없어 내장 템플릿 작성기(오프라인)가 초안을 씁니다. 결정적이고 플레이북을 "
        "따르지만 문장이 단순합니다. 모델을 쓰려면 `ASSISTANT_MODEL=openai/gpt-4o-mini`와 "
        "`OPENAI_API_KEY`를 설정한 뒤 다시 실행하세요.",
        "No language model is configured, so the built-in template drafter (offline) writes the "
        "drafts: deterministic and playbook-complete, but plain. To use a model, set "
        "`ASSISTANT_MODEL=openai/gpt-4o-mini` and `OPENAI_API_KEY`, then restart.",
    ),
    "empty_title": ("아직 데이터가 없습니다", "No data yet"),
    "empty_body": (
        "이 데이터 폴더에는 도움말 색인도 고객 기록도 없습니다. 데모 데이터(하루노트 도움말과 데모 "
        "고객)를 불러오면 바로 사용해 보실 수 있습니다. (`reply-assistant init`과 같습니다)",
        "This data folder has no help-center index and no customer records. Load the demo data "
        "(the Haru Notes help center and demo customers) to try it out "
        "(same as `reply-assistant init`).",
    ),
    "load_demo": ("데모 데이터 불러오기", "Load demo data"),
    "loading_demo": ("도움말을 색인하는 중입니다…", "Indexing the help center…"),
    "demo_loaded": (
        "데모 데이터를 불러왔습니다: 문서 {docs}개, 고객 {customers}명",
        "Demo data loaded: {docs} articles, {customers} customers",
    ),
    "pick_conversation": (
        "왼쪽 받은 편지함에서 대화를 선택하세요.",
        "Pick a conversation in the inbox on the left.",
    ),
    "latest_message": ("고객의 최근 메시지", "The customer's latest message"),
    "draft_reply": ("초안 작성", "Draft a reply"),
    "regenerate": ("다시 작성", "Regenerate"),
    "warmer": ("더 따뜻하게", "Warmer"),
    "concise": ("더 간결하게", "More concise"),
    "formal": ("더 격식 있게", "More formal"),
    "drafting": ("초안을 작성하는 중…", "Drafting…"),
    "editor": ("답장 (편집 가능)", "Reply (editable)"),
    "chars": ("{used}자 / 한도 {limit}자", "{used} / {limit} characters"),
    "chars_nolimit": ("{used}자 (한도 없음)", "{used} characters (no limit)"),
    "over_limit": ("채널 한도를 넘었습니다", "Over the channel limit"),
    "findings": ("플레이북 점검", "Playbook check"),
    "no_findings": ("지적 사항이 없습니다.", "No findings."),
    "error": ("오류", "error"),
    "warning": ("주의", "warning"),
    "why": ("이유", "Why"),
    "fix": ("고치는 법", "Fix"),
    "missing_move": ("(빠진 내용)", "(missing move)"),
    "override_reason": ("무시하고 승인하는 이유", "Reason to approve anyway"),
    "blocked": (
        "오류가 있어 승인할 수 없습니다. 문장을 고치거나 무시하는 이유를 적어 주세요.",
        "Errors block approval: fix the text or give a reason to approve anyway.",
    ),
    "approve": ("승인", "Approve"),
    "reject": ("반려", "Reject"),
    "reject_reason": ("반려 사유", "Reason for rejecting"),
    "approved": (
        "승인했습니다. 보낼 편지함에 넣었습니다 (편집 거리 {distance}).",
        "Approved and queued in the outbox (edit distance {distance}).",
    ),
    "rejected": ("반려했습니다.", "Rejected."),
    "stale_warning": (
        "이 초안을 만든 뒤 고객이 새 메시지를 보냈습니다. 새 메시지를 읽고 다시 작성하거나, 이 답장이 "
        "여전히 맞는지 확인해 주세요.",
        "The customer wrote again after this draft was made. Read the new message, then "
        "regenerate or confirm this reply still fits.",
    ),
    "confirm_stale": (
        "새 메시지를 읽었고 이 답장이 여전히 맞습니다",
        "I read it; this reply still fits",
    ),
    "conflict": (
        "다른 상담원이 먼저 이 초안을 바꿨습니다: {detail}",
        "Another agent changed this draft first: {detail}",
    ),
    "sources": ("출처", "Sources"),
    "no_sources": ("사용한 출처가 없습니다.", "No sources used."),
    "score": ("점수", "score"),
    "drop": ("빼기", "Drop"),
    "dropped": ("뺀 출처", "Dropped"),
    "pinned": ("고정한 출처", "Pinned"),
    "undo": ("되돌리기", "Undo"),
    "search_kb": ("도움말 검색", "Search the help center"),
    "pin": ("고정", "Pin"),
    "regenerate_sources": ("이 출처로 다시 작성", "Regenerate with these sources"),
    "profile": ("고객 정보", "Profile"),
    "plan": ("요금제", "Plan"),
    "since": ("가입", "Customer since"),
    "tags": ("태그", "Tags"),
    "notes": ("메모", "Notes"),
    "promises": ("약속", "Promises"),
    "no_promises": ("열린 약속이 없습니다.", "No open promises."),
    "due": ("기한", "due"),
    "overdue": ("기한 지남", "overdue"),
    "timeline": ("지난 대화", "Past conversations"),
    "sentiment_trend": ("감정 추이", "Sentiment over time"),
    "sentiment": ("감정", "sentiment"),
    "urgency_high": ("긴급", "urgent"),
    "urgency_normal": ("보통", "normal"),
    "urgency_low": ("낮음", "low"),
    "waiting": ("답장 대기", "waiting"),
    "stale": ("지난 초안", "stale draft"),
    "role_customer": ("고객", "customer"),
    "role_agent": ("상담원", "agent"),
    "sit_S1": ("화남", "angry"),
    "sit_S2": ("환불", "refund"),
    "sit_S3": ("해지", "cancel"),
    "sit_S4": ("버그", "bug"),
    "sit_S5": ("권한 밖", "out of scope"),
    "sit_S6": ("사용법", "how-to"),
    "sit_S7": ("다수 발생", "systemic"),
    "sit_S8": ("칭찬", "praise"),
    "nav_workspace": ("작업 공간", "Workspace"),
    "outbox_title": ("보낼 편지함", "Outbox"),
    "outbox_empty": ("승인된 답장이 없습니다.", "No approved replies yet."),
    "mark_sent": ("보냄으로 표시", "Mark sent"),
    "status_queued": ("대기", "queued"),
    "status_sent": ("보냄", "sent"),
    "status_sending": ("보내는 중", "sending"),
    "status_retry": ("다시 보낼 예정", "will retry"),
    "status_unconfirmed": ("확인 후 다시 보낼 예정", "will check, then retry"),
    "status_failed": ("보내지 못함", "failed"),
    "status_uncertain": ("전달 여부 확인 필요", "check whether it arrived"),
    "retry_send": ("다시 보내기", "Retry sending"),
    "sent_via": ("{to}(으)로 보냄", "sent to {to}"),
    "send_to": ("{to}(으)로 보냅니다", "goes to {to}"),
    "mail_to": ("받는 사람: {to} · 제목: {subject}", "To: {to} · Subject: {subject}"),
    "send_error": ("발송 오류: {error}", "Sending failed: {error}"),
    "sent_now": ("{to}에 고객 답장으로 보냈습니다.", "Sent to the customer through {to}."),
    "send_queued": (
        "{to}로 보낼 답장은 reply-assistant serve가 보냅니다.",
        "reply-assistant serve sends this reply through {to}.",
    ),
    "send_failed_now": (
        "승인했지만 {to} 발송에 실패했습니다: {error} 보낼 편지함에서 다시 보낼 수 있습니다.",
        "Approved, but sending through {to} failed: {error} Retry it from the Outbox.",
    ),
    "export_csv": ("CSV로 내보내기", "Export CSV"),
    "export_jsonl": ("JSONL로 내보내기", "Export JSONL"),
    "approved_by": ("승인: {who}", "approved by {who}"),
    "audit_title": ("감사 기록", "Audit trail"),
    "audit_when": ("시각", "When"),
    "audit_what": ("한 일", "What"),
    "audit_who": ("누가", "Who"),
    "audit_via": ("경로", "Via"),
    "audit_detail": ("내용", "Details"),
    "audit_override": ("예외 승인: {reason} ({rules})", "override: {reason} ({rules})"),
    "audit_edits": ("편집 {n}자", "{n} characters edited"),
    "event_draft_created": ("초안 작성", "drafted"),
    "event_draft_failed": ("초안 실패", "drafting failed"),
    "event_draft_approved": ("승인", "approved"),
    "event_draft_rejected": ("반려", "rejected"),
    "event_draft_stale": ("지난 초안이 됨", "became stale"),
    "event_reply_sent": ("발송", "sent"),
    "event_reply_send_failed": ("발송 실패", "sending failed"),
    "event_reply_send_uncertain": ("전달 여부 불명", "delivery unknown"),
    "event_reply_retry": ("다시 보내기 요청", "retry requested"),
    "event_draft_note_posted": ("헬프데스크에 메모로 게시", "posted as a helpdesk note"),
    "event_user_token_revoked": ("API 토큰 폐기", "API token revoked"),
    "event_inbound_skipped": ("자동 메일 등 건너뜀", "skipped"),
    "analytics_title": ("검토 통계", "Review analytics"),
    "analytics_empty": ("아직 검토한 초안이 없습니다.", "No reviewed drafts yet."),
    "as_is": ("그대로 승인", "Approved as is"),
    "edited": ("고쳐서 승인", "Edited"),
    "rejected_n": ("반려", "Rejected"),
    "mean_edit": ("평균 편집 거리", "Mean edit distance"),
    "median_edit": ("편집 거리 중앙값", "Median edit distance"),
    "time_to_approve": ("승인까지 걸린 시간 (중앙값, 초)", "Time to approve (median, s)"),
    "findings_by_rule": ("규칙별 지적", "Findings by rule"),
    "by_prompt": ("프롬프트 버전·모델별", "By prompt version and model"),
    "reject_reasons": ("반려 사유", "Reject reasons"),
    # bulk review (pages/3_Bulk_review.py)
    "bulk_title": ("소셜 게시물 일괄 검토", "Bulk review of social posts"),
    "bulk_pick_run": ("실행 결과 선택", "Open a run"),
    "bulk_no_runs": (
        "아직 실행 결과가 없습니다. 게시물 파일(CSV/JSONL)을 올리거나 "
        "`reply-assistant bulk FILE --out {folder}/RUN.jsonl`을 실행하세요.",
        "No runs yet. Upload a posts file (CSV/JSONL) or run "
        "`reply-assistant bulk FILE --out {folder}/RUN.jsonl`.",
    ),
    "bulk_upload": ("게시물 파일 올리기 (CSV 또는 JSONL)", "Upload posts (CSV or JSONL)"),
    "bulk_start": ("초안 일괄 작성", "Draft replies"),
    "bulk_running": ("게시물을 분류하고 초안을 쓰는 중…", "Triaging and drafting…"),
    "bulk_started": (
        "완료: {drafted}건 작성, {skipped}건 건너뜀, {invalid}건 오류, {failed}건 실패",
        "Done: {drafted} drafted, {skipped} skipped, {invalid} invalid, {failed} failed",
    ),
    "bulk_summary": ("요약", "Summary"),
    "bulk_systemic": ("반복되는 문제 (S7)", "Systemic issues (S7)"),
    "bulk_issues": ("입력 파일의 문제", "Problems in the input file"),
    "bulk_filters": ("필터", "Filters"),
    "bulk_platform": ("플랫폼", "Platform"),
    "bulk_situation": ("상황", "Situation"),
    "bulk_cluster": ("묶음", "Cluster"),
    "bulk_finding": ("지적 규칙", "Finding"),
    "bulk_decision": ("결정", "Decision"),
    "bulk_status": ("상태", "Status"),
    "bulk_shown": ("{shown} / {total}건 표시", "Showing {shown} of {total}"),
    "bulk_select_all": ("표시된 초안 모두 선택", "Select all shown drafts"),
    "bulk_approve": ("선택 승인", "Approve selected"),
    "bulk_reject": ("선택 반려", "Reject selected"),
    "bulk_save": ("편집 저장", "Save edits"),
    "bulk_approved": ("{n}건 승인했습니다.", "Approved {n}."),
    "bulk_rejected": ("{n}건 반려했습니다.", "Rejected {n}."),
    "bulk_saved": ("편집 {n}건을 저장했습니다.", "Saved {n} edits."),
    "bulk_unsaved": (
        "저장하지 않은 편집 {n}건: 승인·반려하거나 '편집 저장'을 누르면 기록됩니다.",
        "{n} unsaved edits: they are recorded when you approve, reject or press 'Save edits'.",
    ),
    "bulk_none_selected": ("선택한 게시물이 없습니다.", "Nothing selected."),
    "bulk_blocked": (
        "플레이북 오류가 있어 {n}건은 승인하지 않았습니다. 고치거나 예외 승인 사유를 적으세요: {keys}",
        "{n} not approved: the reply still breaks the playbook. Fix it or give an override "
        "reason: {keys}",
    ),
    "bulk_conflicts": (
        "다른 사람이 먼저 처리한 게시물 {n}건은 건너뛰었습니다.",
        "Skipped {n} that someone else decided meanwhile.",
    ),
    "bulk_override": (
        "예외 승인 사유 (플레이북 오류가 있는 답변도 승인)",
        "Override reason (approves replies with playbook errors)",
    ),
    "bulk_counts": (
        "대기 {pending} · 승인 {approved} · 반려 {rejected}",
        "Pending {pending} · approved {approved} · rejected {rejected}",
    ),
    "bulk_export": ("승인된 답장 내보내기", "Export approved replies"),
    "bulk_queue": ("작업자 진행 상황", "Workers' progress"),
    "bulk_queue_counts": (
        "대기 {waiting} · 작성 중 {in_flight} · 완료 {done} · 실패 {failed} (전체 {total}건)",
        "Waiting {waiting} · in flight {in_flight} · done {done} · failed {failed} (of {total})",
    ),
    "bulk_queue_worker": ("작업자 {worker}: {n}건", "Worker {worker}: {n}"),
}
STRINGS.update(TOOL_STRINGS)
STRINGS.update(LANGUAGE_STRINGS)


def t(key: str, lang: str = DEFAULT_LANG, **fields: object) -> str:
    """The UI string ``key`` in ``lang`` (Korean when the language is unknown)."""
    ko, en = STRINGS[key]
    text = en if lang == "en" else ko
    return text.format(**fields) if fields else text


def lang_from_accept_language(header: str | None) -> str:
    """``ko`` or ``en`` from an Accept-Language header; Korean when unclear or absent."""
    if not header:
        return DEFAULT_LANG
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, i, tag.strip().lower().split("-")[0]))
    for _, _, primary in sorted(ranked):
        if primary in LANGS:
            return primary
    return DEFAULT_LANG
