"""How the desk writes durations and moments, everywhere."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# The duration formats per language, looked up once: a queue page writes a few hundred
# durations, and each gettext call walks the active catalogues.
_FORMATS: dict[str | None, tuple[str, str, str, str, str]] = {}


def _formats() -> tuple[str, str, str, str, str]:
    language = get_language()
    found = _FORMATS.get(language)
    if found is None:
        found = _FORMATS[language] = (
            _("%(days)dd %(hours)dh"),
            _("%(hours)dh %(minutes)dm"),
            _("%(minutes)dm"),
            _("%(seconds)ds"),
            _("<1m"),
        )
    return found


def compact_duration(seconds: int, *, under_a_minute: str | None = None) -> str:
    """ "2d 4h", "3h 20m", "12m"; below a minute, `under_a_minute` ("<1m" where the
    seconds are noise) or the seconds ("45s")."""
    day_hour, hour_minute, minute, second, _less = _formats()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return day_hour % {"days": days, "hours": hours}
    if hours:
        return hour_minute % {"hours": hours, "minutes": minutes}
    if minutes:
        return minute % {"minutes": minutes}
    if under_a_minute is not None:
        return under_a_minute
    return second % {"seconds": secs}


def under_a_minute() -> str:
    """ "<1m", in the reader's language."""
    return _formats()[4]


def local_time(moment: datetime, *, offset: bool = True) -> str:
    """A moment as the reader reads it: in the active time zone, with its UTC offset
    ("2026-12-07 07:27 UTC+08:00") unless the page already says the zone."""
    local = timezone.localtime(moment)
    text = f"{local:%Y-%m-%d %H:%M}"
    if offset:
        zone = f"{local:%z}"  # +0800
        text += f" UTC{zone[:3]}:{zone[3:]}"
    return text
