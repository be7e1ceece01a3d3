"""Signing in (locked out after repeated failures, by django-axes) and the user's own
preferences."""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import lockout, roles
from cases.forms_queue import ProfileForm, time_zone_suggestions
from cases.middleware import zone_or_default
from cases.models import StaffProfile


class DeskAuthenticationForm(AuthenticationForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # A service account speaks for the parties with its token only: a password set
        # on it (by an administrator) does not open a session.
        if roles.is_service_account(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class DeskLoginView(auth_views.LoginView):
    """Django's login view. django-axes (its authentication backend and middleware)
    refuses a locked-out username or address before the password is checked, so a guess
    made during the lockout learns nothing, even when it is right."""

    authentication_form = DeskAuthenticationForm
    redirect_authenticated_user = True


class DeskPasswordChangeView(auth_views.PasswordChangeView):
    """Changing one's password: a wrong old password counts as a failed login of that
    user (django-axes), so a stolen session cannot guess the password without limit; the
    lock-out ends the session."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        credentials = {"username": request.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return self._locked_out(credentials)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if "old_password" in form.errors:
            credentials = {"username": self.request.user.get_username()}
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                return self._locked_out(credentials)
        return super().form_invalid(form)

    def _locked_out(self, credentials: dict[str, Any]) -> HttpResponse:
        response = locked_out_response(self.request, None, credentials)
        logout(self.request)
        return response


def locked_out_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: the login page again, saying for how long (429)."""
    seconds = lockout.seconds_left(request, credentials)
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
