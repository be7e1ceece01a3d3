"""The floor's API (contract v1.1): staff, SLA policies, evidence requests, the escalation
matrix, incidents, notifications, and what an appeal shows of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from cases import lifecycle, notifications
from cases.floor import escalation, incidents
from cases.models import (
    Absence,
    Appeal,
    AuditEntry,
    ClockPause,
    EscalationRule,
    EvidenceRequest,
    Incident,
    Notification,
    Shift,
    SlaPolicy,
    StaffProfile,
)
from tests.factories import OrderFactory, appeal_in, open_appeal, staff_user

from .conftest import issue_service_token, session_client, token_client
from .payloads import API, ISO_WITH_OFFSET, assert_error, walk

pytestmark = pytest.mark.django_db

ROLES = ("arbitrator", "senior_arbitrator", "team_lead", "risk_analyst", "auditor")
WORKERS = {"arbitrator", "senior_arbitrator", "team_lead"}


# --- helpers --------------------------------------------------------------------------------


def floor_state() -> dict[str, list]:
    """Every row a floor call could write (and the desk's audit and appeals)."""
    models = (
        Appeal,
        AuditEntry,
        ClockPause,
        EscalationRule,
        EvidenceRequest,
        Incident,
        Notification,
        Shift,
        SlaPolicy,
        StaffProfile,
    )
    state = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    state["users"] = list(
        get_user_model().objects.order_by("pk").values("pk", "username", "is_active")
    )
    state["groups"] = list(
        get_user_model().groups.through.objects.order_by("pk").values("user_id", "group_id")
    )
    return state


@contextmanager
def unchanged() -> Iterator[None]:
    """The call inside wrote nothing at all."""
    before = floor_state()
    yield
    after = floor_state()
    for name in before:
        assert after[name] == before[name], f"{name} rows changed"


def last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def actions_since(seq: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True)
    )


