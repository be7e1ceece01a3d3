"""From the queue to a decided case in two page loads (issue 11): the verdict form is
checked in the page (verdict_check: the money movement and both parties' explanations,
or the form's errors, deciding nothing), confirming decides and lands on the next case
"claim next" would give, or the queue; the audit trail reads as sentences; the open case
page learns, cheaply, that someone else acted on it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cases import lifecycle
from cases.explanations import verdict_explain
from cases.models import Appeal, AuditEntry, OutboxEvent, Verdict
from cases.selectors.audit import SENTENCES
from evidence.services import evidence_add
from tests.factories import OrderFactory, appeal_in, open_appeal, png_bytes, upload

pytestmark = pytest.mark.django_db

S = Appeal.Status
ROOT = Path(__file__).resolve().parents[2]


def seen(appeal: Appeal) -> dict[str, Any]:
    appeal.refresh_from_db()
    last = AuditEntry.objects.filter(appeal=appeal).order_by("-seq").first()
    return {"seen": appeal.updated_at.isoformat(), "seen_seq": last.seq if last else 0}


def verdict_data(appeal: Appeal, **fields: Any) -> dict[str, Any]:
    return {
        **seen(appeal),
        "outcome": "release_to_buyer",
        "responsible_party": "seller",
        "rule": "P2P-1.1",
        "rationale": "The buyer's bank statement shows the payment.",
        "action_kind": "",
        "action_days": "",
        **fields,
    }


def check_url(appeal: Appeal) -> str:
    return reverse("cases:case_verdict_check", args=[appeal.pk])


def verdict_url(appeal: Appeal) -> str:
    return reverse("cases:case_verdict", args=[appeal.pk])


def flashes(client) -> list[str]:
    response = client.get(reverse("cases:profile"))
    return [str(m) for m in response.context["messages"]]


# --- the check: shows, decides nothing ----------------------------------------------------


def test_the_check_shows_the_money_movement_and_both_explanations(
    client, arbitrator, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    order = appeal.order
    client.force_login(arbitrator)
    data = verdict_data(appeal)

    with nothing_written():
        response = client.post(check_url(appeal), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert (
        f"Release 500 USDT to the buyer {order.buyer.display_name} ({order.buyer.external_id})?"
        in body
    )
    flow = re.search(r'data-test="money-flow">(.*?)</p>', body, re.S).group(1)
    assert "Escrow" in flow and "500 USDT" in flow and order.buyer.display_name in flow
    rule = response.context["rule"]
    draft = Verdict(
        appeal=appeal,
        outcome="release_to_buyer",
        responsible_party="seller",
        rule=rule,
        **rule.citation(),
        rationale=data["rationale"],
    )
    for side in ("buyer", "seller"):
        text = verdict_explain(draft, side, order.party(side).language or "en")
        assert escape(text) in body, side
    # The confirm button posts the verdict and goes on to the next case.
    assert 'name="then" value="next"' in body
    assert 'name="confirm" value="1"' in body


def test_the_check_says_what_is_wrong_and_changes_nothing(client, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)

    with nothing_written():
        response = client.post(check_url(appeal), verdict_data(appeal, outcome="", rationale=""))

    assert response.status_code == 400
    errors = re.search(
        r'data-test="verdict-check-errors">(.*?)</div>', response.content.decode(), re.S
    )
    assert errors and "Outcome" in errors.group(1) and "Rationale" in errors.group(1)
    assert 'name="confirm"' not in response.content.decode()


def test_the_check_refuses_a_verdict_its_rule_contradicts(client, arbitrator, nothing_written):
    # P2P-2.1's text, sent to both parties as the reason, says the crypto returns to the
    # seller: it cannot be the reason for a release, nor P2P-1.1 blame the buyer.
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)

    with nothing_written():
        wrong_outcome = client.post(check_url(appeal), verdict_data(appeal, rule="P2P-2.1"))
        wrong_party = client.post(
            check_url(appeal), verdict_data(appeal, responsible_party="buyer")
        )
        confirmed = client.post(
            verdict_url(appeal), verdict_data(appeal, rule="P2P-2.1", confirm="1")
        )

    for response, said in ((wrong_outcome, "P2P-2.1 decides"), (wrong_party, "P2P-1.1")):
        assert response.status_code == 400
        errors = re.search(
            r'data-test="verdict-check-errors">(.*?)</div>', response.content.decode(), re.S
        )
        assert errors and said in errors.group(1), response.content.decode()[:2000]
    assert confirmed.status_code == 400
    assert Appeal.objects.get(pk=appeal.pk).status == S.IN_REVIEW


def test_the_check_refuses_moving_a_settled_orders_escrow_again(
    client, arbitrator, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    type(appeal.order).objects.filter(pk=appeal.order_id).update(status="released")
    client.force_login(arbitrator)

    with nothing_written():
        response = client.post(check_url(appeal), verdict_data(appeal))

    assert response.status_code == 400
    errors = re.search(
        r'data-test="verdict-check-errors">(.*?)</div>', response.content.decode(), re.S
    )
    assert errors and "cannot be released again" in errors.group(1)


def test_the_no_js_confirmation_page_is_refused_to_who_may_not_decide(
    client, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator2)
    client.force_login(arbitrator)

    with nothing_written():
        response = client.post(verdict_url(appeal), verdict_data(appeal, confirm=""))

    assert response.status_code == 403
    assert 'name="confirm" value="1"' not in response.content.decode()
    # The one who may decide does get the confirmation page.
    client.force_login(arbitrator2)
    page = client.post(verdict_url(appeal), verdict_data(appeal, confirm=""))
    assert page.status_code == 200 and 'name="confirm" value="1"' in page.content.decode()


def test_the_check_of_a_stale_page_says_what_changed(client, arbitrator, senior, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    data = verdict_data(appeal)
    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason="Too big for me.")
    client.force_login(senior)

    with nothing_written():
        response = client.post(check_url(appeal), data)

    assert response.status_code == 409
    assert "arbitrator escalated the case" in response.content.decode()


def test_the_check_is_refused_to_whom_the_verdict_would_be(
    client, arbitrator, arbitrator2, auditor, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written():
        client.force_login(auditor)
        assert client.post(check_url(appeal), verdict_data(appeal)).status_code == 403
        client.force_login(arbitrator2)  # someone else's case
        response = client.post(check_url(appeal), verdict_data(appeal))
    assert response.status_code == 403
    assert 'data-test="verdict-check-errors"' in response.content.decode()


def test_the_check_answers_get_too_and_costs_a_bounded_number_of_queries(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    data = verdict_data(appeal)
    client.get(reverse("cases:profile"))  # warm up: the session, content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(check_url(appeal), data)
    assert response.status_code == 200
    # Session, user, roles, the appeal with its parties, the rules, the guard's reads,
    # four-eyes, the rule's translations.
    assert len(ctx.captured_queries) <= 16, [q["sql"] for q in ctx.captured_queries]


# --- confirming: decided, then the next case ----------------------------------------------


def test_confirming_decides_and_lands_on_the_case_claim_next_gives(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    later = open_appeal()
    urgent = open_appeal(order=OrderFactory())
    Appeal.objects.filter(pk=urgent.pk).update(priority=9)
    client.force_login(arbitrator)

    response = client.post(verdict_url(appeal), verdict_data(appeal, confirm="1", then="next"))

    assert response.status_code == 302
    assert response["Location"] == urgent.get_absolute_url()
    appeal.refresh_from_db()
    assert appeal.status == S.RESOLVED
    urgent.refresh_from_db()
    later.refresh_from_db()
    assert (urgent.status, urgent.assignee_id) == (S.IN_REVIEW, arbitrator.pk)
    assert later.assignee_id is None
    said = flashes(client)
    assert said[0] == (
        f"Appeal #{appeal.pk}: Verdict issued: release to buyer. It has taken effect."
    )
    assert said[1].startswith(f"You claimed appeal #{urgent.pk}")


def test_confirming_goes_on_to_the_users_own_case_in_review_before_claiming(
    client, arbitrator, arbitrator2
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    later = appeal_in(S.IN_REVIEW, worker=arbitrator)
    sooner = appeal_in(S.IN_REVIEW, worker=arbitrator)
    Appeal.objects.filter(pk=sooner.pk).update(
        resolution_due_at=later.resolution_due_at - timedelta(hours=1)
    )
    appeal_in(S.IN_REVIEW, worker=arbitrator2)  # someone else's
    appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)  # waits on a party
    unclaimed = open_appeal()
    client.force_login(arbitrator)

    response = client.post(verdict_url(appeal), verdict_data(appeal, confirm="1", then="next"))

    assert response["Location"] == sooner.get_absolute_url()
    assert Appeal.objects.get(pk=unclaimed.pk).assignee_id is None
    assert flashes(client)[1].startswith(f"Next: your appeal #{sooner.pk}")


def test_confirming_with_nothing_left_lands_on_the_queue(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)

    response = client.post(verdict_url(appeal), verdict_data(appeal, confirm="1", then="next"))

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:home")
    assert Appeal.objects.get(pk=appeal.pk).status == S.RESOLVED
    assert flashes(client)[1] == "The queue is empty: no unassigned open appeal to claim."


def test_above_four_eyes_the_verdict_is_proposed_not_applied_and_the_message_says_so(
    client, arbitrator
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    client.force_login(arbitrator)

    check = client.post(check_url(appeal), verdict_data(appeal))
    assert "pending approval" in check.content.decode()
    assert "Send for approval" in check.content.decode()
    response = client.post(verdict_url(appeal), verdict_data(appeal, confirm="1", then="next"))

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == S.PENDING_APPROVAL
    assert Verdict.objects.get(appeal=appeal).state == Verdict.State.PENDING
    assert not OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").exists()
    assert "it waits for a second senior arbitrator" in flashes(client)[0]


def test_a_refused_confirm_stays_on_the_case_and_claims_nothing(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    waiting = open_appeal()
    data = verdict_data(appeal, confirm="1", then="next")
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="touch")  # no status change
    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason="up")
    client.force_login(arbitrator)

    response = client.post(verdict_url(appeal), data)

    assert response.status_code == 409
    assert Appeal.objects.get(pk=waiting.pk).assignee_id is None
    assert not Verdict.objects.filter(appeal=appeal).exists()


def test_without_javascript_the_confirmation_page_still_decides_and_returns_to_the_case(
    client, arbitrator
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    open_appeal()
    client.force_login(arbitrator)
    page = client.post(verdict_url(appeal), verdict_data(appeal))
    assert page.status_code == 200
    assert 'class="question' in page.content.decode()

    response = client.post(verdict_url(appeal), verdict_data(appeal, confirm="1"))
    assert response["Location"] == appeal.get_absolute_url()
    assert Appeal.objects.get(pk=appeal.pk).status == S.RESOLVED


# --- the audit trail as sentences ---------------------------------------------------------

# Audit actions that never belong to an appeal, so no case page shows them.
NOT_ON_A_CASE = {
    "escalation_rule.deleted",
    "escalation_rule.saved",
    "incident.declared",
    "incident.ended",
    "staff.absence_added",
    "staff.absence_removed",
    "staff.created",
    "staff.updated",
    "rule.created",
    "rule.updated",
    "service_token.issued",
    "webhook_subscriber.saved",
    "webhook_delivery.retried",
    "slapolicy.created",
    "slapolicy.updated",
    "slapolicy.deleted",
}


def test_every_audit_action_the_code_writes_has_a_sentence():
    written = set()
    for app in ("cases", "evidence"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
            written |= set(re.findall(r'"(review\.[a-z_]+)"', text))
    written.add("review.upheld")  # f"review.{state}"
    written.add("review.reversed")
    assert {"appeal.claimed", "note.added", "verdict.proposed"} <= written
    assert written - NOT_ON_A_CASE - set(SENTENCES) == set()


def test_the_trail_of_a_worked_case_shows_no_raw_key_and_no_full_hash(client, arbitrator):
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="The seller is slow.")
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party="seller",
        text="Please send your bank statement.",
        due_at=timezone.now() + timedelta(hours=5),
    )
    evidence = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="payment_voucher",
        actor=arbitrator,
        original_name="statement.png",
        note="",
        payer_name="",
    )
    lifecycle.verdict_propose(
        appeal_id=appeal.pk,
        actor=arbitrator,
        outcome="release_to_buyer",
        responsible_party="seller",
        rule_code="P2P-1.1",
        rationale="Paid in time.",
        account_action=lifecycle.ProposedAction(kind="warning"),
    )
    client.force_login(arbitrator)

    response = client.get(appeal.get_absolute_url())

    body = response.content.decode()
    trail = re.search(r'data-test="audit-trail">(.*?)</ol>', body, re.S).group(1)
    actions = set(AuditEntry.objects.filter(appeal=appeal).values_list("action", flat=True))
    assert {"appeal.claimed", "note.added", "appeal.evidence_requested"} <= actions
    for action in actions:
        assert action not in body, action
    assert "expected_updated_at" not in body
    for sentence in (
        "arbitrator claimed the case",
        "arbitrator added a note",
        "arbitrator asked the seller for evidence, due",
        "arbitrator added evidence for the seller: payment voucher",
        "arbitrator decided: release to buyer (rule P2P-1.1)",
        "arbitrator took an account action on",
    ):
        assert sentence in trail, sentence
    # The hash: its first 8 characters shown, the whole only on hover or click.
    short = f"<code>{evidence.sha256[:8]}</code>"
    assert short in trail
    visible = re.sub(r'title="[^"]*"|<code class="hash-full">[^<]*</code>', "", trail)
    assert evidence.sha256 not in visible


def test_the_trail_is_in_the_viewers_language(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="x")
    client.force_login(arbitrator)
    with translation.override("zh-hans"):
        response = client.get(appeal.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    trail = re.search(r'data-test="audit-trail">(.*?)</ol>', response.content.decode(), re.S)
    assert "arbitrator 认领了此案件" in trail.group(1)
    assert "claimed the case" not in trail.group(1)


# --- someone else acted: the banner's poll ------------------------------------------------


def changes_url(appeal: Appeal, seq: Any) -> str:
    return reverse("cases:case_changes", args=[appeal.pk]) + f"?seq={seq}"


def test_the_poll_is_quiet_until_someone_else_acts(client, arbitrator, arbitrator2):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    drawn = seen(appeal)["seen_seq"]
    client.force_login(arbitrator)

    assert client.get(changes_url(appeal, drawn)).status_code == 204
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="my own note")
    assert client.get(changes_url(appeal, drawn)).status_code == 204  # my own doing

    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator2, text="a colleague's note")
    response = client.get(changes_url(appeal, drawn))

    assert response.status_code == 200
    body = response.content.decode()
    assert "arbitrator2 added a note" in body
    assert "ago — reload to see." in body
    assert f'href="{appeal.get_absolute_url()}"' in body


def test_the_poll_names_the_system_and_counts_the_rest(client, arbitrator, senior):
    appeal = open_appeal()
    drawn = seen(appeal)["seen_seq"]
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=senior)
    lifecycle.note_add(appeal_id=appeal.pk, actor=senior, text="mine now")
    client.force_login(arbitrator)

    body = client.get(changes_url(appeal, drawn)).content.decode()

    assert "senior added a note" in body
    assert "(And 1 more change.)" in body


def test_the_poll_refuses_a_bad_seq_and_stops_for_a_signed_out_user(client, arbitrator):
    appeal = open_appeal()
    client.force_login(arbitrator)
    assert client.get(changes_url(appeal, "abc")).status_code == 400
    client.logout()
    assert client.get(changes_url(appeal, 0)).status_code == 286


def test_the_poll_costs_few_queries(client, arbitrator, arbitrator2):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    drawn = seen(appeal)["seen_seq"]
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator2, text="n")
    client.force_login(arbitrator)
    client.get(changes_url(appeal, drawn))  # warm up
    with CaptureQueriesContext(connection) as quiet:
        client.get(changes_url(appeal, 10**9))
    with CaptureQueriesContext(connection) as loud:
        client.get(changes_url(appeal, drawn))
    # What every signed-in request costs (session, user, the user's profile for the time
    # zone, roles), then one audit query, and one for the actor's name.
    assert len(quiet.captured_queries) <= 5, [q["sql"] for q in quiet.captured_queries]
    assert len(loud.captured_queries) <= 6, [q["sql"] for q in loud.captured_queries]


# --- the order follows the verdict (issue 11, point 8) --------------------------------------


@pytest.mark.parametrize(
    ("outcome", "rule", "status"),
    [
        ("release_to_buyer", "P2P-1.1", "released"),
        ("return_to_seller", "P2P-2.1", "cancelled"),
        ("no_action", "P2P-8.1", "appealed"),
    ],
)
def test_the_order_follows_the_outcome_when_the_verdict_takes_effect(
    client, arbitrator, outcome, rule, status
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    Order = type(appeal.order)
    Order.objects.filter(pk=appeal.order_id).update(status="appealed", released_at=None)
    client.force_login(arbitrator)
    client.post(verdict_url(appeal), verdict_data(appeal, outcome=outcome, rule=rule, confirm="1"))

    order = Order.objects.get(pk=appeal.order_id)
    assert Appeal.objects.get(pk=appeal.pk).status == S.RESOLVED
    assert order.status == status
    assert (order.released_at is not None) == (status == "released")
    resolved = AuditEntry.objects.get(appeal=appeal, action="appeal.resolved")
    assert resolved.after.get("order_status") == (None if status == "appealed" else status)
    page = client.get(appeal.get_absolute_url()).content.decode()
    assert "Order status" in page


def test_a_four_eyes_verdict_leaves_the_order_appealed_until_approved(client, arbitrator, senior):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    Order = type(appeal.order)
    Order.objects.filter(pk=appeal.order_id).update(status="appealed")
    client.force_login(arbitrator)
    client.post(verdict_url(appeal), verdict_data(appeal, confirm="1"))
    assert Order.objects.get(pk=appeal.order_id).status == "appealed"

    verdict = Verdict.objects.get(appeal=appeal)
    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)
    assert Order.objects.get(pk=appeal.order_id).status == "released"
