"""Risk signals on a page, in the viewer's language (evidence.risk keeps them in English
with their values)."""

from __future__ import annotations

from typing import Any

from django import template

from evidence.risk import LABELS, signal_text

register = template.Library()


@register.filter
def risk_signal_text(signal: dict[str, Any]) -> str:
    return signal_text(signal) if isinstance(signal, dict) else ""


@register.filter
def risk_signal_label(code: str) -> str:
    return str(LABELS.get(code, code))