def count_queries(client: APIClient, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def assert_flat(client: APIClient, url: str, rows: int, *, at_most: int) -> None:
    """The same number of queries for a page of 2 rows as for a page of `rows`, and no
    more than `at_most`: the session, the user, and the service-group and role lookups (4),
    then what the page itself reads."""
    sep = "&" if "?" in url else "?"
    few, small = count_queries(client, f"{url}{sep}page_size=2")
    many, large = count_queries(client, f"{url}{sep}page_size={rows}")
    assert len(small["results"]) == 2
    assert len(large["results"]) == rows
    assert few == many, f"{url}: {few} queries for 2 rows, {many} for {rows}"
    assert many <= at_most, f"{url}: {many} queries"


def always_on_shift(user) -> None:
    """A shift every day from midnight to midnight: on shift whenever the test runs."""
    Shift.objects.bulk_create(
        Shift(user=user, weekday=d, start=time(0, 0), end=time(0, 0)) for d in range(7)
    )


def notify(user, kind: str = Notification.Kind.ASSIGNED_TO_YOU, appeal=None, **data) -> None:
    with transaction.atomic():
        notifications.notify([user], kind, appeal=appeal, data=data)


# --- who may call what ----------------------------------------------------------------------


@dataclass
class Call:
    method: str
    url: str
    data: Any = None
    success: int = 200
    # Who may: "staff" (every desk role), "lead" (team leads), "workers" (who work appeals).
    who: str = "staff"

    def send(self, client: APIClient):
        if self.data is None:
            return getattr(client, self.method)(self.url, format="json")
        return getattr(client, self.method)(self.url, self.data, format="json")

    def allows(self, role: str) -> bool:
        return {
            "staff": role in ROLES,
            "lead": role == "team_lead",
            "workers": role in WORKERS,
        }[self.who]


ENDPOINTS: dict[str, Callable[[dict[str, Any]], Call]] = {
    "staff.get": lambda w: Call("get", f"{API}/staff/"),
    "staff-member.get": lambda w: Call("get", f"{API}/staff/{w['member'].username}/"),
    "staff-member.patch": lambda w: Call(
        "patch", f"{API}/staff/{w['member'].username}/", {"max_open_cases": 7}, who="lead"
    ),
    "sla-policies.get": lambda w: Call("get", f"{API}/sla-policies/"),
    "sla-policies.post": lambda w: Call(
        "post",
        f"{API}/sla-policies/",
        {
            "reason": "chargeback",
            "priority": 2,
            "first_response_minutes": 15,
            "evidence_hours": 12,
            "resolution_hours": 24,
        },
        201,
        "lead",
    ),
    "sla-policy.patch": lambda w: Call(
        "patch", f"{API}/sla-policies/{w['policy'].pk}/", {"evidence_hours": 6}, who="lead"
    ),
    "sla-policy.delete": lambda w: Call(
        "delete", f"{API}/sla-policies/{w['policy'].pk}/", success=204, who="lead"
    ),
    "evidence-requests.get": lambda w: Call(
        "get", f"{API}/appeals/{w['appeal'].pk}/evidence-requests/"
    ),
    "evidence-requests.post": lambda w: Call(
        "post",
        f"{API}/appeals/{w['appeal'].pk}/evidence-requests/",
        {"party": "seller", "what": "Your bank statement for the day, please."},
        201,
        "workers",
    ),
    "escalation-rules.get": lambda w: Call("get", f"{API}/escalation-rules/"),
    "escalation-rules.post": lambda w: Call(
        "post",
        f"{API}/escalation-rules/",
        {"name": "Big USDT", "conditions": {"asset": "usdt"}, "target_role": "team_lead"},
        201,
        "lead",
    ),
    "escalation-rule.patch": lambda w: Call(
        "patch", f"{API}/escalation-rules/{w['rule'].pk}/", {"active": False}, who="lead"
    ),
    "escalation-rule.delete": lambda w: Call(
        "delete", f"{API}/escalation-rules/{w['rule'].pk}/", success=204, who="lead"
    ),
    "incidents.get": lambda w: Call("get", f"{API}/incidents/"),
    "incidents.post": lambda w: Call(
        "post",
        f"{API}/incidents/",
        {"title": "Alipay down", "payment_method": "alipay", "starts_at": w["an_hour_ago"]},
        201,
        "lead",
    ),
    "incident-end.post": lambda w: Call(
        "post", f"{API}/incidents/{w['incident'].pk}/end/", who="lead"
    ),
    "notifications.get": lambda w: Call("get", f"{API}/notifications/"),
    "notification-read.post": lambda w: Call(
        "post", f"{API}/notifications/{w['notification']}/read/"
    ),
}


@pytest.fixture
def world() -> dict[str, Any]:
    now = timezone.now()
    return {
        "member": staff_user("arbitrator", username="floor-member"),
        "policy": SlaPolicy.objects.create(
            reason="wrong_amount",
            priority=None,
            first_response_minutes=20,
            evidence_hours=24,
            resolution_hours=48,
        ),
        "rule": EscalationRule.objects.create(
            name="Fraud", conditions={"reasons": ["fraud_scam"]}, target_role="senior_arbitrator"
        ),
        "incident": Incident.objects.create(title="Bank down", starts_at=now - timedelta(hours=2)),
        "an_hour_ago": (now - timedelta(hours=1)).isoformat(),
    }


def caller(role: str) -> tuple[APIClient, Any]:
    if role == "service":
        key = issue_service_token("floor-svc")
        from rest_framework.authtoken.models import Token

        return token_client(key), Token.objects.get(key=key).user
    user = staff_user(None if role == "nobody" else role, is_staff=role != "nobody")
    return session_client(user), user


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", [*ROLES, "service", "nobody"])
def test_each_caller_gets_what_its_role_allows(world, endpoint, role):
    client, user = caller(role)
    with transaction.atomic():
        notifications.notify([user], Notification.Kind.ASSIGNED_TO_YOU)
    world["notification"] = Notification.objects.get(user=user).pk
    if endpoint.startswith("evidence-requests"):
        # The caller's own case when they work cases (only the assignee asks).
        world["appeal"] = appeal_in("in_review", worker=user if role in WORKERS else None)
    call = ENDPOINTS[endpoint](world)

    if call.allows(role):
        response = call.send(client)
        assert response.status_code == call.success, (role, endpoint, response.content[:300])
    else:
        with unchanged():
            response = call.send(client)
        assert_error(response, 403)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_anonymous_callers_get_401_everywhere(world, endpoint):
    world["notification"] = 1
    world["appeal"] = open_appeal()
    with unchanged():
        response = ENDPOINTS[endpoint](world).send(APIClient())

    body = assert_error(response, 401)
    assert body["code"] == "not_authenticated"


def test_a_staff_member_may_also_call_with_a_token_of_their_own(world, lead):
    from rest_framework.authtoken.models import Token

    client = token_client(Token.objects.create(user=lead).key)

    assert client.get(f"{API}/staff/").status_code == 200
    response = client.patch(f"{API}/staff/floor-member/", {"max_open_cases": 3}, format="json")
    assert response.status_code == 200, response.content


# --- staff ----------------------------------------------------------------------------------


STAFF_FIELDS = {
    "username",
    "role",
    "active",
    "languages",
    "max_open_cases",
    "time_zone",
    "shifts",
    "on_shift",
    "open_cases",
}


def test_the_staff_list_shows_each_member_on_the_floor(login, lead, arbitrator):
    StaffProfile.objects.create(
        user=arbitrator, languages=["en", "zh"], max_open_cases=4, time_zone="Europe/Berlin"
    )
    always_on_shift(arbitrator)
    appeal_in("in_review", worker=arbitrator)
    staff_user("service_account", username="not-staff")

    people = {p["username"]: p for p in walk(login(lead), f"{API}/staff/")}

    assert "not-staff" not in people
    assert set(people["arbitrator"]) == STAFF_FIELDS
    assert people["arbitrator"] == {
        "username": "arbitrator",
        "role": "arbitrator",
        "active": True,
        "languages": ["en", "zh"],
        "max_open_cases": 4,
        "time_zone": "Europe/Berlin",
        "shifts": [{"weekday": d, "start": "00:00", "end": "00:00"} for d in range(7)],
        "on_shift": True,
        "open_cases": 1,
    }
    assert people["lead"]["role"] == "team_lead"
    assert people["lead"]["on_shift"] is False
    assert people["lead"]["open_cases"] == 0
    assert people["lead"]["time_zone"]  # the operations time zone when none is set


def test_one_staff_member_reads_like_a_row_of_the_list(login, auditor, arbitrator):
    client = login(auditor)

    one = client.get(f"{API}/staff/arbitrator/").json()

    assert one == next(p for p in walk(client, f"{API}/staff/") if p["username"] == "arbitrator")


@pytest.mark.parametrize("name", ["nobody-here", "p2p-order-service", "Arbitrator"])
def test_a_name_that_is_no_staff_member_is_404(login, lead, arbitrator, service_account, name):
    client = login(lead)

    assert_error(client.get(f"{API}/staff/{name}/"), 404)
    with unchanged():
        assert_error(client.patch(f"{API}/staff/{name}/", {"active": False}, format="json"), 404)


def test_a_team_lead_changes_a_member_and_it_is_audited(login, lead, arbitrator):
    seq = last_seq()
    body = {
        "languages": ["EN", "ru"],
        "max_open_cases": 3,
        "time_zone": "Asia/Tokyo",
        "shifts": [
            {"weekday": 0, "start": "22:00", "end": "06:00"},
            {"weekday": 2, "start": "09:00", "end": "17:00"},
        ],
    }

    response = login(lead).patch(f"{API}/staff/arbitrator/", body, format="json")

    assert response.status_code == 200, response.content
    row = response.json()
    assert row["languages"] == ["en", "ru"]
    assert row["max_open_cases"] == 3
    assert row["time_zone"] == "Asia/Tokyo"
    assert row["shifts"] == body["shifts"]
    profile = StaffProfile.objects.get(user=arbitrator)
    assert (profile.languages, profile.max_open_cases, profile.time_zone) == (
        ["en", "ru"],
        3,
        "Asia/Tokyo",
    )
    assert Shift.objects.filter(user=arbitrator).count() == 2
    assert actions_since(seq) == ["staff.updated"]
    entry = AuditEntry.objects.get(seq=seq + 1)
    assert entry.actor == lead
    assert entry.after["max_open_cases"] == 3


def test_deactivating_a_member_returns_their_cases_to_the_pool(login, lead, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    seq = last_seq()

    response = login(lead).patch(f"{API}/staff/arbitrator/", {"active": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["open_cases"] == 0
    appeal.refresh_from_db()
    assert appeal.assignee is None
    assert "staff.deactivated" in actions_since(seq)


def test_a_team_lead_moves_a_member_to_another_role(login, lead, arbitrator):
    response = login(lead).patch(
        f"{API}/staff/arbitrator/", {"role": "senior_arbitrator"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "senior_arbitrator"
    assert list(arbitrator.groups.values_list("name", flat=True)) == ["senior_arbitrator"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "boss"}, "role"),
        ({"active": "maybe"}, "active"),
        ({"languages": "en"}, "languages"),
        ({"languages": ["english!"]}, "languages"),
        ({"languages": ["en"] * 13}, "languages"),
        ({"max_open_cases": 501}, "max_open_cases"),
        ({"max_open_cases": -1}, "max_open_cases"),
        ({"max_open_cases": "many"}, "max_open_cases"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"shifts": "mornings"}, "shifts"),
        ({"shifts": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "shifts"),
        ({"shifts": [{"weekday": 1, "start": "25:00", "end": "06:00"}]}, "shifts"),
        ({"shifts": [{"weekday": 1, "start": "9am", "end": "17:00"}]}, "shifts"),
        ({"shifts": [{"weekday": 1, "start": "09:00"}]}, "shifts"),
        (
            {
                "shifts": [
                    {"weekday": 1, "start": "09:00", "end": "12:00"},
                    {"weekday": 1, "start": "09:00", "end": "17:00"},
                ]
            },
            "shifts",
        ),
        ({"shifts": [{"weekday": 1, "start": "09:00", "end": "17:00"}] * 22}, "shifts"),
        # A valid change next to a bad one: nothing of either is written.
        ({"max_open_cases": 4, "time_zone": "Nowhere/Land"}, "time_zone"),
    ],
)
def test_bad_staff_input_is_400_and_changes_nothing(login, lead, arbitrator, body, field):
    with unchanged():
        response = login(lead).patch(f"{API}/staff/arbitrator/", body, format="json")

    assert_error(response, 400, field)


def test_a_team_lead_cannot_deactivate_themselves_or_change_their_own_role(login, lead):
    client = login(lead)

    with unchanged():
        assert_error(client.patch(f"{API}/staff/lead/", {"active": False}, format="json"), 403)
        assert_error(client.patch(f"{API}/staff/lead/", {"role": "auditor"}, format="json"), 403)


def test_the_staff_list_costs_the_same_for_2_or_30_people(login, lead):
    now = timezone.now()
    for i in range(30):
        person = staff_user("arbitrator" if i % 2 else "senior_arbitrator")
        StaffProfile.objects.create(user=person, languages=["en"], time_zone="Asia/Shanghai")
        always_on_shift(person)
        Absence.objects.create(
            user=person, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2)
        )
        if i % 3 == 0:
            appeal_in("in_review", worker=person)

    assert_flat(login(lead), f"{API}/staff/", 30, at_most=9)


# --- SLA policies ---------------------------------------------------------------------------

POLICY = {
    "reason": "fraud_scam",
    "priority": 3,
    "first_response_minutes": 10,
    "evidence_hours": 6,
    "resolution_hours": 12,
}


def test_every_staff_member_reads_the_policies_with_the_catch_all_first(login, auditor):
    SlaPolicy.objects.create(**POLICY)

    policies = walk(login(auditor), f"{API}/sla-policies/")

    assert policies[0]["reason"] == "*" and policies[0]["priority"] is None
    assert set(policies[0]) == {
        "id",
        "reason",
        "priority",
        "first_response_minutes",
        "evidence_hours",
        "resolution_hours",
        "updated_at",
    }
    assert {"reason": "fraud_scam", "priority": 3}.items() <= policies[-1].items()


def test_a_team_lead_adds_a_policy_and_new_appeals_get_its_deadlines(login, lead):
    seq = last_seq()

    response = login(lead).post(f"{API}/sla-policies/", POLICY, format="json")

    assert response.status_code == 201, response.content
    assert {k: response.json()[k] for k in POLICY} == POLICY
    assert actions_since(seq) == ["slapolicy.created"]
    appeal = open_appeal(reason="fraud_scam")  # fraud opens as urgent: priority 3
    assert appeal.priority == 3
    assert appeal.first_response_due_at - appeal.created_at == timedelta(minutes=10)
    assert appeal.resolution_due_at - appeal.created_at == timedelta(hours=12)


def test_a_policy_without_priority_covers_every_priority(login, lead):
    body = {k: v for k, v in POLICY.items() if k != "priority"}

    response = login(lead).post(f"{API}/sla-policies/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["priority"] is None


def test_a_second_policy_for_the_same_reason_and_priority_is_409(login, lead):
    client = login(lead)
    SlaPolicy.objects.create(**POLICY)

    with unchanged():
        assert_error(client.post(f"{API}/sla-policies/", POLICY, format="json"), 409)
        catch_all = {**POLICY, "reason": "*", "priority": None}
        assert_error(client.post(f"{API}/sla-policies/", catch_all, format="json"), 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "anything"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"priority": 4}, "priority"),
        ({"priority": "urgent"}, "priority"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": 60 * 24 * 31}, "first_response_minutes"),
        ({"evidence_hours": -1}, "evidence_hours"),
        ({"evidence_hours": 24 * 31}, "evidence_hours"),
        ({"evidence_hours": 1.5}, "evidence_hours"),
        ({"resolution_hours": "two days"}, "resolution_hours"),
        ({"resolution_hours": 24 * 366}, "resolution_hours"),
        ({"resolution_hours": None}, "resolution_hours"),
    ],
)
def test_bad_policy_input_is_400_and_changes_nothing(login, lead, change, field):
    client = login(lead)
    policy = SlaPolicy.objects.create(**POLICY)

    with unchanged():
        created = client.post(f"{API}/sla-policies/", {**POLICY, **change}, format="json")
        changed = client.patch(f"{API}/sla-policies/{policy.pk}/", change, format="json")

    assert_error(created, 400, field)
    assert_error(changed, 400, field)


@pytest.mark.parametrize(
    "missing", ["reason", "first_response_minutes", "evidence_hours", "resolution_hours"]
)
def test_a_new_policy_needs_every_field_but_priority(login, lead, missing):
    body = {k: v for k, v in POLICY.items() if k != missing}

    with unchanged():
        response = login(lead).post(f"{API}/sla-policies/", body, format="json")

    assert_error(response, 400, missing)


def test_a_team_lead_changes_a_policy_audited_with_before_and_after(login, lead):
    policy = SlaPolicy.objects.create(**POLICY)
    seq = last_seq()

    response = login(lead).patch(
        f"{API}/sla-policies/{policy.pk}/", {"evidence_hours": 8}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["evidence_hours"] == 8
    policy.refresh_from_db()
    assert policy.evidence_hours == 8
    entry = AuditEntry.objects.get(seq=seq + 1)
    assert (entry.action, entry.before, entry.after) == (
        "slapolicy.updated",
        {"evidence_hours": 6},
        {"evidence_hours": 8},
    )


def test_changing_a_policy_onto_another_ones_reason_and_priority_is_409(login, lead):
    SlaPolicy.objects.create(**POLICY)
    other = SlaPolicy.objects.create(**{**POLICY, "priority": 2})

    with unchanged():
        response = login(lead).patch(
            f"{API}/sla-policies/{other.pk}/", {"priority": 3}, format="json"
        )

    assert_error(response, 409)


def test_a_team_lead_deletes_a_policy_audited(login, lead):
    policy = SlaPolicy.objects.create(**POLICY)
    seq = last_seq()

    response = login(lead).delete(f"{API}/sla-policies/{policy.pk}/")

    assert response.status_code == 204
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    assert actions_since(seq) == ["slapolicy.deleted"]


def test_an_unknown_policy_is_404(login, lead):
    client = login(lead)

    assert_error(client.patch(f"{API}/sla-policies/999999/", {"evidence_hours": 1}), 404)
    assert_error(client.delete(f"{API}/sla-policies/999999/"), 404)


def test_the_policy_list_costs_the_same_for_2_or_20_policies(login, auditor):
    for reason in ("chargeback", "fraud_scam", "wrong_amount", "other", "third_party_payment"):
        for priority in (None, 0, 1, 2, 3):
            SlaPolicy.objects.get_or_create(
                reason=reason,
                priority=priority,
                defaults={
                    "first_response_minutes": 5,
                    "evidence_hours": 5,
                    "resolution_hours": 5,
                },
            )

    assert_flat(login(auditor), f"{API}/sla-policies/", 20, at_most=6)


# --- evidence requests ----------------------------------------------------------------------

REQUEST = {"party": "seller", "what": "Your bank statement for the day of the order."}
REQUEST_FIELDS = {
    "id",
    "appeal",
    "party",
    "what",
    "requested_by",
    "requested_at",
    "due_at",
    "answered_at",
    "answered_via",
    "missed_at",
}


def test_the_assignee_asks_a_party_and_the_clock_stops(login, arbitrator, trail):
    appeal = appeal_in("in_review", worker=arbitrator)
    t = trail()
    client = login(arbitrator)

    response = client.post(
        f"{API}/appeals/{appeal.pk}/evidence-requests/", {**REQUEST, "due_hours": 6}, format="json"
    )

    assert response.status_code == 201, response.content
    made = response.json()
    assert set(made) == REQUEST_FIELDS
    assert made["party"] == "seller" and made["what"] == REQUEST["what"]
    assert made["appeal"] == appeal.pk and made["requested_by"] == "arbitrator"
    assert made["answered_at"] is None and made["answered_via"] is None
    assert made["missed_at"] is None
    assert ISO_WITH_OFFSET.match(made["due_at"]) and ISO_WITH_OFFSET.match(made["requested_at"])
    due = parse_datetime(made["due_at"])
    assert due - parse_datetime(made["requested_at"]) == pytest.approx(
        timedelta(hours=6), abs=timedelta(seconds=5)
    )
    assert t.status_changes == [("in_review", "awaiting_evidence")]
    [message] = t.events("party.message")
    assert message.data["party"] == "seller"
    # Events carry milliseconds.
    assert abs(parse_datetime(message.data["due_at"]) - due) < timedelta(milliseconds=1)
    detail = client.get(f"{API}/appeals/{appeal.pk}/").json()
    assert detail["status"] == "awaiting_evidence"
    assert detail["sla"]["paused"] is True
    assert parse_datetime(detail["sla"]["evidence_due"]["seller"]) == due
    assert detail["sla"]["evidence_due"]["buyer"] is None


def test_without_due_hours_the_policy_evidence_hours_apply(login, arbitrator):
    SlaPolicy.objects.filter(reason="*", priority__isnull=True).update(evidence_hours=30)
    appeal = appeal_in("in_review", worker=arbitrator)

    response = login(arbitrator).post(
        f"{API}/appeals/{appeal.pk}/evidence-requests/", REQUEST, format="json"
    )

    assert response.status_code == 201, response.content
    made = response.json()
    waited = parse_datetime(made["due_at"]) - parse_datetime(made["requested_at"])
    assert waited == pytest.approx(timedelta(hours=30), abs=timedelta(seconds=5))


def test_a_senior_who_asks_on_an_unowned_escalated_appeal_takes_it(login, arbitrator, senior):
    appeal = appeal_in("escalated", worker=arbitrator)
    assert appeal.assignee is None
    url = f"{API}/appeals/{appeal.pk}/evidence-requests/"

    with unchanged():
        assert_error(login(arbitrator).post(url, REQUEST, format="json"), 403)
    response = login(senior).post(url, REQUEST, format="json")

    assert response.status_code == 201, response.content
    appeal.refresh_from_db()
    assert (appeal.assignee, appeal.status) == (senior, "awaiting_evidence")


def test_an_open_appeal_is_claimed_before_anyone_asks(login, arbitrator):
    appeal = open_appeal()

    with unchanged():
        response = login(arbitrator).post(
            f"{API}/appeals/{appeal.pk}/evidence-requests/", REQUEST, format="json"
        )

    assert_error(response, 409)


def test_a_senior_may_ask_on_someone_elses_case_an_arbitrator_may_not(
    login, arbitrator, arbitrator2, senior
):
    appeal = appeal_in("in_review", worker=arbitrator)
    url = f"{API}/appeals/{appeal.pk}/evidence-requests/"

    with unchanged():
        assert_error(login(arbitrator2).post(url, REQUEST, format="json"), 403)
    assert login(senior).post(url, REQUEST, format="json").status_code == 201


def test_a_closed_appeal_takes_no_evidence_request(login, arbitrator):
    appeal = appeal_in("resolved", worker=arbitrator)

    with unchanged():
        response = login(arbitrator).post(
            f"{API}/appeals/{appeal.pk}/evidence-requests/", REQUEST, format="json"
        )

    assert_error(response, 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"party": "judge"}, "party"),
        ({"party": None}, "party"),
        ({"what": ""}, "what"),
        ({"what": "   "}, "what"),
        ({"what": "x" * 4001}, "what"),
        ({"due_hours": 0}, "due_hours"),
        ({"due_hours": 0.5}, "due_hours"),
        ({"due_hours": -3}, "due_hours"),
        ({"due_hours": 24 * 30 + 1}, "due_hours"),
        ({"due_hours": "soon"}, "due_hours"),
    ],
)
def test_bad_evidence_request_input_is_400_and_changes_nothing(login, arbitrator, change, field):
    appeal = appeal_in("in_review", worker=arbitrator)

    with unchanged():
        response = login(arbitrator).post(
            f"{API}/appeals/{appeal.pk}/evidence-requests/", {**REQUEST, **change}, format="json"
        )

    assert_error(response, 400, field)


