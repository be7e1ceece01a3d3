"""Party languages as the exchange sends them, as the desk keys its texts."""

from __future__ import annotations


def language_key(code: str) -> str:
    """The desk's key for a party's language as the exchange sends it: "zh", "zh-CN",
    "zh_Hans" -> "zh-hans"; "ru-RU" -> "ru"; "" stays ""."""
    code = (code or "").strip().lower().replace("_", "-")
    if code == "zh" or code.startswith(("zh-hans", "zh-cn", "zh-sg")):
        return "zh-hans"
    if code.startswith("zh-"):
        return code
    return code.split("-", 1)[0]
