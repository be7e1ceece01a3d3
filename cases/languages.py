"""Party languages as the exchange sends them, as the desk keys its texts."""

from __future__ import annotations

from django.conf import settings


def language_key(code: str) -> str:
    """The desk's key for a party's language as the exchange sends it: "zh", "zh-CN",
    "zh_Hans" -> "zh-hans"; "ru-RU" -> "ru"; "" stays ""."""
    code = (code or "").strip().lower().replace("_", "-")
    if code == "zh" or code.startswith(("zh-hans", "zh-cn", "zh-sg")):
        return "zh-hans"
    if code.startswith("zh-"):
        return code
    return code.split("-", 1)[0]


def party_ui_language(code: str) -> str:
    """The desk language a party reads: its language if the desk writes it (one of
    settings.LANGUAGES), else English."""
    key = language_key(code)
    return key if key in {c for c, _name in settings.LANGUAGES} else "en"
