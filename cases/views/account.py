"""Signing in (with a brute-force guard) and the user's own preferences."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.forms_queue import ProfileForm, time_zone_suggestions
from cases.middleware import zone_or_default
from cases.models import StaffProfile
from cases.throttle import LoginThrottle


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view, refusing a username+address pair after repeated failures.

    A locked-out attempt is refused before the password is checked, so a guess made
    during the lockout learns nothing, even when it is right.
    """

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.throttle = LoginThrottle(request, request.POST.get("username", ""))
        wait = self.throttle.locked_for()
        if wait:
            return self.locked_out(wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        self.throttle.clear()
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        wait = self.throttle.fail()
        if wait:
            return self.locked_out(wait)
        return super().form_invalid(form)

    def locked_out(self, seconds: int) -> HttpResponse:
        minutes = max(1, math.ceil(seconds / 60))
        message = ngettext(
            "Too many failed log-in attempts. Try again in %(minutes)d minute.",
            "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        form = self.get_form_class()(self.request)
        form.fields["username"].initial = self.request.POST.get("username", "")
        context = self.get_context_data(form=form, locked_out=message)
        response = self.render_to_response(context, status=429)
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
