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
}
