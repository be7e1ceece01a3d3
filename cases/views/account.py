"""Signing in (locked out after repeated failures, by django-axes) and the user's own
preferences."""

from __future__ import annotations

import logging
import math
import unicodedata
from datetime import timedelta
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.forms_queue import ProfileForm, time_zone_suggestions
from cases.middleware import zone_or_default
from cases.models import StaffProfile

logger = logging.getLogger("cases.login")


@receiver(user_locked_out, dispatch_uid="cases.login.locked_out")
def log_lockout(sender: Any, request: HttpRequest, username: str, ip_address: str, **kw) -> None:
    # django-axes masks the username and address in its own log lines; the desk's
    # operators need both to tell an attack from a colleague who forgot a password.
    logger.warning("login locked out: username=%r address=%s", username, ip_address)


class DeskLoginView(auth_views.LoginView):
    """Django's login view. django-axes (its authentication backend and middleware)
    refuses a locked-out username or address before the password is checked, so a guess
    made during the lockout learns nothing, even when it is right."""

    redirect_authenticated_user = True


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The name failures are counted on (settings.AXES_USERNAME_CALLABLE): the login
    form's own normalisation (NFKC, as django.contrib.auth.forms.UsernameField does), then
    without case or surrounding spaces, so "ｓenior2" and "Senior2 " count as senior2."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "") if request is not None else ""
    return unicodedata.normalize("NFKC", str(raw)).strip().casefold()[:150]


def lockout_seconds_left(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Until the newest failure that counts against this username or address expires."""
    from axes.models import AccessAttempt

    cool_off = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    username = lockout_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    latest = (
        AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return settings.LOGIN_LOCKOUT_SECONDS
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def locked_out_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: the login page again, saying for how long (429)."""
    seconds = lockout_seconds_left(request, credentials)
    minutes = max(1, math.ceil(seconds / 60))
    message = ngettext(
        "Too many failed log-in attempts. Try again in %(minutes)d minute.",
        "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    form = AuthenticationForm(request)
    form.fields["username"].initial = request.POST.get("username", "")
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Time zone and language of the signed-in user (any user, with or without a role)."""
    instance = StaffProfile.objects.filter(user=request.user).first() or StaffProfile(
        user=request.user
    )
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=instance)
        if form.is_valid():
            profile = form.save()
            translation.activate(profile.language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("cases:profile")
            # The login page (no user yet) follows the same language.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                profile.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
    else:
        form = ProfileForm(
            instance=instance,
            initial={
                "time_zone": instance.time_zone or settings.OPERATIONS_TIME_ZONE,
                "language": instance.language or translation.get_language(),
            },
        )
    zone = zone_or_default(instance.time_zone)
    return render(
        request,
        "cases/profile.html",
        {
            "form": form,
            "zones": time_zone_suggestions(),
            "zone_name": zone.key,
            "local_now": timezone.localtime(timezone.now(), zone),
            "default_zone": settings.OPERATIONS_TIME_ZONE,
        },
    )
