from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases.views.account import ThrottledLoginView

urlpatterns = [
    # The admin signs in through the same brute-force-guarded form as the desk.
    path("admin/login/", ThrottledLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    # Before django.contrib.auth.urls: the login form with a brute-force guard.
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("arbitration.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("dashboard/", include("analytics.urls")),
    path("", include("cases.urls")),
]

handler404 = "arbitration.api.not_found"
