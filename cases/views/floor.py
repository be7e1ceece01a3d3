"""The team lead's floor pages: the floor right now, the staff table with each person's
role, languages, limit, time zone, weekly shifts and absences, and incidents.

Team leads only (MANAGE_FLOOR); every other role gets 403. Reads come from
cases.selectors.floor, writes go through the floor's services (cases.floor.staff,
cases.floor.incidents), which validate again, audit and return live cases to the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arbitration.exceptions import DomainError
from arbitration.permissions import staff_required
from cases import roles
from cases.floor import incidents as incident_service
from cases.floor import staff as staff_service
from cases.floor.schedule import member, open_case_counts
from cases.forms_floor import (
    AbsenceForm,
    IncidentForm,
    ShiftFormSet,
    StaffCreateForm,
    StaffEditForm,
)
from cases.forms_queue import time_zone_suggestions
from cases.models import Absence, Incident
from cases.selectors import floor as floor_selectors
from cases.selectors.queue import queue_payment_methods

View = Callable[..., HttpResponse]


def lead_required(view: View) -> View:
    """Signed-in staff (else the login page) with the floor permission (else 403)."""

    @staff_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.has(request.user, roles.MANAGE_FLOOR):
            raise PermissionDenied(_("Only team leads run the floor."))
        return view(request, *args, **kwargs)

    return wrapped


def _zone_context() -> dict[str, Any]:
    local = timezone.localtime()
    offset = f"{local:%z}"
    return {
        "now": timezone.now(),
        "zone": timezone.get_current_timezone_name(),
        "zone_offset": f"UTC{offset[:3]}:{offset[3:]}",
    }


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal as a form error: on its field when the form has it."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- the floor ------------------------------------------------------------------------------


@require_GET
@lead_required
def floor(request: HttpRequest) -> HttpResponse:
    now = floor_selectors.floor_now()
    return render(
        request,
        "floor/floor.html",
        {
            **_zone_context(),
            "page": "floor",
            "floor": now,
            "soon_minutes": int(floor_selectors.SOON.total_seconds() // 60),
            "unassigned_url": f"{reverse('cases:home')}?status=open&assignee=none",
            "overdue_url": f"{reverse('cases:home')}?overdue=on",
        },
    )


# --- staff ----------------------------------------------------------------------------------


def _staff_page(request: HttpRequest, form: StaffCreateForm, status: int = 200) -> HttpResponse:
    people = floor_selectors.staff_table()
    return render(
        request,
        "floor/staff.html",
        {
            **_zone_context(),
            "page": "staff",
            "rows": people,
            "on_shift": sum(1 for row in people if row["person"].on_shift),
            "active": sum(1 for row in people if row["person"].user.is_active),
            "form": form,
            "zones": time_zone_suggestions(),
            "capabilities": floor_selectors.role_capabilities(),
            "default_zone": settings.OPERATIONS_TIME_ZONE,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@lead_required
def staff(request: HttpRequest) -> HttpResponse:
    """The staff table, and adding a person (POST)."""
    if request.method != "POST":
        return _staff_page(request, StaffCreateForm())
    form = StaffCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = staff_service.staff_create(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                password=data["password"],
                role=data["role"],
                languages=data["languages"],
                max_open_cases=data["max_open_cases"],
                time_zone=data["time_zone"] or None,
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(user)s was added. Set their weekly shifts below.")
                % {"user": user.get_username()},
            )
            return redirect("cases:floor_staff_edit", username=user.get_username())
    messages.error(request, _("Please correct the form below; nobody was added."))
    return _staff_page(request, form, status=400)


def _staff_user(username: str) -> Any:
    User = get_user_model()
    return get_object_or_404(
        User.objects.filter(groups__name__in=roles.Role.ALL)
        .distinct()
        .select_related("desk_profile")
        .prefetch_related("groups", "shifts", "absences"),
        username=username,
    )


def _edit_initial(person: Any) -> dict[str, Any]:
    profile = getattr(person.user, "desk_profile", None)
    return {
        "role": person.role,
        "languages": ", ".join(person.languages),
        "max_open_cases": person.max_open,
        "time_zone": profile.time_zone if profile else "",
    }


def _staff_edit_page(
    request: HttpRequest,
    user: Any,
    *,
    form: StaffEditForm | None = None,
    shifts: Any = None,
    absence_form: AbsenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    person = member(user, now, open_case_counts([user.pk]).get(user.pk, 0))
    itself = user.pk == request.user.pk
    if form is None:
        form = StaffEditForm(initial=_edit_initial(person))
    if itself:
        form.fields["role"].disabled = True
        form.fields["role"].help_text = _("You cannot change your own role.")
    if shifts is None:
        shifts = ShiftFormSet(
            prefix="shifts",
            initial=[{"weekday": s.weekday, "start": s.start, "end": s.end} for s in person.shifts],
        )
    absences = sorted(person.absences, key=lambda a: a.starts_at, reverse=True)
    return render(
        request,
        "floor/staff_edit.html",
        {
            **_zone_context(),
            "page": "staff",
            "person": person,
            "subject": user,
            "itself": itself,
            "form": form,
            "shifts": shifts,
            "absence_form": absence_form or AbsenceForm(),
            "upcoming_absences": [a for a in absences if a.ends_at > now][::-1],
            "past_absences": [a for a in absences if a.ends_at <= now][:5],
            "live": floor_selectors.live_cases(user),
            "week": floor_selectors.week_summary(person.shifts),
            "days_off": floor_selectors.days_off_names(person.shifts),
            "zones": time_zone_suggestions(),
            "person_zone": str(person.zone),
            "default_zone": settings.OPERATIONS_TIME_ZONE,
            "capabilities": floor_selectors.role_capabilities(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@lead_required
def staff_edit(request: HttpRequest, username: str) -> HttpResponse:
    user = _staff_user(username)
    if request.method != "POST":
        return _staff_edit_page(request, user)
    person = member(user, timezone.now())
    form = StaffEditForm(request.POST, initial=_edit_initial(person))
    if user.pk == request.user.pk:
        form.fields["role"].disabled = True
    shifts = ShiftFormSet(request.POST, prefix="shifts")
    if form.is_valid() and shifts.is_valid():
        data = form.cleaned_data
        rows = shifts.kept()
        zone = data["time_zone"]
        profile = getattr(user, "desk_profile", None)
        if not zone:
            # Emptied: back to the desk's zone; left empty: as it was.
            zone = settings.OPERATIONS_TIME_ZONE if profile and profile.time_zone else None
        try:
            staff_service.staff_update(
                actor=request.user,
                user=user,
                role=data["role"],
                languages=data["languages"],
                max_open_cases=data["max_open_cases"],
                time_zone=zone,
                shifts=[row for _i, row in rows],
            )
        except DomainError as exc:
            _shift_error(form, shifts, [i for i, _row in rows], exc)
        else:
            messages.success(
                request, _("Saved the changes to %(user)s.") % {"user": user.get_username()}
            )
            return redirect("cases:floor_staff_edit", username=user.get_username())
    messages.error(request, _("Please correct the form below; nothing was changed."))
    return _staff_edit_page(request, user, form=form, shifts=shifts, status=400)


def _shift_error(form: forms.Form, shifts: Any, indexes: list[int], exc: DomainError) -> None:
    """Put a service refusal where it belongs: "shifts.2.end" on that row's field."""
    parts = (exc.field or "").split(".")
    if parts[0] == "shifts" and len(parts) > 1 and parts[1].isdigit():
        position = int(parts[1])
        if position < len(indexes):
            row = shifts.forms[indexes[position]]
            name = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
            row.add_error(name, exc.message)
            return
    _add_domain_error(form, exc)


