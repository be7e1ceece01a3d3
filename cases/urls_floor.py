"""The floor's pages for team leads: staff and rotas, the floor view, incidents; and
every staff member's notifications (cases/views/floor.py)."""

from __future__ import annotations

urlpatterns: list = []
