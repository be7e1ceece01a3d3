"""Account restrictions: who restricts, proposes, approves and lifts; what the database
refuses whatever the code does; the events the exchange hears; and a verdict's freeze or
P2P restriction being one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from arbitration.exceptions import Conflict, InvalidInput, NotAllowed
from cases import lifecycle
from cases.models import AccountRestriction, AuditEntry, Notification, OutboxEvent, Trader
from tests.factories import TraderFactory, appeal_in, propose

pytestmark = pytest.mark.django_db

R = AccountRestriction
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def trader() -> Trader:
    return TraderFactory(external_id="T-RESTRICT")


@pytest.fixture
def lead2(make_user):
    return make_user("team_lead", username="lead2")


def events() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(type="account.action_taken").order_by("created_at"))


def add(actor, trader, **fields):
    fields.setdefault("functions", ["withdrawal"])
    fields.setdefault("reason", "Chargebacks on three orders.")
    return lifecycle.restriction_add(actor=actor, trader=trader, **fields)


def proposal(actor, trader, **fields):
    fields.setdefault("functions", ["p2p", "withdrawal"])
    fields.setdefault("reason", "One device behind five accounts.")
    return lifecycle.restriction_propose(actor=actor, trader=trader, **fields)


# --- adding -----------------------------------------------------------------------------


def test_a_senior_restricts_at_once_and_the_exchange_is_told(senior, trader, time_machine):
    time_machine.move_to(NOON, tick=False)
    until = NOON + timedelta(days=3)

    restriction = add(senior, trader, functions=["login", "withdrawal"], until=until)

    assert restriction.functions == ["withdrawal", "login"]
    assert restriction.is_active() and trader.is_restricted()
    assert not trader.is_restricted(at=until)
    [event] = events()
    assert event.data == {
        "trader": "T-RESTRICT",
        "action": "restriction",
        "restriction": restriction.pk,
        "functions": ["withdrawal", "login"],
        "until": until.isoformat().replace("+00:00", "Z"),
        "reason": "Chargebacks on three orders.",
        "appeal": None,
    }
    entry = AuditEntry.objects.get(action="account.restricted")
    assert (entry.actor, entry.object_id) == (senior, str(restriction.pk))


def test_a_restriction_names_the_appeal_that_prompted_it(lead, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    restriction = add(lead, appeal.order.seller, appeal=appeal)
    [event] = events()
    assert (event.appeal_id, event.data["appeal"]) == (appeal.pk, appeal.pk)
    assert restriction.appeal == appeal


@pytest.mark.parametrize("role", ["arbitrator", "risk_analyst", "auditor", None])
def test_other_roles_may_not_restrict(role, make_user, trader, nothing_written):
    actor = make_user(role)
    with nothing_written(), pytest.raises(NotAllowed):
        add(actor, trader)


def test_a_service_account_may_not_restrict(service_account, trader, nothing_written):
    with nothing_written(), pytest.raises(NotAllowed):
        add(service_account, trader)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"functions": []}, "functions"),
        ({"functions": ["trade"]}, "functions"),
        ({"functions": "withdrawal"}, "functions"),
        ({"reason": "   "}, "reason"),
        ({"until": NOON - timedelta(seconds=1)}, "until"),
        ({"until": NOON}, "until"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    fields, field, senior, trader, time_machine, nothing_written
):
    time_machine.move_to(NOON, tick=False)
    with nothing_written(), pytest.raises(InvalidInput) as refused:
        add(senior, trader, **fields)
    assert refused.value.field == field


def test_repeated_functions_count_once(senior, trader):
    assert add(senior, trader, functions=["p2p", "p2p", "login"]).functions == ["p2p", "login"]


# --- lifting ----------------------------------------------------------------------------


def test_lifting_gives_the_functions_back_and_says_so(senior, lead, trader):
    restriction = add(senior, trader, functions=["p2p"])

    lifted = lifecycle.restriction_lift(
        actor=lead, restriction_id=restriction.pk, reason="Bank confirmed the payment."
    )

    assert (lifted.lifted_by, lifted.lift_reason) == (lead, "Bank confirmed the payment.")
    assert not lifted.is_active() and not trader.is_restricted()
    added, lift = events()
    assert lift.data["lifted"] is True
    assert {k: lift.data[k] for k in ("trader", "functions", "until", "reason")} == {
        "trader": "T-RESTRICT",
        "functions": ["p2p"],
        "until": None,
        "reason": "Chargebacks on three orders.",
    }
    assert "lifted" not in added.data
    assert AuditEntry.objects.filter(action="account.restriction_lifted").count() == 1


def test_a_restriction_is_lifted_once(senior, trader):
    restriction = add(senior, trader)
    lifecycle.restriction_lift(actor=senior, restriction_id=restriction.pk, reason="Cleared.")
    with pytest.raises(Conflict):
        lifecycle.restriction_lift(actor=senior, restriction_id=restriction.pk, reason="Again.")
    assert len(events()) == 2


def test_an_ended_restriction_is_not_lifted(senior, trader, time_machine):
    time_machine.move_to(NOON, tick=False)
    restriction = add(senior, trader, until=NOON + timedelta(hours=1))
    time_machine.move_to(NOON + timedelta(hours=2), tick=False)
    with pytest.raises(Conflict):
        lifecycle.restriction_lift(actor=senior, restriction_id=restriction.pk, reason="x")


def test_lifting_needs_a_reason_and_the_role(senior, arbitrator, trader):
    restriction = add(senior, trader)
    with pytest.raises(InvalidInput):
        lifecycle.restriction_lift(actor=senior, restriction_id=restriction.pk, reason=" ")
    with pytest.raises(NotAllowed):
        lifecycle.restriction_lift(actor=arbitrator, restriction_id=restriction.pk, reason="x")
    assert R.objects.get(pk=restriction.pk).is_active()


# --- proposals --------------------------------------------------------------------------


def test_a_proposal_switches_nothing_off_and_tells_the_team_leads(
    risk_analyst, lead, lead2, trader
):
    restriction = proposal(risk_analyst, trader)

    assert restriction.is_waiting and not restriction.is_active()
    assert not trader.is_restricted()
    assert events() == []
    told = Notification.objects.filter(kind="restriction_proposed")
    assert {n.user for n in told} == {lead, lead2}
    assert AuditEntry.objects.filter(action="account.restriction_proposed").count() == 1


def test_an_approved_proposal_takes_effect_once(risk_analyst, lead, trader):
    restriction = proposal(risk_analyst, trader)

    approved = lifecycle.restriction_proposal_decide(
        actor=lead, restriction_id=restriction.pk, approve=True, note="Agreed."
    )

    assert (approved.state, approved.decided_by, approved.created_by) == (
        "imposed",
        lead,
        risk_analyst,
    )
    assert trader.is_restricted()
    [event] = events()
    assert event.data["functions"] == ["withdrawal", "p2p"]
    assert not Notification.objects.filter(kind="restriction_proposed", read_at__isnull=True)
    with pytest.raises(Conflict):
        lifecycle.restriction_proposal_decide(
            actor=lead, restriction_id=restriction.pk, approve=True
        )
    assert len(events()) == 1


def test_nobody_approves_their_own_proposal(lead, lead2, trader):
    restriction = proposal(lead, trader)
    assert Notification.objects.filter(kind="restriction_proposed").get().user == lead2

    with pytest.raises(NotAllowed):
        lifecycle.restriction_proposal_decide(
            actor=lead, restriction_id=restriction.pk, approve=True
        )

    assert R.objects.get(pk=restriction.pk).is_waiting and events() == []


def test_a_rejected_proposal_never_applies(risk_analyst, lead, trader):
    restriction = proposal(risk_analyst, trader)

    lifecycle.restriction_proposal_decide(
        actor=lead, restriction_id=restriction.pk, approve=False, note="Not enough."
    )

    assert R.objects.get(pk=restriction.pk).state == "rejected"
    with pytest.raises(Conflict):
        lifecycle.restriction_proposal_decide(
            actor=lead, restriction_id=restriction.pk, approve=True
        )
    with pytest.raises(Conflict):
        lifecycle.restriction_lift(actor=lead, restriction_id=restriction.pk, reason="x")
    assert not trader.is_restricted() and events() == []
    assert AuditEntry.objects.filter(action="account.restriction_rejected").count() == 1


@pytest.mark.parametrize("role", ["senior_arbitrator", "risk_analyst", "arbitrator"])
def test_only_team_leads_decide_proposals(role, make_user, risk_analyst, trader):
    restriction = proposal(risk_analyst, trader)
    with pytest.raises(NotAllowed):
        lifecycle.restriction_proposal_decide(
            actor=make_user(role), restriction_id=restriction.pk, approve=True
        )
    assert R.objects.get(pk=restriction.pk).is_waiting


def test_arbitrators_and_auditors_do_not_propose(arbitrator, auditor, trader, nothing_written):
    for actor in (arbitrator, auditor):
        with nothing_written(), pytest.raises(NotAllowed):
            proposal(actor, trader)


def test_a_proposal_whose_end_has_passed_is_not_approved(risk_analyst, lead, trader, time_machine):
    time_machine.move_to(NOON, tick=False)
    restriction = proposal(risk_analyst, trader, until=NOON + timedelta(hours=1))
    time_machine.move_to(NOON + timedelta(hours=2), tick=False)
    with pytest.raises(Conflict):
        lifecycle.restriction_proposal_decide(
            actor=lead, restriction_id=restriction.pk, approve=True
        )


# --- one record: a verdict's account actions are restrictions too ----------------------


def test_a_verdict_freeze_is_a_restriction_a_lead_can_lift(arbitrator, lead):
    appeal = appeal_in("in_review", worker=arbitrator)
    propose(appeal, arbitrator, account_action=lifecycle.ProposedAction("freeze"))
    seller = Trader.objects.get(pk=appeal.order.seller_id)
    [restriction] = seller.restrictions.all()
    assert (restriction.functions, restriction.until, restriction.action.kind) == (
        ["withdrawal", "p2p", "login"],
        None,
        "freeze",
    )
    assert seller.frozen and seller.is_restricted()
    [event] = events()
    assert (event.data["action"], event.data["functions"]) == ("freeze", restriction.functions)

    lifecycle.restriction_lift(actor=lead, restriction_id=restriction.pk, reason="Appeal won.")

    seller.refresh_from_db()
    assert not seller.frozen and not seller.is_restricted()


def test_the_summary_keeps_the_latest_p2p_end(senior, trader, time_machine):
    time_machine.move_to(NOON, tick=False)
    longer = add(senior, trader, functions=["p2p"], until=NOON + timedelta(days=30))
    add(senior, trader, functions=["p2p", "login"], until=NOON + timedelta(days=7))
    trader.refresh_from_db()
    assert trader.p2p_restricted_until == NOON + timedelta(days=30)

    lifecycle.restriction_lift(actor=senior, restriction_id=longer.pk, reason="Shortened.")

    trader.refresh_from_db()
    assert trader.p2p_restricted_until == NOON + timedelta(days=7) and not trader.frozen


# --- what the database refuses, whatever the code does ----------------------------------


def _row(trader, user, **fields):
    values = {
        "trader": trader,
        "withdrawal": True,
        "reason": "x",
        "state": "imposed",
        "created_by": user,
        "decided_by": user,
        "decided_at": NOON,
        "created_at": NOON,
    } | fields
    return R(**values)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"withdrawal": False}, "restriction_has_functions"),
        ({"reason": ""}, "restriction_has_reason"),
        ({"until": NOON}, "restriction_ends_after_start"),
        ({"decided_by": None, "decided_at": None}, "restriction_decided"),
        ({"state": "proposed", "proposal": True}, "restriction_decided"),
        ({"proposal": False, "state": "rejected"}, "restriction_direct_imposed"),
        ({"proposal": True}, "restriction_four_eyes"),
        ({"lifted_at": NOON}, "restriction_lifted_complete"),
        (
            {"proposal": True, "state": "rejected", "lifted_at": NOON, "lift_reason": "x"},
            "restriction_lifted_complete",
        ),
    ],
)
def test_the_database_refuses_an_impossible_restriction(fields, name, trader, lead, lead2):
    row = _row(trader, lead, **fields)
    if fields.get("proposal") and fields.get("state") == "rejected":
        row.decided_by, row.lifted_by = lead2, lead2
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        row.save()


def test_the_database_accepts_a_well_formed_one(trader, lead, lead2):
    _row(trader, lead, proposal=True, decided_by=lead2).save()
    assert R.objects.count() == 1
