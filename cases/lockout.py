"""Login lock-out on top of django-axes: what a failure counts against, and what a
success clears.

Failures count on the username as the login form normalises it (NFKC, then without case
or spaces: "ｓenior2" is senior2) from any address, and on the client address for any
username. One address gets more room than one username (LOGIN_LOCKOUT_ADDRESS_FAILURES
against LOGIN_LOCKOUT_FAILURES): behind an office NAT everyone shares it. A success
clears only that username's failures from that address, never a colleague's behind the
same address nor a guesser's elsewhere. Counts live in the database (the axes database
handler), so a cache outage neither forgets a lock nor lets anyone past one.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Q, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger("cases.login")


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """settings.AXES_USERNAME_CALLABLE: the name failures are counted on."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "") if request is not None else ""
    return unicodedata.normalize("NFKC", str(raw)).strip().casefold()[:150]


class DeskLockoutHandler(AxesDatabaseHandler):
    """settings.AXES_HANDLER."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        counts = dict.fromkeys(("username", "ip_address"), 0)
        parameters = settings.AXES_LOCKOUT_PARAMETERS
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            counts[parameter] = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        # One limit (AXES_FAILURE_LIMIT) for both: the address count is scaled to it.
        by_address = (
            counts["ip_address"]
            * settings.LOGIN_LOCKOUT_FAILURES
            // settings.LOGIN_LOCKOUT_ADDRESS_FAILURES
        )
        return max(counts["username"], by_address)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def seconds_left(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Until the newest failure that counts against this username or address expires."""
    cool_off = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    latest = (
        AccessAttempt.objects.filter(
            Q(username=lockout_username(request, credentials)) | Q(ip_address=address)
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return settings.LOGIN_LOCKOUT_SECONDS
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


@receiver(user_locked_out, dispatch_uid="cases.login.locked_out")
def log_lockout(sender: Any, request: HttpRequest, username: str, ip_address: str, **kw) -> None:
    # django-axes masks the username and address in its own log lines; the desk's
    # operators need both to tell an attack from a colleague who forgot a password.
    logger.warning("login locked out: username=%r address=%s", username, ip_address)
