"""UI strings (ko, en) of the daily tools: macros, missing articles, CSAT/CES in Analytics and
the conversation summary. Merged into :data:`assistant.ui.i18n.STRINGS`."""

from __future__ import annotations

TOOL_STRINGS: dict[str, tuple[str, str]] = {
    "macros_title": ("매크로", "Macros"),
    "macro_pick": ("매크로", "Macro"),
    "macro_insert": ("매크로 넣기", "Insert macro"),
    "macro_inserted": (
        "매크로 '{name}'를 넣었습니다. 플레이북 검사를 다시 했습니다.",
        "Inserted macro '{name}'; the draft was checked again.",
    ),
    "macro_none": ("사용할 수 있는 매크로가 없습니다.", "No macros to use yet."),
    "macro_flagged": ("검토 필요", "flagged"),
    "macro_ok": ("검사 통과", "checked"),
    "macro_edit": ("편집할 매크로", "Macro to edit"),
    "macro_new": ("(새 매크로)", "(new macro)"),
    "macro_name": ("이름 (영문 소문자, 숫자, - _ .)", "Name (lower-case letters, digits, - _ .)"),
    "macro_lang": ("언어", "Language"),
    "macro_title_field": ("제목", "Title"),
    "macro_body": ("본문 (변수: {vars})", "Body (variables: {vars})"),
    "macro_save": ("검사 후 저장", "Check and save"),
    "macro_saved": ("매크로 '{name}'를 저장했습니다.", "Saved macro '{name}'."),
    "macro_refused": (
        "플레이북 검사에서 오류가 나와 저장하지 않았습니다.",
        "The playbook found errors: the macro was not saved.",
    ),
    "macro_delete": ("삭제", "Delete"),
    "macro_deleted": ("매크로 '{name}'를 삭제했습니다.", "Deleted macro '{name}'."),
    "macro_preview": ("미리 보기 (예시 고객)", "Preview (sample customer)"),
    "macro_export": ("YAML로 내보내기", "Export as YAML"),
    "macro_import": ("YAML 가져오기", "Import YAML"),
    "macro_imported": ("매크로 {n}개를 가져왔습니다.", "Imported {n} macros."),
    "macro_needs_lead": (
        "매크로 추가·수정은 리드 이상만 할 수 있습니다.",
        "Only a lead can add or change macros.",
    ),
    "macro_usage": ("매크로 사용", "Macro use"),
    "macro_uses": ("사용 횟수", "uses"),
    "gaps_title": ("없는 도움말 문서", "Missing articles"),
    "gaps_intro": (
        "도움말 센터에 좋은 답이 없던 고객 문의를 주제별로 모았습니다 (기준 점수 {threshold}). "
        "초안 문서를 고쳐서 내려받은 뒤 `reply-assistant ingest`로 추가하세요.",
        "Customer questions the help center had no good answer for, grouped by topic "
        "(threshold {threshold}). Edit the draft article, download it and add it with "
        "`reply-assistant ingest`.",
    ),
    "gaps_none": (
        "찾은 공백이 없습니다. 모든 문의에 맞는 문서가 있었습니다.",
        "No gaps found: every question had a good article.",
    ),
    "gaps_refresh": ("다시 찾기", "Look again"),
    "gaps_count": ("문의 {n}건", "{n} questions"),
    "gaps_questions": ("고객 문의", "What customers asked"),
    "gaps_article": (
        "초안 문서 (마크다운, 머리말 포함)",
        "Draft article (Markdown with front matter)",
    ),
    "gaps_download": ("문서 내려받기", "Download article"),
    "signal_low_score": ("검색 점수 낮음", "low search score"),
    "signal_sources_dropped": ("상담원이 출처를 모두 뺌", "agent dropped the sources"),
    "signal_uncovered_reply": ("답변 내용이 문서에 없음", "reply explains what no article does"),
    "csat_title": ("고객 만족도 (CSAT·CES)", "Customer satisfaction (CSAT · CES)"),
    "csat_kind": ("설문 종류", "Survey"),
    "csat_sent": ("보낸 설문", "Surveys sent"),
    "csat_answers": ("응답", "Answers"),
    "csat_mean": ("평균 점수", "Mean score"),
    "csat_satisfied": ("만족 비율", "Satisfied"),
    "csat_empty": ("아직 설문 응답이 없습니다.", "No survey answers yet."),
    "csat_over_time": ("주별 평균 점수", "Mean score by week"),
    "csat_by_prompt_version": ("프롬프트 버전별", "By prompt version"),
    "csat_by_model": ("모델별", "By model"),
    "csat_by_agent": ("상담원별", "By agent"),
    "csat_by_overridden": (
        "예외 승인한 규칙별 (none: 예외 없음)",
        "By overridden finding (none: no override)",
    ),
    "event_survey_created": ("설문 링크 생성", "survey link made"),
    "event_survey_answered": ("고객이 설문에 응답", "customer answered the survey"),
    "event_macro_saved": ("매크로 저장", "macro saved"),
    "event_macro_deleted": ("매크로 삭제", "macro deleted"),
    "event_macro_flagged": ("매크로 검토 필요", "macro flagged"),
    "survey_link": ("설문 링크 만들기 ({kind})", "Make a survey link ({kind})"),
    "survey_link_made": (
        "고객에게 보낼 설문 링크 (한 번만 표시, {days}일 유효): {url}",
        "Survey link for the customer (shown once, valid {days} days): {url}",
    ),
}
