"""Incident mode: a platform or payment-rail outage stops the clocks of the cases it
covers (a payment method, a party's country, or everything) for its duration, so no
party loses a case because the platform or a bank was down.

Declaring and ending only write the incident; the floor tick (`incident_sweep`) opens a
pause on each covered active appeal (from the incident's start, or the appeal's opening
if later) and closes them at its end, which moves every deadline of the case later by the
time it stood still (cases.sla). One pause per incident and appeal (a unique index): a
tick running twice, or two at once, pauses nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.db import storable_moment
from arbitration.exceptions import Conflict, InvalidInput
from cases import lifecycle, roles, sla
from cases.audit import audit_record
from cases.models import Appeal, ClockPause, Incident

BATCH = 500


def _snapshot(incident: Incident) -> dict[str, Any]:
    return {
        "title": incident.title,
        "payment_method": incident.payment_method,
        "country": incident.country,
        "starts_at": incident.starts_at.isoformat(),
        "ends_at": incident.ends_at.isoformat() if incident.ends_at else None,
    }


def incident_declare(
    *,
    actor: AbstractBaseUser | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    payment_method: str = "",
    country: str = "",
) -> Incident:
    """A team lead declares an outage (it may have begun earlier, and may be over)."""
    lifecycle.require(actor, roles.MANAGE_FLOOR, _("declare incidents"))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("Give the incident a title (at most 200 characters)."), field="title")
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not (country.isascii() and country.isalpha())):
        raise InvalidInput(_("A country is a two-letter ISO code, such as NG."), field="country")
    payment_method = (payment_method or "").strip()
    if len(payment_method) > 64:
        raise InvalidInput(_("A payment method has at most 64 characters."), field="payment_method")
    storable_moment(starts_at, field="starts_at")
    if ends_at is not None:
        storable_moment(ends_at, field="ends_at")
    now = timezone.now()
    if starts_at > now:
        raise InvalidInput(_("An incident is declared once it has begun."), field="starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(_("The end must be after the start."), field="ends_at")
    if ends_at is not None and ends_at > now:
        raise InvalidInput(
            _("Leave the end empty while the incident lasts, and end it when it is over."),
            field="ends_at",
        )
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            payment_method=payment_method,
            country=country,
            starts_at=starts_at,
            ends_at=ends_at,
            declared_by=actor,
        )
        audit_record(
            actor=actor, action="incident.declared", obj=incident, after=_snapshot(incident)
        )
    # The clocks stop now, not at the next tick (which pauses whatever this batch leaves).
    incident_sweep(now, incidents=[incident.pk])
    return incident


def incident_end(
    *, actor: AbstractBaseUser | None, incident_id: int, at: datetime | None = None
) -> Incident:
    """The outage is over: the clocks it stopped run again (on the next tick)."""
    lifecycle.require(actor, roles.MANAGE_FLOOR, _("end incidents"))
    at = at or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise InvalidInput(_("No such incident."), field="incident")
        if incident.ends_at is not None:
            raise Conflict(_("This incident has already ended."))
        if at <= incident.starts_at:
            raise InvalidInput(_("The end must be after the start."), field="ends_at")
        incident.ends_at = at
        incident.ended_by = actor
        incident.save(update_fields=["ends_at", "ended_by"])
        audit_record(actor=actor, action="incident.ended", obj=incident, after=_snapshot(incident))
    incident_sweep(at, incidents=[incident.pk])
    return incident


def covers_q(incident: Incident, prefix: str = "") -> Q:
    """The appeals an incident covers (before the time and status limits); `prefix`
    ("appeal__") reads them from a related model."""
    q = Q()
    if incident.payment_method:
        q &= Q(**{f"{prefix}payment_method__iexact": incident.payment_method})
    if incident.country:
        q &= Q(**{f"{prefix}order__buyer__country__iexact": incident.country}) | Q(
            **{f"{prefix}order__seller__country__iexact": incident.country}
        )
    return q


def under_incident_q(at: datetime, prefix: str = "") -> Q:
    """Appeals whose clocks an incident stops at `at`: covered by one that is active
    (the tick may not have paused them yet), or still holding an open incident pause (not
    resumed yet). Nobody misses a deadline, nor is reminded of one, meanwhile."""
    q = Q(
        Exists(
            ClockPause.objects.filter(
                appeal=OuterRef("appeal_id" if prefix else "pk"),
                cause=ClockPause.Cause.INCIDENT,
                ended_at__isnull=True,
            )
        )
    )
    for incident in active_incidents(at):
        covers = covers_q(incident, prefix)
        if not covers:
            return Q(**{f"{prefix}pk__isnull": False})  # everything
        q |= covers
    return q


def covered_active(incident: Incident, at: datetime):
    """Active appeals it covers that it has not paused yet."""
    until = incident.ends_at or at
    paused = ClockPause.objects.filter(incident=incident, appeal=OuterRef("pk"))
    return (
        Appeal.objects.filter(status__in=Appeal.ACTIVE_STATUSES, created_at__lt=until)
        .filter(covers_q(incident))
        .exclude(Exists(paused))
        .order_by("id")
    )


def incident_sweep(at: datetime | None = None, *, incidents: list[int] | None = None) -> int:
    """Pause what unsettled incidents cover and resume what ended ones paused; returns
    how many clocks it stopped or started."""
    at = at or timezone.now()
    moved = 0
    rows = Incident.objects.filter(settled_at__isnull=True, starts_at__lte=at)
    if incidents is not None:
        rows = rows.filter(pk__in=incidents)
    for incident in rows.order_by("pk"):
        for appeal_id in list(covered_active(incident, at).values_list("pk", flat=True)[:BATCH]):
            moved += _pause(appeal_id, incident)
        if incident.ends_at is None or incident.ends_at > at:
            continue
        open_pauses = ClockPause.objects.filter(incident=incident, ended_at__isnull=True)
        for appeal_id in list(open_pauses.values_list("appeal_id", flat=True)[:BATCH]):
            moved += _resume(appeal_id, incident)
        if not open_pauses.exists() and not covered_active(incident, at).exists():
            Incident.objects.filter(pk=incident.pk, settled_at__isnull=True).update(settled_at=at)
    return moved


def _pause(appeal_id: int, incident: Incident) -> int:
    try:
        with transaction.atomic():
            appeal = lifecycle.lock_appeal(appeal_id)
            if appeal.is_closed:
                return 0
            pause = sla.pause_open(
                appeal,
                cause=ClockPause.Cause.INCIDENT,
                at=max(incident.starts_at, appeal.created_at),
                incident_id=incident.pk,
            )
            if pause is None:
                return 0
            audit_record(
                actor=None,
                action="appeal.clock_paused",
                obj=appeal,
                appeal=appeal,
                after={"incident": incident.pk, "from": pause.started_at.isoformat()},
            )
    except IntegrityError:
        return 0  # another tick paused it first
    return 1


def _resume(appeal_id: int, incident: Incident) -> int:
    with transaction.atomic():
        appeal = lifecycle.lock_appeal(appeal_id)
        pause = appeal.clock_pauses.filter(incident=incident, ended_at__isnull=True).first()
        if pause is None:
            return 0
        moved = sla.pause_close(appeal, pause, at=incident.ends_at)
        audit_record(
            actor=None,
            action="appeal.clock_resumed",
            obj=appeal,
            appeal=appeal,
            after={"incident": incident.pk, "deadlines_moved_seconds": moved},
        )
    return 1


def active_incidents(at: datetime | None = None) -> list[Incident]:
    at = at or timezone.now()
    return list(
        Incident.objects.filter(starts_at__lte=at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .order_by("-starts_at")
    )
