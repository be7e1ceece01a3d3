"""What an outsider tried against the floor, kept tried: dates no page could read back, an
SLA policy or escalation rule the database cannot use, a deadline missed during an outage
declared late, a lead deactivating someone while a tick assigns to them, and names that
collide once normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from arbitration.exceptions import Conflict, InvalidInput
from cases import lifecycle
from cases.admin import SlaPolicyForm
from cases.floor import assignment, deadlines, staff
from cases.floor.escalation import rule_save
from cases.floor.incidents import incident_declare, incident_end
from cases.floor.tick import floor_tick
from cases.models import Appeal, EscalationRule, Incident, Party
from cases.services import service_account_issue_token
from tests.factories import OrderFactory, open_appeal

from .conftest import ALL_WEEK, MONDAY

pytestmark = pytest.mark.django_db

START = MONDAY + timedelta(hours=9)
HOUR = timedelta(hours=1)
YEAR_ONE = datetime(1, 1, 2, tzinfo=UTC)


def test_an_absence_or_incident_outside_the_storable_years_is_refused(lead, arbitrator):
    with pytest.raises(InvalidInput) as refused:
        staff.absence_add(actor=lead, user=arbitrator, starts_at=YEAR_ONE, ends_at=YEAR_ONE + HOUR)
    assert refused.value.field == "starts_at"
    with pytest.raises(InvalidInput):
        incident_declare(actor=lead, title="Ancient outage", starts_at=YEAR_ONE)
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        staff.absence_add(actor=lead, user=arbitrator, starts_at=far - HOUR, ends_at=far)
    assert not Incident.objects.exists()
    assert not arbitrator.absences.exists()


def test_the_admin_refuses_an_sla_policy_the_api_refuses():
    form = SlaPolicyForm(
        data={
            "reason": "other",
            "first_response_minutes": 2147483647,
            "evidence_hours": 2147483647,
            "resolution_hours": 2147483647,
        }
    )
    assert not form.is_valid()
    assert "first_response_minutes" in form.errors


@pytest.mark.parametrize("amount", ["1e999999", "100000000000000000000", "0.123456789", "-1"])
def test_an_amount_the_database_cannot_compare_with_is_refused(lead, amount):
    with pytest.raises(InvalidInput) as refused:
        rule_save(
            actor=lead,
            name="Huge",
            conditions={"min_crypto_amount": amount},
            target_role="team_lead",
        )
    assert refused.value.field == "conditions.min_crypto_amount"


def test_rule_names_are_unique_whatever_their_case(lead):
    rule_save(actor=lead, name="Large USDT", conditions={}, target_role="team_lead")
    with pytest.raises(Conflict):
        rule_save(actor=lead, name="large usdt", conditions={}, target_role="team_lead")


def test_a_broken_rule_in_the_database_does_not_stop_the_tick(person, travel):
    travel(START)
    person("arbitrator", shifts=ALL_WEEK)
    appeal = open_appeal()
    # Saved behind the checks' back (before they existed, or by hand in SQL).
    EscalationRule.objects.create(
        name="broken", conditions={"min_crypto_amount": "1E+999999"}, target_role="team_lead"
    )
    summary = floor_tick()
    assert summary["assigned"] == 1
    assert Appeal.objects.get(pk=appeal.pk).assignee_id is not None


def test_a_deadline_missed_during_an_incident_declared_late_waits_again(lead, arbitrator, travel):
    travel(START)
    appeal = open_appeal(order=OrderFactory(payment_method="tinkoff"))
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement please.",
        due_at=START + 2 * HOUR,
    )
    travel(START + 3 * HOUR)
    assert deadlines.missed_sweep() == 1
    flagged = Appeal.objects.get(pk=appeal.pk)
    assert flagged.evidence_missed_at is not None
    # The bank was down from START + 1h: the seller could not have sent it.
    incident = incident_declare(
        actor=lead, title="Tinkoff down", payment_method="tinkoff", starts_at=START + HOUR
    )
    travel(START + 4 * HOUR)
    incident_end(actor=lead, incident_id=incident.pk)
    a = Appeal.objects.get(pk=appeal.pk)
    request = a.evidence_requests.get()
    assert request.missed_at is None
    assert request.due_at == START + 5 * HOUR  # 2h + the 3h the incident took
    assert a.evidence_missed_at is None
    assert a.paused  # waiting on the seller again
    assert "evidence_seller" not in lifecycle_breaches(a)


def lifecycle_breaches(appeal: Appeal) -> list[str]:
    from cases import sla

    return sla.breaches(appeal, list(appeal.evidence_requests.all()))


def test_someone_deactivated_while_a_tick_runs_takes_nothing_from_it(person, lead, travel):
    travel(START)
    leaving = person("arbitrator", shifts=ALL_WEEK)
    appeals = [open_appeal() for _ in range(3)]
    floor = assignment._floor(START)
    staff.staff_update(actor=lead, user=leaving, active=False)
    candidates = list(Appeal.objects.filter(pk__in=[a.pk for a in appeals]))
    assigned, _notes = assignment._assign_batch(candidates, floor)
    assert assigned == 0
    assert not Appeal.objects.filter(assignee=leaving).exists()


def test_a_name_that_normalises_to_an_existing_one_is_a_conflict(lead):
    with pytest.raises(Conflict):
        staff.staff_create(
            actor=lead, username="ｌead", password="a-Long-pass-2026!", role="arbitrator"
        )
    with pytest.raises(InvalidInput):
        staff.staff_create(
            actor=lead, username="svc-billing", password="a-Long-pass-2026!", role="arbitrator"
        )


def test_a_person_is_never_turned_into_a_service_account(lead):
    get_user_model().objects.create_user(username="svc-billing", password="x")
    with pytest.raises(Conflict):
        service_account_issue_token(name="billing")