@pytest.mark.parametrize("hours", ["1e309", "-1e309", "NaN"])
def test_due_hours_past_any_float_are_400(login, arbitrator, hours):
    appeal = appeal_in("in_review", worker=arbitrator)
    body = f'{{"party": "seller", "what": "A statement.", "due_hours": {hours}}}'

    with unchanged():
        response = login(arbitrator).post(
            f"{API}/appeals/{appeal.pk}/evidence-requests/", body, content_type="application/json"
        )

    assert response.status_code == 400, response.content


@pytest.mark.parametrize("missing", ["party", "what"])
def test_an_evidence_request_needs_a_party_and_what(login, arbitrator, missing):
    appeal = appeal_in("in_review", worker=arbitrator)
    body = {k: v for k, v in REQUEST.items() if k != missing}

    with unchanged():
        response = login(arbitrator).post(
            f"{API}/appeals/{appeal.pk}/evidence-requests/", body, format="json"
        )

    assert_error(response, 400, missing)


def test_an_unknown_appeal_is_404_for_evidence_requests(login, arbitrator):
    client = login(arbitrator)

    assert_error(client.get(f"{API}/appeals/999999/evidence-requests/"), 404)
    with unchanged():
        response = client.post(f"{API}/appeals/999999/evidence-requests/", REQUEST, format="json")
    assert_error(response, 404)


