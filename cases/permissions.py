"""Who may call what. Nothing under /api/v1/ is anonymous; a user with neither a staff
role nor a service account is refused too. Desk permissions come from the role group
(cases.roles.has), never from is_superuser."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import roles


class IsDeskMember(BasePermission):
    """Reads: any staff role or service account. Writes: service accounts, and staff who
    work appeals (auditors and risk analysts read only)."""

    message = "Only service accounts and desk staff may use this API; auditors read only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if roles.is_service_account(user):
            return True
        if not roles.is_staff_member(user):
            return False
        return request.method in SAFE_METHODS or roles.has(user, roles.WORK)


class ExchangeFacts(BasePermission):
    """Orders, chat and account signals: the exchange's services write them; staff read.

    A staff session that could write an order could lower its amount below the four-eyes
    threshold, and one that could post chat could speak as a party (cases.services
    refuses both again)."""

    message = "Orders, chat and account signals are written by the exchange's services only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if roles.is_service_account(user):
            return True
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


class CanReadMetrics(BasePermission):
    """KPIs: service accounts (reporting services) and staff who see dashboards."""

    message = "Only team leads, risk analysts, auditors and services may read metrics."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return roles.is_service_account(user) or roles.has(user, roles.VIEW_METRICS)
