"""Request-wide pieces of the browser layer: the user's time zone and language, the
Content-Security-Policy header, and no caching of anything private."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from .models import StaffProfile

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def zone_or_default(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo(settings.OPERATIONS_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        # A zone removed from the tz database since it was saved: fall back, never 500.
        return ZoneInfo(settings.OPERATIONS_TIME_ZONE)


class UserPreferencesMiddleware:
    """Activate the signed-in user's time zone (default: the operations time zone) and UI
    language for the request, and remember a language picked in the switcher.

    Goes after AuthenticationMiddleware (it reads request.user) and after LocaleMiddleware
    (the profile's language overrides the cookie and Accept-Language, so the choice follows
    the user to any browser). The API is left alone: it speaks UTC and ISO 8601.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)
        user = request.user
        zone_name = language = ""
        if user.is_authenticated:
            # Read with the user by cases.auth.DeskBackend (no query); a missing profile
            # is cached as missing.
            profile = getattr(user, "desk_profile", None)
            if profile is not None:
                zone_name, language = profile.time_zone, profile.language
        timezone.activate(zone_or_default(zone_name))
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if user.is_authenticated and request.method == "POST" and _is_set_language(request):
            _remember_language(user, request.POST.get("language", ""), response)
        return response


def _is_set_language(request: HttpRequest) -> bool:
    return request.path == reverse("set_language")


def _remember_language(user, language: str, response: HttpResponse) -> None:
    # set_language answers with a redirect when it accepted the code (and sets the
    # cookie); store the same choice on the profile so other browsers follow.
    if language in LANGUAGE_CODES and response.status_code in (302, 204):
        StaffProfile.objects.update_or_create(user=user, defaults={"language": language})


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY on every response that has none of its own.

    The policy forbids inline scripts and styles: the pages use static JS/CSS only, so an
    injected <script> in hostile chat text could not run even if escaping ever failed.
    """

    RELAXED = "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.relaxed_paths = tuple(getattr(settings, "CONTENT_SECURITY_POLICY_RELAXED_PATHS", ()))
        self.relaxed = "; ".join(
            [
                part.strip()
                for part in self.policy.split(";")
                if part.strip().split(" ")[0] not in ("script-src", "style-src")
            ]
            + [self.RELAXED]
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            relaxed = self.relaxed_paths and request.path.startswith(self.relaxed_paths)
            response["Content-Security-Policy"] = self.relaxed if relaxed else self.policy
        return response


class NoStoreMiddleware:
    """Nothing a signed-in user sees, and nothing under /api/, is kept by a browser or
    proxy cache: case pages carry parties' data, and a shared workstation's cache outlives
    the session. (Static files are answered by WhiteNoise before this runs.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
