from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.views.account import DeskLoginView, DeskPasswordChangeView

# Signing in and out and changing one's own password. There is no password reset: the
# desk sends no e-mail, and an anonymous reset form would only be a way to probe which
# usernames exist. A lead or the admin sets a new password (create_staff_user, the admin).
auth_patterns = [
    path("login/", DeskLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", DeskPasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

_swagger = SpectacularSwaggerView.as_view(url_name="schema")


def api_docs(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """The Swagger UI. A signed-out browser (it asks for HTML and sends no credentials) is
    sent to the login page and back; an API client still gets DRF's 401."""
    if (
        not request.user.is_authenticated
        and "Authorization" not in request.headers
        and "text/html" in request.headers.get("Accept", "")
    ):
        return redirect_to_login(request.get_full_path())
    return _swagger(request, *args, **kwargs)


urlpatterns = [
    # The admin signs in through the same locked-out-after-failures form as the desk.
    path("admin/login/", DeskLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/", include(auth_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("arbitration.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("dashboard/", include("analytics.urls")),
    path("risk/", include("evidence.urls")),
    path("", include("cases.urls")),
]

handler400 = "arbitration.api.bad_request_view"
handler404 = "arbitration.api.not_found"
