"""The demo floor: weekly shifts that keep somebody on shift at any hour, languages and
case limits, a few SLA policies, escalation rules and a past incident. Loaded after the
story cases (their history was worked by hand, before the rota existed), then one floor
tick, so `make run` opens on a living floor at whatever hour it is started."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from cases.floor import incidents, staff, tick
from cases.floor.escalation import rule_save
from cases.models import Appeal, EscalationRule, Incident, SlaPolicy, StaffProfile

EVERY_DAY = range(7)

# username: (time zone, languages, case limit, [(weekdays, start, end)]) in that zone.
ROTA: dict[str, tuple[str, list[str], int, list[tuple[range | tuple[int, ...], str, str]]]] = {
    "arbitrator": ("Asia/Shanghai", ["zh", "en"], 8, [(EVERY_DAY, "06:00", "14:00")]),
    # 14:00-22:00 in Shanghai, kept in her own zone: Moscow is five hours behind.
    "arbitrator2": ("Europe/Moscow", ["ru", "en"], 8, [(EVERY_DAY, "09:00", "17:00")]),
    "arbitrator3": ("Asia/Shanghai", ["en", "es", "pt"], 8, [(EVERY_DAY, "22:00", "06:00")]),
    "senior": ("Asia/Shanghai", ["en", "de", "zh"], 6, [(EVERY_DAY, "06:00", "18:00")]),
    "senior2": ("Asia/Shanghai", ["zh", "en", "ru"], 6, [(EVERY_DAY, "18:00", "06:00")]),
    "lead": ("Asia/Shanghai", ["en", "zh"], 4, [((0, 1, 2, 3, 4), "09:00", "18:00")]),
}

POLICIES = [
    # (reason, priority, first response minutes, evidence hours, resolution hours)
    ("*", Appeal.Priority.URGENT, 15, 12, 24),
    ("account_compromised", None, 10, 6, 12),
    ("chargeback", None, 60, 48, 96),
]

RULES = [
    (
        "Large USDT case past its SLA",
        {"asset": "USDT", "min_crypto_amount": "20000", "sla_breached": True},
        EscalationRule.Target.TEAM_LEAD,
    ),
    (
        "Scam or takeover, evidence deadline missed",
        {"reasons": ["fraud_scam", "account_compromised"], "evidence_deadline_missed": True},
        EscalationRule.Target.SENIOR_ARBITRATOR,
    ),
    (
        "Reopened after a verdict",
        {"reopened": True},
        EscalationRule.Target.SENIOR_ARBITRATOR,
    ),
]


def _hm(value: str) -> str:
    return time.fromisoformat(value).strftime("%H:%M")


def floor_demo_ensure(*, users: dict[str, AbstractBaseUser], now: datetime) -> None:
    lead = users["lead"]
    with transaction.atomic():
        for username, (zone, languages, limit, blocks) in ROTA.items():
            user = users.get(username)
            if user is None:
                continue
            StaffProfile.objects.get_or_create(user=user)
            shifts = [
                {"weekday": day, "start": _hm(start), "end": _hm(end)}
                for days, start, end in blocks
                for day in days
            ]
            staff.staff_update(
                actor=lead,
                user=user,
                languages=languages,
                max_open_cases=limit,
                time_zone=zone,
                shifts=shifts,
            )
        for reason, priority, first, evidence, resolution in POLICIES:
            SlaPolicy.objects.get_or_create(
                reason=reason,
                priority=priority,
                defaults={
                    "first_response_minutes": first,
                    "evidence_hours": evidence,
                    "resolution_hours": resolution,
                },
            )
        for name, conditions, target in RULES:
            if not EscalationRule.objects.filter(name=name).exists():
                rule_save(actor=lead, name=name, conditions=conditions, target_role=target)
    if not Incident.objects.exists():
        # A bank outage two days ago: the clocks of the SEPA cases open then stood still.
        start = (now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        incidents.incident_declare(
            actor=lead,
            title="SEPA instant transfers delayed at several banks",
            payment_method="SEPA",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
    tick.floor_tick(now)
