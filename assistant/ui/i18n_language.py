"""UI strings (ko, en) of the bilingual tools: machine translation of incoming messages and of
replies, and speech-level conversion in the draft editor. Merged into
:data:`assistant.ui.i18n.STRINGS`."""

from __future__ import annotations

LANGUAGE_STRINGS: dict[str, tuple[str, str]] = {
    "machine_translation": (
        "기계 번역 ({model}) · 고객이 쓴 원문은 아래에서 볼 수 있습니다",
        "Machine translation ({model}) · the customer's original is below",
    ),
    "show_original": ("원문 보기", "Show the original"),
    "translating": ("번역하는 중…", "Translating…"),
    "translation_offline": (
        "번역은 모델이 설정된 경우에만 쓸 수 있습니다 (ASSISTANT_MODEL). 지금은 원문 그대로 보여 드립니다.",
        "Translation needs a configured model (ASSISTANT_MODEL); the message is shown as written.",
    ),
    "translation_failed": (
        "번역하지 못했습니다 ({error}). 원문 그대로 보여 드립니다.",
        "Could not translate ({error}); the message is shown as written.",
    ),
    "translate_for_customer": ("고객 언어로 번역", "Translate for the customer"),
    "translated_for_customer": (
        "고객 언어({language})로 번역했습니다. 숫자·날짜·링크·약속을 원문과 비교해 검사했습니다.",
        "Translated into the customer's language ({language}); numbers, dates, links and promises "
        "were checked against your original.",
    ),
    "translation_original": (
        "내가 쓴 원문 ({language}) · 고객에게는 번역본이 갑니다",
        "Your original ({language}) · the customer gets the translation",
    ),
    "translation_set_aside": ("원문과 비교하지 않기", "Stop comparing with the original"),
    "translation_dropped": (
        "원문과의 비교를 멈췄습니다. 지금 편집기의 글만 검사합니다.",
        "No longer compared with the original; only the editor's text is checked.",
    ),
    "convert_to": ("{level}로 바꾸기", "Convert to {level}"),
    "channel_level": ("이 채널의 말투: {level}", "This channel's speech level: {level}"),
    "converted": (
        "{level}로 어미 {n}곳을 바꾸고 다시 검사했습니다.",
        "Converted {n} ending(s) to {level} and checked the draft again.",
    ),
    "converted_left": (
        "{level}로 어미 {n}곳을 바꾸고 다시 검사했습니다. 바꾸지 못한 문장은 그대로 두었습니다: {sentences}",
        "Converted {n} ending(s) to {level} and checked again. Left as they were (no fixed "
        "{level} form): {sentences}",
    ),
    "nothing_to_convert": (
        "바꿀 어미가 없습니다: 이미 {level}입니다.",
        "Nothing to convert: the draft is already in {level}.",
    ),
    "lang_ko": ("한국어", "Korean"),
    "lang_en": ("영어", "English"),
}