@require_POST
@lead_required
def staff_active(request: HttpRequest, username: str) -> HttpResponse:
    """Deactivate (after a confirmation that says what happens to their cases) or
    reactivate."""
    user = _staff_user(username)
    active = request.POST.get("active") == "1"
    if not active and request.POST.get("confirm") != "1":
        return render(
            request,
            "floor/staff_deactivate.html",
            {"page": "staff", "subject": user, "live": floor_selectors.live_cases(user)},
        )
    try:
        staff_service.staff_update(actor=request.user, user=user, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if active:
            messages.success(request, _("%(user)s can sign in again.") % {"user": username})
        else:
            messages.success(
                request,
                _("%(user)s is deactivated; their live cases went back to the pool.")
                % {"user": username},
            )
    return redirect("cases:floor_staff_edit", username=username)


@require_POST
@lead_required
def absence_add(request: HttpRequest, username: str) -> HttpResponse:
    user = _staff_user(username)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            staff_service.absence_add(
                actor=request.user,
                user=user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("The absence was added."))
            return redirect(_absences_url(username))
    messages.error(request, _("Please correct the absence; nothing was added."))
    return _staff_edit_page(request, user, absence_form=form, status=400)


@require_POST
@lead_required
def absence_remove(request: HttpRequest, username: str, pk: int) -> HttpResponse:
    user = _staff_user(username)
    absence = get_object_or_404(Absence.objects.select_related("user"), pk=pk, user=user)
    try:
        staff_service.absence_remove(actor=request.user, absence=absence)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The absence was removed."))
    return redirect(_absences_url(username))


def _absences_url(username: str) -> str:
    return reverse("cases:floor_staff_edit", kwargs={"username": username}) + "#absences"


# --- incidents ------------------------------------------------------------------------------


def _incidents_page(request: HttpRequest, form: IncidentForm, status: int = 200) -> HttpResponse:
    active, past = floor_selectors.incident_list()
    return render(
        request,
        "floor/incidents.html",
        {
            **_zone_context(),
            "page": "floor",
            "active": active,
            "past": past,
            "form": form,
            "payment_methods": queue_payment_methods(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@lead_required
def incidents(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {"starts_at": timezone.localtime().replace(second=0, microsecond=0)}
        return _incidents_page(request, IncidentForm(initial=initial))
    form = IncidentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_service.incident_declare(
                actor=request.user,
                title=data["title"],
                payment_method=data["payment_method"],
                country=data["country"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Incident “%(title)s” declared: the clocks of the cases it covers stop.")
                % {"title": incident.title},
            )
            return redirect("cases:floor_incidents")
    messages.error(request, _("Please correct the form below; nothing was declared."))
    return _incidents_page(request, form, status=400)


@require_POST
@lead_required
def incident_end(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    try:
        incident_service.incident_end(actor=request.user, incident_id=incident.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Incident “%(title)s” ended: the clocks it stopped run again.")
            % {"title": incident.title},
        )
    return redirect("cases:floor_incidents")
