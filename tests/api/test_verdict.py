"""POST /api/v1/appeals/{id}/verdict/."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.models import AccountAction, Appeal, Rule, Verdict
from tests.factories import OrderFactory, appeal_in, open_appeal

from .payloads import API, ISO_WITH_OFFSET, VERDICT_BODY, assert_error

pytestmark = pytest.mark.django_db


def url(appeal: Appeal) -> str:
    return f"{API}/appeals/{appeal.pk}/verdict/"


def test_a_verdict_below_the_threshold_takes_effect_with_201(arbitrator_api, arbitrator, trail):
    appeal = open_appeal()  # 500 USDT, unclaimed
    t = trail()

    response = arbitrator_api.post(url(appeal), VERDICT_BODY, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["appeal"] == appeal.pk
    assert body["outcome"] == "release_to_buyer"
    assert body["responsible_party"] == "seller"
    assert body["rule"] == "P2P-1.1"
    assert body["rationale"] == VERDICT_BODY["rationale"]
    assert body["state"] == "effective"
    assert body["status"] == "resolved"
    assert body["decided_by"] == arbitrator.username
    assert ISO_WITH_OFFSET.match(body["effective_at"])
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == ("resolved", arbitrator)
    # Deciding an unclaimed case claims it in the same transaction.
    assert t.status_changes == [("open", "in_review"), ("in_review", "resolved")]
    [event] = t.events("verdict.issued")
    assert event.data["appeal"] == appeal.pk
    assert event.data["crypto_amount"] == "500.00000000"


def test_a_verdict_above_the_four_eyes_threshold_waits_with_202(arbitrator_api, trail):
    appeal = open_appeal(order=OrderFactory(large=True))  # 25000 USDT > 10000
    t = trail()

    response = arbitrator_api.post(url(appeal), VERDICT_BODY, format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "pending_approval"
    assert body["state"] == "pending"
    assert body["requires_approval"] is True
    assert body["effective_at"] is None
    assert Appeal.objects.get(pk=appeal.pk).status == "pending_approval"
    assert t.events("verdict.issued") == []


def test_a_verdict_exactly_at_the_threshold_needs_no_second_reviewer(arbitrator_api):
    appeal = open_appeal(order=OrderFactory(crypto_amount=Decimal("10000")))

    assert arbitrator_api.post(url(appeal), VERDICT_BODY, format="json").status_code == 201


@pytest.mark.parametrize("first_status", [201, 202])
def test_a_second_verdict_is_409(login, arbitrator, senior, trail, first_status):
    appeal = open_appeal(order=OrderFactory(large=first_status == 202))
    assert login(arbitrator).post(url(appeal), VERDICT_BODY, format="json").status_code == (
        first_status
    )
    t = trail()

    response = login(senior).post(
        url(appeal),
        {**VERDICT_BODY, "outcome": "return_to_seller", "rule": "P2P-2.1"},
        format="json",
    )

    assert_error(response, 409)
    assert Verdict.objects.filter(appeal=appeal).count() == 1
    assert t.events() == [] and t.audit == []


def test_the_same_arbitrator_cannot_decide_twice_either(arbitrator_api):
    appeal = open_appeal()
    arbitrator_api.post(url(appeal), VERDICT_BODY, format="json")

    assert_error(arbitrator_api.post(url(appeal), VERDICT_BODY, format="json"), 409)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "split_the_difference"),
        ("outcome", None),
        ("responsible_party", "the_bank"),
        ("rule", "NO-SUCH-RULE"),
        ("rule", ""),
        ("rationale", ""),
        ("rationale", "   "),
    ],
)
def test_bad_input_is_refused_naming_the_field(arbitrator_api, nothing_written, field, value):
    appeal = open_appeal()

    with nothing_written():
        response = arbitrator_api.post(url(appeal), {**VERDICT_BODY, field: value}, format="json")

    assert_error(response, 400, field)


@pytest.mark.parametrize("field", ["outcome", "responsible_party", "rule", "rationale"])
def test_a_missing_field_is_named(arbitrator_api, nothing_written, field):
    appeal = open_appeal()
    body = {k: v for k, v in VERDICT_BODY.items() if k != field}

    with nothing_written():
        response = arbitrator_api.post(url(appeal), body, format="json")

    assert_error(response, 400, field)


def test_an_inactive_rule_cannot_be_cited(arbitrator_api, nothing_written):
    Rule.objects.filter(code="P2P-1.1").update(active=False)
    appeal = open_appeal()

    with nothing_written():
        response = arbitrator_api.post(url(appeal), VERDICT_BODY, format="json")

    assert_error(response, 400, "rule")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rule": "P2P-2.1"}, "outcome"),  # "the crypto returns to the seller"
        ({"responsible_party": "buyer"}, "responsible_party"),  # P2P-1.1 blames the seller
        ({"outcome": "no_action", "rule": "P2P-9.1"}, "outcome"),
    ],
)
def test_a_verdict_its_rule_contradicts_is_refused(arbitrator_api, nothing_written, change, field):
    appeal = open_appeal()

    with nothing_written():
        response = arbitrator_api.post(url(appeal), {**VERDICT_BODY, **change}, format="json")

    assert_error(response, 400, field)
    assert Appeal.objects.get(pk=appeal.pk).status == "open"


def test_a_rule_allowing_any_outcome_takes_any(arbitrator_api):
    appeal = open_appeal()
    body = {**VERDICT_BODY, "rule": "P2P-6.2", "outcome": "return_to_seller"}

    response = arbitrator_api.post(url(appeal), {**body, "responsible_party": "buyer"})

    assert response.status_code == 201, response.json()


def test_a_restriction_without_days_is_refused_naming_the_input_field(
    arbitrator_api, nothing_written
):
    appeal = open_appeal()
    body = {**VERDICT_BODY, "account_action": "p2p_restriction"}

    with nothing_written():
        response = arbitrator_api.post(url(appeal), body, format="json")

    # The client sent `restriction_days`; an error about "days" names no field it knows.
    assert_error(response, 400, "restriction_days")


def test_an_account_action_needs_a_responsible_party(arbitrator_api, nothing_written):
    appeal = open_appeal()
    body = {**VERDICT_BODY, "responsible_party": "none", "account_action": "freeze"}

    with nothing_written():
        response = arbitrator_api.post(url(appeal), body, format="json")

    assert_error(response, 400, "account_action")


def test_an_account_action_is_applied_with_the_verdict(arbitrator_api):
    appeal = open_appeal()
    body = {**VERDICT_BODY, "account_action": "p2p_restriction", "restriction_days": 30}

    assert arbitrator_api.post(url(appeal), body, format="json").status_code == 201

    [action] = AccountAction.objects.all()
    assert (action.trader, action.kind, action.days) == (appeal.order.seller, "p2p_restriction", 30)


def test_an_unknown_appeal_is_404(arbitrator_api):
    assert_error(arbitrator_api.post(f"{API}/appeals/999999/verdict/", VERDICT_BODY), 404)


def test_a_cancelled_appeal_cannot_be_decided(arbitrator_api, nothing_written):
    appeal = appeal_in("cancelled")

    with nothing_written():
        response = arbitrator_api.post(url(appeal), VERDICT_BODY, format="json")

    assert_error(response, 409)


def test_an_appeal_claimed_by_someone_else_is_theirs_to_decide(
    login, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in("in_review", worker=arbitrator2)

    with nothing_written():
        response = login(arbitrator).post(url(appeal), VERDICT_BODY, format="json")

    assert_error(response, 403)


def test_a_senior_may_decide_a_case_claimed_by_an_arbitrator(login, arbitrator, senior):
    appeal = appeal_in("in_review", worker=arbitrator)

    response = login(senior).post(url(appeal), VERDICT_BODY, format="json")

    assert response.status_code == 201
    assert response.json()["decided_by"] == senior.username


def test_a_service_token_may_not_decide(service_api, nothing_written):
    appeal = open_appeal()

    with nothing_written():
        response = service_api.post(url(appeal), VERDICT_BODY, format="json")

    assert_error(response, 403)


def test_a_staff_user_with_a_token_may_decide(arbitrator):
    # TokenAuthentication serves any user with a key; an arbitrator is still an arbitrator.
    from rest_framework.authtoken.models import Token

    from .conftest import token_client

    appeal = open_appeal()
    key = Token.objects.create(user=arbitrator).key

    assert token_client(key).post(url(appeal), VERDICT_BODY, format="json").status_code == 201
