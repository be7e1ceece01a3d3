"""The admin's base classes, shared by every app: what a user sees or edits of a desk
record is what their desk role grants (cases.roles.has), never is_superuser."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cases import roles


class DeskRoleAdmin(admin.ModelAdmin):
    """What a user sees or edits of the desk's records is what their desk role grants
    (cases.roles.has), never is_superuser: parties' data, chat, notes and webhook secrets
    are for the roles that work with them, and the admin account administers users."""

    def _role_may(self, request: HttpRequest, action: str) -> bool:
        opts = self.model._meta
        return roles.has(request.user, f"{opts.app_label}.{action}_{opts.model_name}")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        may = self._role_may(request, "view") or self._role_may(request, "change")
        return may and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._role_may(request, "add") and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._role_may(request, "change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(DeskRoleAdmin):
    """Viewable by the roles that read it; nobody adds, edits or deletes here."""

    # Tables reach millions of rows: no COUNT(*) of the whole table on every page.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class NoDeleteAdmin(DeskRoleAdmin):
    """Editable by those whose role grants change_*, never deleted: a row others may
    have relied on is retired (active off), not removed."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