def test_the_requests_of_an_appeal_are_listed_oldest_first(login, arbitrator, auditor):
    appeal = appeal_in("awaiting_evidence", worker=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party="buyer", text="Your payment receipt."
    )

    listed = walk(login(auditor), f"{API}/appeals/{appeal.pk}/evidence-requests/?page_size=1")

    assert [r["party"] for r in listed] == ["seller", "buyer"]
    assert all(set(r) == REQUEST_FIELDS for r in listed)


def test_the_request_list_costs_the_same_for_2_or_25_requests(login, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    for i in range(25):
        actor = arbitrator if i % 2 else staff_user("senior_arbitrator")
        lifecycle.appeal_request_evidence(
            appeal_id=appeal.pk, actor=actor, party="buyer", text=f"Item {i}"
        )

    assert_flat(login(arbitrator), f"{API}/appeals/{appeal.pk}/evidence-requests/", 25, at_most=6)


# --- the escalation matrix ------------------------------------------------------------------

RULE = {
    "name": "Large USDT",
    "conditions": {"asset": "usdt", "min_crypto_amount": "10000"},
    "target_role": "team_lead",
}


def test_a_team_lead_adds_a_rule_and_it_is_audited(login, lead):
    seq = last_seq()

    response = login(lead).post(f"{API}/escalation-rules/", RULE, format="json")

    assert response.status_code == 201, response.content
    rule = response.json()
    assert set(rule) == {
        "id",
        "name",
        "active",
        "conditions",
        "target_role",
        "created_at",
        "updated_at",
    }
    assert rule["conditions"] == {"asset": "USDT", "min_crypto_amount": "10000"}
    assert rule["active"] is True
    assert actions_since(seq) == ["escalation_rule.saved"]


def test_every_staff_member_reads_the_matrix_by_name(login, arbitrator):
    for name in ("b", "a", "c"):
        EscalationRule.objects.create(name=name, target_role="team_lead")

    rules = walk(login(arbitrator), f"{API}/escalation-rules/?page_size=2")

    assert [r["name"] for r in rules] == ["a", "b", "c"]


def test_a_second_rule_of_the_same_name_is_409(login, lead):
    EscalationRule.objects.create(name="Large USDT", target_role="team_lead")

    with unchanged():
        response = login(lead).post(f"{API}/escalation-rules/", RULE, format="json")

    assert_error(response, 409, "name")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"target_role": "arbitrator"}, "target_role"),
        ({"active": "sometimes"}, "active"),
        ({"conditions": "big ones"}, "conditions"),
        ({"conditions": {"colour": "red"}}, "conditions"),
        ({"conditions": {"min_risk_score": 101}}, "conditions"),
        ({"conditions": {"min_crypto_amount": "lots"}}, "conditions"),
        ({"conditions": {"reasons": ["bad_vibes"]}}, "conditions"),
        ({"conditions": {"sla_breached": "yes"}}, "conditions"),
    ],
)
def test_bad_rule_input_is_400_and_changes_nothing(login, lead, change, field):
    client = login(lead)
    rule = EscalationRule.objects.create(name="Existing", target_role="team_lead")

    with unchanged():
        created = client.post(f"{API}/escalation-rules/", {**RULE, **change}, format="json")
        changed = client.patch(f"{API}/escalation-rules/{rule.pk}/", change, format="json")

    assert_error(created, 400, field)
    assert_error(changed, 400, field)


