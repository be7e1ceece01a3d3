"""Reading chat text: off-platform contact details, and highlighting what the watchlist
(WatchKeyword.pattern) and the contact shapes find."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Phone numbers and messenger handles count as off-platform contact even when no listed
# keyword is there.
# Only shapes that are phone numbers: an international "+" prefix, a Chinese mobile
# (1[3-9] and nine digits) or a Russian one (8 9xx ...). Order numbers and bank
# references, plain runs of digits, are not flagged.
CONTACT = re.compile(
    r"(?<![\w@])@[A-Za-z]\w{3,31}"
    r"|\+\d{1,3}[\s-]?\(?\d{2,4}\)?(?:[\s-]?\d{2,4}){2,4}(?!\d)"
    r"|(?<!\d)1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
    r"|(?<!\d)8[\s-]?\(?9\d{2}\)?[\s-]?\d{3}(?:[\s-]?\d{2}){2}(?!\d)"
)


def highlight(text: str, pattern: re.Pattern[str] | None) -> tuple[SafeString, bool]:
    """Escape a (hostile) chat text, then mark watchlist hits and contact details."""
    spans: list[tuple[int, int]] = []
    for regex in (pattern, CONTACT):
        if regex is not None:
            spans.extend(m.span() for m in regex.finditer(text))
    if not spans:
        return SafeString(escape(text)), False
    # At one start, the longest match wins ("+86 138..." over the keyword "+86").
    spans.sort(key=lambda span: (span[0], -span[1]))
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="watch">{escape(text[start:end])}</mark>')
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe("".join(out)), True  # noqa: S308 - every piece is escaped above
