"""Who may call what, for every app: the API's permission classes and the pages' gates.

Nothing under /api/v1/ is anonymous; a user with neither a staff role nor a service
account is refused too. Pages are for staff only. Desk permissions come from the role
group (cases.roles.has), never from is_superuser.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token
from rest_framework.permissions import SAFE_METHODS, BasePermission

from cases import roles

View = Callable[..., HttpResponse]


def _page_gate(
    allowed: Callable[[Any], bool], refusal: Callable[[], str]
) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                raise PermissionDenied(refusal())
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Pages: anonymous users go to the login page; signed-in users without the role get 403.
staff_required = _page_gate(
    roles.is_staff_member, lambda: _("Your account has no role on the arbitration desk.")
)
metrics_required = _page_gate(
    lambda user: roles.has(user, roles.VIEW_METRICS),
    lambda: _("Only team leads, risk analysts and auditors see the dashboards."),
)


def is_service_caller(request) -> bool:
    """A service account calling with its token. A service account's user signed in by a
    session (an administrator who gave it a password) is no service: only the token the
    exchange's service holds speaks for the parties."""
    return roles.is_service_account(request.user) and isinstance(request.auth, Token)


class ServiceOrStaff(BasePermission):
    """Signed in, and either a service account calling with its token or a staff member
    whom `staff_may` lets through."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return is_service_caller(request) or self.staff_may(request, user)

    def staff_may(self, request, user) -> bool:
        return False


class IsDeskMember(ServiceOrStaff):
    """Reads: any staff role or service account. Writes: service accounts, and staff who
    work appeals (auditors and risk analysts read only)."""

    message = "Only service accounts and desk staff may use this API; auditors read only."

    def staff_may(self, request, user) -> bool:
        if not roles.is_staff_member(user):
            return False
        return request.method in SAFE_METHODS or roles.has(user, roles.WORK)


class ExchangeFacts(ServiceOrStaff):
    """Orders, chat and account signals: the exchange's services write them; staff read.

    A staff session that could write an order could lower its amount below the four-eyes
    threshold, and one that could post chat could speak as a party (cases.services
    refuses both again)."""

    message = "Orders, chat and account signals are written by the exchange's services only."

    def staff_may(self, request, user) -> bool:
        return request.method in SAFE_METHODS and roles.is_staff_member(user)


class IsArbitrator(BasePermission):
    """Verdicts: a staff user who works appeals. Service tokens never decide."""

    message = "Only an arbitrator may issue a verdict."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and not roles.is_service_account(user)
            and roles.has(user, roles.WORK)
        )


class CanReadMetrics(ServiceOrStaff):
    """KPIs: service accounts (reporting services) and staff who see dashboards."""

    message = "Only team leads, risk analysts, auditors and services may read metrics."

    def staff_may(self, request, user) -> bool:
        return roles.has(user, roles.VIEW_METRICS)


class PartiesChannel(IsDeskMember):
    """Opening an appeal and contesting a verdict: a party's acts, through the exchange's
    services (token) only; desk members read (cases.lifecycle refuses staff again)."""

    message = "Appeals are opened and contested by the exchange's services for the parties."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated) and is_service_caller(request)


class StaffOnly(BasePermission):
    """The desk's own business (the floor, a person's notifications): staff members only,
    by session or by their own token; a service account gets 403 whatever it asks.

    Reads: any desk role. Writes: the desk permission in `writers` (None: any desk role).
    """

    writers: str | None = None
    message = gettext_lazy("Only desk staff may use this; service accounts have no access.")
    refusal = gettext_lazy("Your role may read this but not change it.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or roles.is_service_account(user):
            return False
        if not roles.is_staff_member(user):
            return False
        if request.method in SAFE_METHODS or self.writers is None or roles.has(user, self.writers):
            return True
        # Read by DRF after this returns False: say why a reader may not write.
        self.message = self.refusal
        return False


class FloorManagement(StaffOnly):
    """Staff, rotas, SLA policies, the escalation matrix, incidents: every desk role reads,
    team leads write (cases.floor and cases.sla ask again)."""

    writers = roles.MANAGE_FLOOR
    refusal = gettext_lazy("Only team leads change the floor's settings.")


class WorksAppeals(StaffOnly):
    """Acting on a case (an evidence request): staff who work appeals; the lifecycle's
    guard decides whether this case is theirs."""

    writers = roles.WORK
    refusal = gettext_lazy("Only arbitrators, seniors and team leads act on appeals.")


class RestrictsAccounts(StaffOnly):
    """A trader and their account restrictions: every desk role reads; seniors and team
    leads restrict and lift (cases.lifecycle asks again). Service accounts get 403."""

    writers = roles.RESTRICT
    refusal = gettext_lazy("Only senior arbitrators and team leads restrict accounts.")