def test_a_condition_error_names_the_condition(login, lead):
    response = login(lead).post(
        f"{API}/escalation-rules/", {**RULE, "conditions": {"min_risk_score": 101}}, format="json"
    )

    assert "conditions.min_risk_score" in assert_error(response, 400)["errors"]


def test_a_team_lead_switches_a_rule_off_and_deletes_it(login, lead):
    client = login(lead)
    rule = EscalationRule.objects.create(name="Fraud", target_role="senior_arbitrator")
    seq = last_seq()

    response = client.patch(f"{API}/escalation-rules/{rule.pk}/", {"active": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["name"] == "Fraud"
    assert client.delete(f"{API}/escalation-rules/{rule.pk}/").status_code == 204
    assert not EscalationRule.objects.filter(pk=rule.pk).exists()
    assert actions_since(seq) == ["escalation_rule.saved", "escalation_rule.deleted"]


def test_an_unknown_rule_is_404(login, lead):
    client = login(lead)

    assert_error(client.patch(f"{API}/escalation-rules/999999/", {"active": False}), 404)
    assert_error(client.delete(f"{API}/escalation-rules/999999/"), 404)


def test_the_rule_list_costs_the_same_for_2_or_30_rules(login, auditor):
    EscalationRule.objects.bulk_create(
        EscalationRule(name=f"rule {i:02d}", target_role="team_lead") for i in range(30)
    )

    assert_flat(login(auditor), f"{API}/escalation-rules/", 30, at_most=5)


# --- incidents ------------------------------------------------------------------------------


def incident_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Alipay outage",
        "payment_method": "alipay",
        "starts_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
        **fields,
    }


def test_a_team_lead_declares_an_incident_audited(login, lead):
    seq = last_seq()

    response = login(lead).post(f"{API}/incidents/", incident_body(country="ng"), format="json")

    assert response.status_code == 201, response.content
    incident = response.json()
    assert {
        "id",
        "title",
        "payment_method",
        "country",
        "starts_at",
        "ends_at",
        "active",
    } <= set(incident)
    assert incident["active"] is True and incident["ends_at"] is None
    assert incident["country"] == "NG"
    assert incident["declared_by"] == "lead"
    assert actions_since(seq) == ["incident.declared"]


def test_an_incident_pauses_what_it_covers_and_the_appeal_lists_it(login, lead, time_machine):
    covered = open_appeal()  # alipay, like every factory order
    elsewhere = open_appeal(order=OrderFactory(payment_method="wechat"))
    client = login(lead)
    made = client.post(f"{API}/incidents/", incident_body(), format="json").json()

    incidents.incident_sweep()
    time_machine.move_to(timezone.now() + timedelta(minutes=30))

    shown = client.get(f"{API}/appeals/{covered.pk}/").json()
    assert shown["incidents"] == [made["id"]]
    assert shown["sla"]["paused"] is True
    paused_due = parse_datetime(shown["sla"]["resolution_due_at"])
    other = client.get(f"{API}/appeals/{elsewhere.pk}/").json()
    assert other["incidents"] == [] and other["sla"]["paused"] is False

    ended = client.post(f"{API}/incidents/{made['id']}/end/")

    assert ended.status_code == 200, ended.content
    assert ended.json()["active"] is False and ended.json()["ended_by"] == "lead"
    shown = client.get(f"{API}/appeals/{covered.pk}/").json()
    assert shown["sla"]["paused"] is False
    assert shown["sla"]["paused_seconds"] >= 30 * 60
    moved = parse_datetime(shown["sla"]["resolution_due_at"]) - paused_due
    assert moved == timedelta(seconds=shown["sla"]["paused_seconds"])
    assert shown["incidents"] == [made["id"]]  # the incident that paused it stays listed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"country": "NGA"}, "country"),
        ({"country": "1"}, "country"),
        ({"payment_method": "x" * 65}, "payment_method"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"starts_at": "2026-01-01T10:00:00"}, "starts_at"),
        ({"starts_at": None}, "starts_at"),
        ({"ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
    ],
)
def test_bad_incident_input_is_400_and_changes_nothing(login, lead, change, field):
    with unchanged():
        response = login(lead).post(f"{API}/incidents/", incident_body(**change), format="json")

    assert_error(response, 400, field)


