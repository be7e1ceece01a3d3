"""How the desk writes a duration, everywhere: its two largest units."""

from __future__ import annotations

from django.utils.translation import gettext as _


def compact_duration(seconds: int, *, under_a_minute: str | None = None) -> str:
    """ "2d 4h", "3h 20m", "12m"; below a minute, `under_a_minute` ("<1m" where the
    seconds are noise) or the seconds ("45s")."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)dm") % {"minutes": minutes}
    if under_a_minute is not None:
        return under_a_minute
    return _("%(seconds)ds") % {"seconds": secs}
