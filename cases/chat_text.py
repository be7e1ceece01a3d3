"""Reading chat text: highlighting what the watchlist (WatchKeyword.pattern) finds and
what cases.chat_signals finds (phone numbers, messenger contacts, pressure)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cases.chat_signals import findings


def highlight(
    text: str, pattern: re.Pattern[str] | None, *, regions: Iterable[str] = ()
) -> tuple[SafeString, bool]:
    """Escape a (hostile) chat text, then mark watchlist hits and the chat signals (a signal's
    mark says its kind: data-kind="phone", "messenger" or "pressure").
    `regions`: the parties' countries, to read their national phone numbers."""
    spans: list[tuple[int, int, str]] = []
    if pattern is not None:
        spans.extend((*m.span(), "watch") for m in pattern.finditer(text))
    spans.extend((f.start, f.end, f.kind.value) for f in findings(text, regions=regions))
    if not spans:
        return SafeString(escape(text)), False
    # At one start, the longest match wins ("+86 138..." over the keyword "+86").
    spans.sort(key=lambda span: (span[0], -span[1]))
    out, pos = [], 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        kind_attr = f' data-kind="{kind}"' if kind != "watch" else ""
        out.append(f'<mark class="watch"{kind_attr}>{escape(text[start:end])}</mark>')
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe("".join(out)), True  # noqa: S308 - every piece is escaped above
