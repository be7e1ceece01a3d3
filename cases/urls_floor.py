"""The floor's pages for team leads: staff and rotas, the floor view, incidents
(cases/views/floor.py)."""

from __future__ import annotations

from django.urls import path

from .views import floor

urlpatterns = [
    path("floor/", floor.floor, name="floor"),
    path("floor/staff/", floor.staff, name="floor_staff"),
    path("floor/staff/<str:username>/", floor.staff_edit, name="floor_staff_edit"),
    path("floor/staff/<str:username>/active/", floor.staff_active, name="floor_staff_active"),
    path("floor/staff/<str:username>/absences/", floor.absence_add, name="floor_absence_add"),
    path(
        "floor/staff/<str:username>/absences/<int:pk>/remove/",
        floor.absence_remove,
        name="floor_absence_remove",
    ),
    path("floor/incidents/", floor.incidents, name="floor_incidents"),
    path("floor/incidents/<int:pk>/end/", floor.incident_end, name="floor_incident_end"),
]