def test_an_incident_in_the_future_or_ending_in_the_future_is_400(login, lead):
    client = login(lead)
    later = (timezone.now() + timedelta(hours=1)).isoformat()

    with unchanged():
        future = client.post(f"{API}/incidents/", incident_body(starts_at=later), format="json")
        lasting = client.post(f"{API}/incidents/", incident_body(ends_at=later), format="json")

    assert_error(future, 400, "starts_at")
    assert_error(lasting, 400, "ends_at")


def test_ending_an_incident_twice_is_409_and_an_unknown_one_404(login, lead):
    client = login(lead)
    made = client.post(f"{API}/incidents/", incident_body(), format="json").json()
    assert client.post(f"{API}/incidents/{made['id']}/end/").status_code == 200

    with unchanged():
        assert_error(client.post(f"{API}/incidents/{made['id']}/end/"), 409)
        assert_error(client.post(f"{API}/incidents/999999/end/"), 404)


def test_incidents_are_listed_latest_first(login, arbitrator):
    now = timezone.now()
    for hours in (5, 1, 3):
        Incident.objects.create(title=f"{hours}h ago", starts_at=now - timedelta(hours=hours))

    listed = walk(login(arbitrator), f"{API}/incidents/?page_size=2")

    assert [i["title"] for i in listed] == ["1h ago", "3h ago", "5h ago"]


