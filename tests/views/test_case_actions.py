"""The case page's actions: who may take each, that a refused or illegal action changes
nothing and says why, the stale-page guard, the verdict confirmation and four-eyes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.models import Appeal, Note, OutboxEvent, StaffProfile, Verdict
from evidence.models import Evidence
from evidence.services import evidence_add
from tests.factories import OrderFactory, appeal_in, open_appeal, png_bytes, upload
from tests.views.pages import case_actions

pytestmark = pytest.mark.django_db

S = Appeal.Status
ROLES = ["arbitrator", "senior", "lead", "risk_analyst", "auditor", "no_role", "anonymous"]


def url(name: str, appeal: Appeal, *args: Any) -> str:
    return reverse(f"cases:{name}", args=[appeal.pk, *args])


def seen(appeal: Appeal) -> dict[str, str]:
    """The hidden fields a page drawn now would carry."""
    appeal.refresh_from_db()
    return {"seen": appeal.updated_at.isoformat()}


def fresh(appeal: Appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


def verdict_data(appeal: Appeal, **fields: Any) -> dict[str, Any]:
    return {
        **seen(appeal),
        "outcome": "release_to_buyer",
        "responsible_party": "seller",
        "rule": "P2P-1.1",
        "rationale": "The buyer's bank statement shows the payment.",
        "action_kind": "",
        "action_days": "",
        "confirm": "1",
        **fields,
    }


def messages_of(response) -> list[str]:
    """The error messages the response shows (a success message of an earlier redirect
    that the test did not follow may still wait in the session)."""
    if not response.context:
        return []
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


# --- the permission matrix ----------------------------------------------------------------


@dataclass
class Action:
    """One action of the page: how to set up a case for it, what to post, and how to tell
    it happened. `allowed` are the roles that may take it."""

    setup: Callable[[dict[str, Any]], Appeal]
    post: Callable[[Appeal, dict[str, Any]], tuple[str, dict[str, Any]]]
    done: Callable[[Appeal], bool]
    allowed: frozenset[str]


WORKERS = frozenset({"arbitrator", "senior", "lead"})
SENIORS = frozenset({"senior", "lead"})


def _in_review(actors: dict[str, Any]) -> Appeal:
    return appeal_in(S.IN_REVIEW, worker=actors["arbitrator"])


def _pending(actors: dict[str, Any]) -> Appeal:
    return appeal_in(S.PENDING_APPROVAL, worker=actors["arbitrator2"])


def _pending_verdict(appeal: Appeal) -> Verdict:
    return appeal.verdicts.get(state=Verdict.State.PENDING)


ACTIONS: dict[str, Action] = {
    "claim": Action(
        setup=lambda actors: open_appeal(),
        post=lambda a, actors: (url("case_claim", a), seen(a)),
        done=lambda a: fresh(a).status == S.IN_REVIEW,
        allowed=WORKERS,
    ),
    "assign": Action(
        setup=_in_review,
        post=lambda a, actors: (
            url("case_assign", a),
            {**seen(a), "assignee": actors["arbitrator2"].pk},
        ),
        done=lambda a: (
            fresh(a).assignee_id is not None and fresh(a).assignee.username == "arbitrator2"
        ),
        allowed=SENIORS,
    ),
    "unassign": Action(
        setup=_in_review,
        post=lambda a, actors: (url("case_unassign", a), seen(a)),
        done=lambda a: fresh(a).status == S.OPEN,
        allowed=WORKERS,
    ),
    "request_evidence": Action(
        setup=_in_review,
        post=lambda a, actors: (
            url("case_request_evidence", a),
            {
                **seen(a),
                "party": "seller",
                "text": "Your bank statement for the day, please.",
                "due_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        done=lambda a: fresh(a).status == S.AWAITING_EVIDENCE,
        allowed=WORKERS,
    ),
    "note": Action(
        setup=_in_review,
        post=lambda a, actors: (url("case_note", a), {"text": "Checked the bank statement."}),
        done=lambda a: Note.objects.filter(appeal=a).exists(),
        allowed=WORKERS,
    ),
    "upload": Action(
        setup=_in_review,
        post=lambda a, actors: (
            url("case_upload", a),
            {
                "file": upload(png_bytes(), "voucher.png"),
                "party": "buyer",
                "kind": "payment_voucher",
                "payer_name": "",
                "note": "",
            },
        ),
        done=lambda a: Evidence.objects.filter(appeal=a).exists(),
        allowed=WORKERS,
    ),
    "escalate": Action(
        setup=_in_review,
        post=lambda a, actors: (url("case_escalate", a), {**seen(a), "reason": "Fraud ring."}),
        done=lambda a: fresh(a).status == S.ESCALATED,
        allowed=WORKERS,
    ),
    "verdict": Action(
        setup=_in_review,
        post=lambda a, actors: (url("case_verdict", a), verdict_data(a)),
        done=lambda a: fresh(a).status == S.RESOLVED,
        allowed=WORKERS,
    ),
    "approve": Action(
        setup=_pending,
        post=lambda a, actors: (url("case_approve", a, _pending_verdict(a).pk), seen(a)),
        done=lambda a: fresh(a).status == S.RESOLVED,
        allowed=SENIORS,
    ),
    "send_back": Action(
        setup=_pending,
        post=lambda a, actors: (
            url("case_send_back", a, _pending_verdict(a).pk),
            {**seen(a), "comment": "Ask the seller for a statement first."},
        ),
        done=lambda a: fresh(a).status == S.IN_REVIEW,
        allowed=SENIORS,
    ),
    "cancel": Action(
        setup=lambda actors: open_appeal(),
        post=lambda a, actors: (
            url("case_cancel", a),
            {**seen(a), "reason": "Duplicate of another appeal.", "confirm": "on"},
        ),
        done=lambda a: fresh(a).status == S.CANCELLED,
        allowed=WORKERS,
    ),
    "message": Action(
        setup=_in_review,
        post=lambda a, actors: (
            url("case_message", a),
            {"party": "buyer", "text": "Please keep the chat on the platform."},
        ),
        done=lambda a: OutboxEvent.objects.filter(appeal=a, type="party.message").exists(),
        allowed=WORKERS,
    ),
    # No "contest": a party contests through the exchange's app (issue 8), not staff.
}


@pytest.fixture
def actors(arbitrator, arbitrator2, senior, lead, risk_analyst, auditor, make_user):
    return {
        "arbitrator": arbitrator,
        "arbitrator2": arbitrator2,
        "senior": senior,
        "lead": lead,
        "risk_analyst": risk_analyst,
        "auditor": auditor,
        "no_role": make_user(None, username="outsider"),
        "anonymous": None,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_permission_matrix(client, actors, nothing_written, name, role):
    action = ACTIONS[name]
    appeal = action.setup(actors)
    if actors[role] is not None:
        client.force_login(actors[role])
    path, data = action.post(appeal, actors)

    if role in action.allowed:
        response = client.post(path, data)
        assert response.status_code == 302, messages_of(response) or response.content[:400]
        assert response["Location"].startswith(reverse("cases:case", args=[appeal.pk]))
        assert action.done(appeal)
        return
    with nothing_written():
        response = client.post(path, data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
    assert not action.done(appeal)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_actions_refuse_get(client, actors, name):
    appeal = ACTIONS[name].setup(actors)
    client.force_login(actors["lead"])
    path, _ = ACTIONS[name].post(appeal, actors)
    assert client.get(path).status_code == 405


# What a team lead is offered on a case in each status (worked by an arbitrator, who also
# proposed the pending verdict): the names of the URLs the page's forms post to.
LEAD_OFFERS: dict[str, set[str]] = {
    S.OPEN: {
        "case_claim",
        "case_assign",
        "case_verdict",
        "case_escalate",
        "case_upload",
        "case_cancel",
        "case_note",
        "case_message",
    },
    S.IN_REVIEW: {
        "case_unassign",
        "case_assign",
        "case_verdict",
        "case_request_evidence",
        "case_escalate",
        "case_upload",
        "case_cancel",
        "case_note",
        "case_message",
    },
    S.PENDING_APPROVAL: {
        "case_approve",
        "case_send_back",
        "case_upload",
        "case_cancel",
        "case_note",
        "case_message",
    },
    S.RESOLVED: {"case_note", "case_message"},
}
VERDICT_ACTIONS = frozenset({"case_approve", "case_send_back"})


def action_urls(appeal: Appeal, names: set[str]) -> set[str]:
    return {
        url(name, appeal, _pending_verdict(appeal).pk)
        if name in VERDICT_ACTIONS
        else url(name, appeal)
        for name in names
    }


@pytest.mark.parametrize("status", list(LEAD_OFFERS))
@pytest.mark.parametrize("role", ["risk_analyst", "auditor"])
def test_read_only_roles_see_no_action_forms(client, actors, role, status):
    appeal = appeal_in(status, worker=actors["arbitrator"])
    # Drawn for a lead, the same page posts to every action of the status: what is looked
    # for below does appear on the page when it is offered.
    client.force_login(actors["lead"])
    lead_page = client.get(reverse("cases:case", args=[appeal.pk]))
    assert case_actions(lead_page) == action_urls(appeal, LEAD_OFFERS[status])

    client.force_login(actors[role])
    response = client.get(reverse("cases:case", args=[appeal.pk]))

    assert response.context["forms"] == {}
    assert case_actions(response) == set()
    assert "Read-only" in response.content.decode()


def test_only_the_actions_of_the_current_status_are_offered(client, arbitrator, senior):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    client.force_login(senior)
    forms = client.get(reverse("cases:case", args=[appeal.pk])).context["forms"]
    # A resolved case: notes and messages; a contest comes from the party's app.
    assert set(forms) == {"note", "message"}

    appeal = open_appeal()
    forms = client.get(reverse("cases:case", args=[appeal.pk])).context["forms"]
    assert {"claim", "verdict", "escalate", "assign", "cancel", "upload"} <= set(forms)
    assert "unassign" not in forms and "request_evidence" not in forms


def test_the_assign_select_offers_only_escalation_handlers_on_an_escalated_case(
    client, arbitrator, arbitrator2, senior, lead
):
    appeal = appeal_in(S.ESCALATED, worker=arbitrator)
    client.force_login(lead)
    form = client.get(reverse("cases:case", args=[appeal.pk])).context["forms"]["assign"]
    names = {u.username for u in form.fields["assignee"].queryset}
    assert names == {"senior", "lead"}


# --- illegal transitions from the UI ------------------------------------------------------


def refused(client, user, path: str, data: dict, nothing_written, status: int) -> list[str]:
    client.force_login(user)
    with nothing_written():
        response = client.post(path, data)
    assert response.status_code == status, response.content[:300]
    # The fresh state is shown with the reason.
    assert response.context["appeal"].pk
    return messages_of(response)


def test_claiming_a_resolved_case_says_why_and_changes_nothing(client, arbitrator, nothing_written):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    said = refused(
        client, arbitrator, url("case_claim", appeal), seen(appeal), nothing_written, 409
    )
    assert said == ["Only open appeals can be claimed; this one is resolved."]


def test_a_verdict_on_a_cancelled_case_is_refused(client, arbitrator, nothing_written):
    appeal = appeal_in(S.CANCELLED)
    said = refused(
        client, arbitrator, url("case_verdict", appeal), verdict_data(appeal), nothing_written, 409
    )
    assert said == ["An appeal that is cancelled cannot be decided; claim it first."]


def test_a_second_verdict_is_refused(client, arbitrator, nothing_written):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    said = refused(
        client, arbitrator, url("case_verdict", appeal), verdict_data(appeal), nothing_written, 409
    )
    assert said == ["This appeal already has a verdict."]


def test_approving_your_own_verdict_is_refused(client, senior, nothing_written):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=senior)
    path = url("case_approve", appeal, _pending_verdict(appeal).pk)
    said = refused(client, senior, path, seen(appeal), nothing_written, 403)
    assert said == ["You cannot approve your own verdict; another reviewer must."]


def test_approving_after_evidence_was_added_is_refused(client, arbitrator, senior, nothing_written):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="bank_statement",
        actor=arbitrator,
    )
    path = url("case_approve", appeal, _pending_verdict(appeal).pk)
    said = refused(client, senior, path, seen(appeal), nothing_written, 409)
    assert said == [
        "Evidence was added after this verdict was proposed; send it back so the proposal "
        "can be renewed."
    ]


def test_cancelling_after_a_verdict_is_refused(client, arbitrator, nothing_written):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    data = {**seen(appeal), "reason": "Changed my mind.", "confirm": "on"}
    said = refused(client, arbitrator, url("case_cancel", appeal), data, nothing_written, 409)
    assert said == ["A verdict has been issued; the appeal can no longer be cancelled."]


def test_escalating_an_escalated_case_is_refused(client, senior, arbitrator, nothing_written):
    appeal = appeal_in(S.ESCALATED, worker=arbitrator)
    data = {**seen(appeal), "reason": "Again."}
    said = refused(client, senior, url("case_escalate", appeal), data, nothing_written, 409)
    assert said == ["The appeal is already escalated."]


def test_handing_back_an_open_case_is_refused(client, senior, nothing_written):
    appeal = open_appeal()
    said = refused(client, senior, url("case_unassign", appeal), seen(appeal), nothing_written, 409)
    assert said == ["Only an appeal in review can be handed back to the queue."]


def test_another_arbitrators_case_cannot_be_worked(
    client, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    data = {**seen(appeal), "reason": "Not mine but still."}
    said = refused(client, arbitrator2, url("case_escalate", appeal), data, nothing_written, 403)
    assert said == ["Only the assigned arbitrator may escalate this appeal."]


def test_an_arbitrator_cannot_be_assigned_an_escalated_case(
    client, lead, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in(S.ESCALATED, worker=arbitrator)
    data = {**seen(appeal), "assignee": arbitrator2.pk}
    said = refused(client, lead, url("case_assign", appeal), data, nothing_written, 400)
    assert said == ["arbitrator2 does not take escalated appeals."]


ILLEGAL = {
    "claim a case waiting for approval": (
        S.PENDING_APPROVAL,
        lambda a, u: (url("case_claim", a), {}),
        "Only open appeals can be claimed; this one is pending approval.",
    ),
    "request evidence on an open case": (
        S.OPEN,
        lambda a, u: (
            url("case_request_evidence", a),
            {
                "party": "buyer",
                "text": "Your receipt.",
                "due_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        "An appeal that is open cannot be moved to awaiting evidence.",
    ),
    "escalate a resolved case": (
        S.RESOLVED,
        lambda a, u: (url("case_escalate", a), {"reason": "Late doubts."}),
        "An appeal that is resolved cannot be moved to escalated.",
    ),
    "reassign a case waiting for approval": (
        S.PENDING_APPROVAL,
        lambda a, u: (url("case_assign", a), {"assignee": u.pk}),
        "An appeal that is pending approval cannot be reassigned.",
    ),
    "hand back a resolved case": (
        S.RESOLVED,
        lambda a, u: (url("case_unassign", a), {}),
        "Only an appeal in review can be handed back to the queue.",
    ),
    "cancel a cancelled case": (
        S.CANCELLED,
        lambda a, u: (url("case_cancel", a), {"reason": "Again.", "confirm": "on"}),
        "The appeal is already cancelled.",
    ),
    "upload evidence after the verdict": (
        S.RESOLVED,
        lambda a, u: (
            url("case_upload", a),
            {"file": upload(png_bytes()), "party": "buyer", "kind": "payment_voucher"},
        ),
        "Evidence is locked: a verdict has taken effect.",
    ),
    "decide a case waiting for approval": (
        S.PENDING_APPROVAL,
        lambda a, u: (url("case_verdict", a), verdict_data(a)),
        "This appeal already has a verdict.",
    ),
    "send back an effective verdict": (
        S.RESOLVED,
        lambda a, u: (
            url("case_send_back", a, a.verdicts.get().pk),
            {"comment": "Too late."},
        ),
        "This verdict is effective, not pending.",
    ),
}


@pytest.mark.parametrize("name", list(ILLEGAL))
def test_an_illegal_transition_says_why_and_changes_nothing(
    client, name, arbitrator, lead, nothing_written
):
    status, post, message = ILLEGAL[name]
    appeal = appeal_in(status, worker=arbitrator)
    path, data = post(appeal, arbitrator)
    said = refused(client, lead, path, {**seen(appeal), **data}, nothing_written, 409)
    assert said == [message]


def test_the_risk_score_and_signals_are_shown(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    # The risk engine (a later issue) fills these columns; no lifecycle step is involved.
    Appeal.objects.filter(pk=appeal.pk).update(
        risk_score=82, risk_signals=[{"code": "shared_device", "detail": "3 accounts"}]
    )
    client.force_login(arbitrator)
    body = client.get(reverse("cases:case", args=[appeal.pk])).content.decode()
    assert "Risk 82/100" in body
    assert "shared_device: 3 accounts" in body


def test_an_invalid_form_shows_its_errors_and_changes_nothing(client, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    data = verdict_data(appeal, rationale="  ", action_kind="p2p_restriction", action_days="")
    client.force_login(arbitrator)
    with nothing_written():
        response = client.post(url("case_verdict", appeal), data)
    assert response.status_code == 400
    form = response.context["forms"]["verdict"]
    assert set(form.errors) == {"rationale", "action_days"}
    assert "A P2P restriction needs a number of days." in response.content.decode()


def test_a_refused_upload_shows_the_validation_error(client, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    data = {
        "file": upload(b"MZ\x90\x00 not an image", "voucher.png"),
        "party": "buyer",
        "kind": "payment_voucher",
    }
    client.force_login(arbitrator)
    with nothing_written():
        response = client.post(url("case_upload", appeal), data)
    assert response.status_code == 400
    assert response.context["forms"]["upload"].errors["file"] == [
        "Only PNG, JPEG, WebP and PDF files are accepted (judged by content, not name)."
    ]


def test_an_upload_keeps_the_payer_name_and_never_the_file_name_as_a_path(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    response = client.post(
        url("case_upload", appeal),
        {
            "file": upload(png_bytes(), "../../evil.png"),
            "party": "buyer",
            "kind": "payment_voucher",
            "payer_name": "Zhang San",
            "note": "Sent by the buyer by e-mail.",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(appeal=appeal)
    assert evidence.payer_name == "Zhang San"
    assert evidence.uploaded_by == arbitrator
    assert ".." not in evidence.file.name and evidence.file.name.endswith(".png")


# --- someone else changed the case --------------------------------------------------------


def test_a_stale_page_is_refused_with_what_changed(
    client, arbitrator, arbitrator2, nothing_written
):
    appeal = open_appeal()
    client.force_login(arbitrator)
    page = client.get(reverse("cases:case", args=[appeal.pk]))
    drawn = {"seen": page.context["seen"], "seen_seq": page.context["seen_seq"]}
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator2)

    with nothing_written():
        response = client.post(url("case_escalate", appeal), {**drawn, "reason": "Fraud."})

    assert response.status_code == 409
    assert messages_of(response) == [
        "Someone else changed this case while you were looking: arbitrator2 claimed the case. "
        "Nothing was done; this is the case as it is now."
    ]
    # The fresh state, and the form keeps what was typed, ready to send again.
    assert response.context["appeal"].assignee == arbitrator2
    assert response.context["seen"] != drawn["seen"]


def test_of_two_people_acting_at_once_one_succeeds(client, senior, lead, arbitrator, arbitrator2):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    drawn = seen(appeal)
    client.force_login(senior)
    first = client.post(url("case_assign", appeal), {**drawn, "assignee": arbitrator2.pk})
    client.force_login(lead)
    second = client.post(url("case_assign", appeal), {**drawn, "assignee": senior.pk})

    assert first.status_code == 302
    assert second.status_code == 409
    assert "senior assigned the case to arbitrator2" in messages_of(second)[0]
    assert fresh(appeal).assignee == arbitrator2


def test_a_note_does_not_make_the_page_stale(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    drawn = seen(appeal)
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="Thinking.")
    client.force_login(arbitrator)
    response = client.post(url("case_escalate", appeal), {**drawn, "reason": "Fraud."})
    assert response.status_code == 302
    assert fresh(appeal).status == S.ESCALATED


# --- the verdict and four-eyes ------------------------------------------------------------


def test_the_verdict_asks_for_confirmation_before_money_moves(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    buyer = appeal.order.buyer
    client.force_login(arbitrator)

    response = client.post(url("case_verdict", appeal), verdict_data(appeal, confirm=""))

    assert response.status_code == 200
    body = response.content.decode()
    assert f"Release 500 USDT to the buyer {buyer.display_name} ({buyer.external_id})?" in body
    # What both parties will be told, in their language (the factory's traders read Chinese).
    assert "您的申诉已获支持。" in body
    assert "Your appeal was upheld." in body
    assert 'name="confirm" value="1"' in body
    assert not Verdict.objects.filter(appeal=appeal).exists()
    assert fresh(appeal).status == S.IN_REVIEW

    confirm = client.post(url("case_verdict", appeal), verdict_data(appeal, confirm="1"))

    assert confirm.status_code == 302
    verdict = Verdict.objects.get(appeal=appeal)
    assert verdict.state == Verdict.State.EFFECTIVE
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1


def test_the_verdict_form_offers_the_usual_rules_first(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    form = client.get(reverse("cases:case", args=[appeal.pk])).context["forms"]["verdict"]
    groups = form.fields["rule"].choices[1:]
    assert str(groups[0][0]) == "Usual for this reason"
    usual = [code for code, _ in groups[0][1]]
    assert usual and all(appeal.reason in form.rules[code].reasons for code in usual)


def test_the_verdict_form_carries_the_penalty_matrix(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, reason="fraud_scam")
    client.force_login(arbitrator)
    response = client.get(reverse("cases:case", args=[appeal.pk]))
    assert set(response.context["penalties"]) == {"buyer", "seller", "both"}
    assert 'id="penalties-data"' in response.content.decode()


def test_a_verdict_with_an_account_action_restricts_the_responsible_party(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    data = verdict_data(appeal, action_kind="p2p_restriction", action_days="30")

    assert client.post(url("case_verdict", appeal), data).status_code == 302

    seller = appeal.order.seller
    seller.refresh_from_db()
    assert seller.p2p_restricted_until > timezone.now() + timedelta(days=29)


def test_four_eyes_end_to_end(client, arbitrator, senior):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    client.force_login(arbitrator)

    confirm_page = client.post(url("case_verdict", appeal), verdict_data(appeal, confirm=""))
    assert "goes to “pending approval”" in confirm_page.content.decode()
    proposed = client.post(url("case_verdict", appeal), verdict_data(appeal))
    assert proposed.status_code == 302
    assert fresh(appeal).status == S.PENDING_APPROVAL
    assert not OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").exists()

    verdict = _pending_verdict(appeal)
    approve_url = url("case_approve", appeal, verdict.pk)
    own_page = client.get(reverse("cases:case", args=[appeal.pk]))
    assert not own_page.context["can"].approve
    assert "send_back" not in own_page.context["forms"]
    assert approve_url not in case_actions(own_page)
    assert url("case_send_back", appeal, verdict.pk) not in case_actions(own_page)
    assert "You proposed this verdict" in own_page.content.decode()

    client.force_login(senior)
    senior_page = client.get(reverse("cases:case", args=[appeal.pk]))
    assert senior_page.context["can"].approve
    assert approve_url in case_actions(senior_page)
    approved = client.post(url("case_approve", appeal, verdict.pk), seen(appeal))

    assert approved.status_code == 302
    assert fresh(appeal).status == S.RESOLVED
    verdict.refresh_from_db()
    assert verdict.state == Verdict.State.EFFECTIVE and verdict.approved_by == senior
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1

    again = client.post(url("case_approve", appeal, verdict.pk), seen(appeal))
    assert again.status_code == 409
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1


def test_a_senior_proposer_sees_why_there_is_no_approve_button(client, senior):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=senior)
    client.force_login(senior)
    response = client.get(reverse("cases:case", args=[appeal.pk]))
    assert not response.context["can"].approve
    assert url("case_approve", appeal, _pending_verdict(appeal).pk) not in case_actions(response)
    assert (
        "You proposed this verdict; a different senior arbitrator or team lead must approve it."
        in response.content.decode()
    )


def test_send_back_returns_the_case_to_its_arbitrator(client, arbitrator, lead):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    client.force_login(lead)
    path = url("case_send_back", appeal, _pending_verdict(appeal).pk)

    empty = client.post(path, {**seen(appeal), "comment": " "})
    sent = client.post(path, {**seen(appeal), "comment": "Get the seller's statement."})

    assert empty.status_code == 400
    assert sent.status_code == 302
    assert fresh(appeal).status == S.IN_REVIEW and fresh(appeal).assignee == arbitrator
    client.force_login(arbitrator)
    body = client.get(reverse("cases:case", args=[appeal.pk])).content.decode()
    assert "Get the seller&#x27;s statement." in body


def test_a_resolved_case_shows_the_explanations_for_both_parties(client, arbitrator, auditor):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    client.force_login(auditor)
    response = client.get(reverse("cases:case", args=[appeal.pk]))
    sides = [x["side"] for x in response.context["explanations"]]
    assert [str(s) for s in sides] == ["Buyer", "Seller"]
    body = response.content.decode()
    assert "What the parties are told" in body
    assert "Your appeal was upheld." in body  # the buyer appealed and won


def test_cancel_needs_a_reason_and_the_confirmation(client, arbitrator, nothing_written):
    appeal = open_appeal()
    client.force_login(arbitrator)
    with nothing_written():
        response = client.post(url("case_cancel", appeal), {**seen(appeal), "reason": "Dup."})
    assert response.status_code == 400
    assert "confirm" in response.context["forms"]["cancel"].errors


# --- requests and messages ----------------------------------------------------------------


def test_the_evidence_deadline_is_read_in_the_viewers_time_zone(client, arbitrator):
    StaffProfile.objects.create(user=arbitrator, time_zone="Asia/Shanghai")
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    local = (timezone.now() + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    client.force_login(arbitrator)

    response = client.post(
        url("case_request_evidence", appeal),
        {
            **seen(appeal),
            "party": "seller",
            "text": "Your bank statement.",
            "due_at": local.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    appeal = fresh(appeal)
    assert appeal.evidence_due_at == local.replace(second=0, microsecond=0)
    assert appeal.evidence_requested_from == "seller"
    event = OutboxEvent.objects.filter(appeal=appeal, type="party.message").get()
    assert event.data["party"] == "seller" and event.data["text"] == "Your bank statement."


def test_a_past_deadline_is_refused(client, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    past = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    with nothing_written():
        response = client.post(
            url("case_request_evidence", appeal),
            {**seen(appeal), "party": "seller", "text": "Statement.", "due_at": past},
        )
    assert response.status_code == 400
    assert response.context["forms"]["request_evidence"].errors["due_at"]


def test_canned_replies_come_filled_in_the_partys_language(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    replies = client.get(reverse("cases:case", args=[appeal.pk])).context["replies"]
    buyer = replies["buyer"]
    assert buyer and {r["language"] for r in buyer} <= {"zh-hans", "en"}
    request = next(r for r in buyer if r["key"] == "evidence_request")
    assert appeal.order.buyer.display_name in request["text"]
    assert appeal.order.external_id in request["text"]
    # A blank in the party's language for the arbitrator to type over, never "{what}".
    assert "{" not in request["text"] and "[请填写所需材料]" in request["text"]


def test_a_message_to_a_party_is_a_party_message_event(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    response = client.post(
        url("case_message", appeal), {"party": "seller", "text": "Please check your bank."}
    )
    assert response.status_code == 302
    # Back to the case's top (the message is the chat's latest line), not an anchor that
    # scrolls the one-screen header away.
    assert response["Location"] == appeal.get_absolute_url()
    event = OutboxEvent.objects.get(appeal=appeal, type="party.message")
    assert event.data == {
        "appeal": appeal.pk,
        "party": "seller",
        "language": "zh-hans",
        "text": "Please check your bank.",
    }


def test_a_verdict_id_from_another_case_is_404(client, arbitrator, senior):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    other = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    client.force_login(senior)
    path = url("case_approve", other, _pending_verdict(appeal).pk)
    assert client.post(path, seen(other)).status_code == 404
    assert fresh(appeal).status == S.PENDING_APPROVAL


@pytest.mark.parametrize("name", ["case_message", "case_request_evidence"])
def test_a_canned_reply_with_a_blank_left_in_is_not_sent(client, arbitrator, nothing_written, name):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.force_login(arbitrator)
    with nothing_written():
        response = client.post(
            url(name, appeal),
            {**seen(appeal), "party": "buyer", "text": "We need {what} by then.", "due_at": due},
        )
    assert response.status_code == 400
    assert "Replace {what} with the real text before sending." in response.content.decode()


def test_explanations_and_replies_follow_a_bare_zh_language_code(client, arbitrator):
    # The exchange may send "zh" or "zh-CN"; the desk's texts are keyed "zh-hans".
    order = OrderFactory(buyer__language="zh", seller__language="zh-CN")
    appeal = appeal_in(S.RESOLVED, worker=arbitrator, order=order)
    client.force_login(arbitrator)
    response = client.get(reverse("cases:case", args=[appeal.pk]))
    buyer, seller = response.context["explanations"]
    assert buyer["text"].startswith("您的申诉已获支持。")
    assert "已放行给买家" in seller["text"]
    assert {r["language"] for r in response.context["replies"]["buyer"]} == {"zh-hans"}


def test_a_deadline_too_far_away_is_a_form_error_in_any_time_zone(
    client, arbitrator, nothing_written
):
    """As reported: 9999-12-31T23:59 in Pago Pago is year 10000 in UTC; stored, it made
    every list of appeals and the case page answer 500."""
    StaffProfile.objects.create(user=arbitrator, time_zone="Pacific/Pago_Pago")
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)
    far = (timezone.now() + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")

    for due in ("9999-12-31T23:59", far):
        with nothing_written():
            response = client.post(
                url("case_request_evidence", appeal),
                {**seen(appeal), "party": "seller", "text": "Your statement.", "due_at": due},
            )
        assert response.status_code == 400
        assert "at most 30 days away" in response.content.decode()
    assert client.get(url("case", appeal)).status_code == 200
    assert client.get("/api/v1/appeals/").status_code == 200


# --- found by the second outside attack (issue 8) -----------------------------------------


def test_an_arbitrator_cannot_message_the_parties_of_a_colleagues_case(
    client, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator2)
    client.force_login(arbitrator)

    assert "message" not in client.get(url("case", appeal)).context["forms"]
    with nothing_written():
        response = client.post(
            url("case_message", appeal), {"party": "buyer", "text": "Funds released to you."}
        )
    assert response.status_code == 403


def test_nobody_but_its_handler_messages_the_parties_of_a_closed_case(
    client, arbitrator, arbitrator2, nothing_written
):
    appeal = appeal_in(S.CANCELLED)
    client.force_login(arbitrator)
    with nothing_written():
        response = client.post(
            url("case_message", appeal),
            {"party": "buyer", "text": "Your appeal was decided in your favour."},
        )
    assert response.status_code == 403


def test_an_arbitrator_cannot_close_a_case_above_four_eyes_alone(
    client, arbitrator, senior, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    client.force_login(arbitrator)

    assert "cancel" not in client.get(url("case", appeal)).context["forms"]
    with nothing_written():
        response = client.post(
            url("case_cancel", appeal), {**seen(appeal), "reason": "Dup.", "confirm": "on"}
        )
    assert response.status_code == 403
    client.force_login(senior)
    assert "cancel" in client.get(url("case", appeal)).context["forms"]


def test_an_oversized_upload_on_the_page_says_so(client, arbitrator, nothing_written, settings):
    """It used to answer Django's "CSRF failed": the size guard empties the form before
    the CSRF check reads it."""
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(arbitrator)
    big = str(settings.EVIDENCE_MAX_BYTES + 1024 * 1024)

    with nothing_written():
        response = csrf_client.post(
            url("case_upload", appeal), {"party": "buyer"}, CONTENT_LENGTH=big
        )

    assert response.status_code == 413
    assert "larger than 10 MiB" in response.content.decode()


@pytest.mark.parametrize("length", ["abc", "1e9", "-"])
def test_a_malformed_content_length_is_a_400(client, arbitrator, nothing_written, length):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(arbitrator)

    with nothing_written():
        response = client.post(
            url("case_upload", appeal), {"party": "buyer"}, CONTENT_LENGTH=length
        )

    assert response.status_code == 400


def test_after_late_evidence_the_page_offers_a_send_back_that_works(client, arbitrator, senior):
    """Approve is withheld once evidence came in after the proposal; Send back, the way
    forward, is offered with its comment box, and it goes through from the page."""
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="bank_statement",
        actor=arbitrator,
    )
    verdict = _pending_verdict(appeal)
    client.force_login(senior)
    page = client.get(reverse("cases:case", args=[appeal.pk]))

    assert case_actions(page) >= {url("case_send_back", appeal, verdict.pk)}
    assert url("case_approve", appeal, verdict.pk) not in case_actions(page)
    assert 'name="comment"' in page.content.decode()

    response = client.post(
        url("case_send_back", appeal, verdict.pk),
        {**seen(appeal), "comment": "New evidence: propose again with it."},
    )
    assert response.status_code == 302
    verdict.refresh_from_db()
    assert verdict.state == Verdict.State.SENT_BACK


@pytest.mark.parametrize("value", ["garbage", "2026-12-02", "2026-12-02T06:55:22.663343"])
def test_a_damaged_seen_is_a_form_error_that_says_so(client, arbitrator, nothing_written, value):
    """Only the page writes `seen`, as an aware ISO time: anything else is refused as a
    damaged page (not as someone else's change), and nothing is done."""
    appeal = appeal_in(S.OPEN)
    said = refused(
        client, arbitrator, url("case_claim", appeal), {"seen": value}, nothing_written, 400
    )
    assert said == ["The page is damaged; reload it and try again."]
