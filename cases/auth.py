"""How the browser's signed-in user is read on each request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend, UserModel


class DeskBackend(ModelBackend):
    """Django's model backend, reading the signed-in user with their desk profile (time
    zone, language, limits) in the same query: every page needs both."""

    def get_user(self, user_id):
        user = UserModel._default_manager.select_related("desk_profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