def test_the_incident_list_costs_the_same_for_2_or_30_incidents(login, lead, auditor):
    now = timezone.now()
    for i in range(30):
        Incident.objects.create(
            title=f"outage {i}",
            starts_at=now - timedelta(hours=i + 2),
            ends_at=now - timedelta(hours=1) if i % 2 else None,
            declared_by=lead if i % 2 else staff_user("team_lead"),
            ended_by=lead if i % 2 else None,
        )

    assert_flat(login(auditor), f"{API}/incidents/", 30, at_most=5)


# --- notifications --------------------------------------------------------------------------


def test_a_member_sees_their_own_notifications_unread_first(login, arbitrator, arbitrator2):
    appeal = open_appeal()
    notify(arbitrator, appeal=appeal)
    notify(arbitrator, Notification.Kind.EVIDENCE_ARRIVED, appeal=appeal, party="seller")
    notify(arbitrator2, appeal=appeal)
    first = Notification.objects.filter(user=arbitrator).order_by("id").first()
    notifications.mark_read(arbitrator, [first.pk])

    listed = walk(login(arbitrator), f"{API}/notifications/")

    assert [n["id"] for n in listed] == list(
        Notification.objects.filter(user=arbitrator).order_by("-id").values_list("id", flat=True)
    )
    unread, read = listed
    assert set(unread) == {"id", "kind", "text", "appeal", "created_at", "read_at"}
    assert unread["kind"] == "evidence_arrived" and unread["read_at"] is None
    assert unread["appeal"] == appeal.pk
    assert unread["text"] == f"The seller answered on appeal #{appeal.pk}."
    assert read["text"] == f"Appeal #{appeal.pk} was assigned to you."
    assert ISO_WITH_OFFSET.match(read["read_at"])


def test_reading_a_notification_marks_it_read(login, arbitrator):
    notify(arbitrator)
    notification = Notification.objects.get(user=arbitrator)

    response = login(arbitrator).post(f"{API}/notifications/{notification.pk}/read/")

    assert response.status_code == 200, response.content
    assert response.json()["read_at"] is not None
    notification.refresh_from_db()
    assert notification.read_at is not None
    again = login(arbitrator).post(f"{API}/notifications/{notification.pk}/read/")
    assert again.json()["read_at"] == response.json()["read_at"]


def test_someone_elses_notification_is_404(login, arbitrator, arbitrator2):
    notify(arbitrator2)
    theirs = Notification.objects.get(user=arbitrator2)

    with unchanged():
        response = login(arbitrator).post(f"{API}/notifications/{theirs.pk}/read/")

    assert_error(response, 404)
    assert_error(login(arbitrator).post(f"{API}/notifications/999999/read/"), 404)


def test_the_notification_list_costs_the_same_for_2_or_40(login, arbitrator):
    appeals = [open_appeal() for _ in range(4)]
    for i in range(40):
        notify(arbitrator, appeal=appeals[i % 4] if i % 5 else None)
    notifications.mark_read(arbitrator, Notification.objects.values_list("id", flat=True)[:10])

    assert_flat(login(arbitrator), f"{API}/notifications/", 40, at_most=6)


# --- what the appeal shows ------------------------------------------------------------------


def test_the_appeal_shows_its_sla_assignment_escalation_and_incidents(login, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)

    shown = login(arbitrator).get(f"{API}/appeals/{appeal.pk}/").json()

    assert set(shown["sla"]) == {
        "first_response_due_at",
        "resolution_due_at",
        "evidence_due",
        "paused",
        "paused_seconds",
        "breaches",
    }
    assert set(shown["sla"]["evidence_due"]) == {"buyer", "seller"}
    assert ISO_WITH_OFFSET.match(shown["sla"]["resolution_due_at"])
    assert shown["sla"]["paused"] is False and shown["sla"]["paused_seconds"] == 0
    assert shown["sla"]["breaches"] == []
    assert ISO_WITH_OFFSET.match(shown["assigned_at"])
    assert shown["assignment_note"] == ""
    assert shown["escalation"] is None
    assert shown["incidents"] == []


def test_an_appeal_past_its_deadlines_lists_the_breaches(login, arbitrator, time_machine):
    appeal = open_appeal()
    time_machine.move_to(appeal.resolution_due_at + timedelta(minutes=1))

    shown = login(arbitrator).get(f"{API}/appeals/{appeal.pk}/").json()

    assert shown["sla"]["breaches"] == ["first_response", "resolution"]


def test_a_manual_escalation_shows_no_rule(login, arbitrator):
    appeal = appeal_in("escalated", worker=arbitrator)

    escalated = login(arbitrator).get(f"{API}/appeals/{appeal.pk}/").json()["escalation"]

    assert escalated["rule"] is None
    assert escalated["reason"] == "Looks like fraud."
    assert escalated["target_role"] == "senior_arbitrator"
    assert ISO_WITH_OFFSET.match(escalated["at"])


def test_an_escalation_by_a_rule_shows_its_name(login, lead):
    appeal = open_appeal(order=OrderFactory(large=True))
    EscalationRule.objects.create(
        name="Large USDT", conditions={"min_crypto_amount": "10000"}, target_role="team_lead"
    )

    escalation.escalation_sweep()

    shown = login(lead).get(f"{API}/appeals/{appeal.pk}/").json()
    assert shown["status"] == "escalated"
    assert shown["escalation"]["rule"] == "Large USDT"
    assert shown["escalation"]["target_role"] == "team_lead"


def test_the_list_shows_assignment_and_escalation_too(login, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)

    [row] = login(arbitrator).get(f"{API}/appeals/?status=in_review").json()["results"]

    assert row["id"] == appeal.pk
    assert ISO_WITH_OFFSET.match(row["assigned_at"])
    assert row["escalation"] is None
    assert "sla" not in row  # the detail's: it reads the evidence requests


def test_the_detail_costs_the_same_with_requests_and_incident_pauses(login, arbitrator):
    plain = open_appeal(order=OrderFactory(payment_method="wechat"))
    busy = appeal_in("awaiting_evidence", worker=arbitrator)
    for party in ("buyer", "seller"):
        lifecycle.appeal_request_evidence(
            appeal_id=busy.pk, actor=arbitrator, party=party, text="More, please."
        )
    for hours in (3, 2):
        Incident.objects.create(
            title="down", payment_method="alipay", starts_at=timezone.now() - timedelta(hours=hours)
        )
    incidents.incident_sweep()
    client = login(arbitrator)

    counts = {
        name: count_queries(client, f"{API}/appeals/{appeal.pk}/")[0]
        for name, appeal in {"plain": plain, "busy": busy}.items()
    }

    assert count_queries(client, f"{API}/appeals/{busy.pk}/")[1]["incidents"]
    assert counts["plain"] == counts["busy"], counts
