"""Second-level review: a party contests an effective verdict; an independent senior
upholds or reverses it; a reversal above four-eyes needs a second senior's approval."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidInput
from cases import roles
from cases.audit import audit_record
from cases.explanations import review_explain
from cases.models import DeskMessage, Party, Verdict, VerdictReview
from cases.outbox import event_emit

from . import guards
from .four_eyes import four_eyes_required
from .locks import lock_appeal, lock_review
from .messages import desk_tell_both
from .transitions import Actor


def review_request(*, appeal_id: int, party: str, reason: str, actor: Actor) -> VerdictReview:
    """A party contests the effective verdict: once, within the review window. The party
    speaks through the exchange's services; staff do not contest in a party's name."""
    guards.require_service(actor, _("contest verdicts"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not reason.strip():
        raise InvalidInput(_("Say why the verdict is contested."), field="reason")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        verdict = appeal.verdicts.filter(state=Verdict.State.EFFECTIVE).first()
        guards.can_contest(actor, appeal, verdict).check()
        # The least busy eligible reviewer; none eligible leaves it for a team lead.
        reviewer = (
            guards.review_eligible_reviewers(appeal)
            .annotate(
                open_reviews=Count(
                    "verdict_reviews",
                    filter=Q(verdict_reviews__state=VerdictReview.State.PENDING),
                )
            )
            .order_by("open_reviews", "pk")
            .first()
        )
        review = VerdictReview.objects.create(
            appeal=appeal, verdict=verdict, requested_by=party, reason=reason, reviewer=reviewer
        )
        audit_record(
            actor=actor,
            action="review.requested",
            obj=review,
            appeal=appeal,
            after={"party": party, "reason": reason, "reviewer": reviewer and reviewer.pk},
        )
    return review


def review_assign(*, review_id: int, reviewer: AbstractBaseUser, actor: Actor) -> VerdictReview:
    actor = guards.require(actor, roles.ASSIGN, _("assign reviews"))
    with transaction.atomic():
        review = lock_review(review_id)
        guards.can_assign_review(actor, review).check()
        refusal = guards.reviewer_refusal(review, reviewer)
        if refusal is not None:
            raise refusal
        before = {"reviewer": review.reviewer_id}
        review.reviewer = reviewer
        review.save(update_fields=["reviewer"])
        audit_record(
            actor=actor,
            action="review.assigned",
            obj=review,
            appeal=review.appeal,
            before=before,
            after={"reviewer": reviewer.pk},
        )
    return review


def review_decide(
    *,
    review_id: int,
    actor: Actor,
    uphold: bool,
    rationale: str,
    outcome: str = "",
    responsible_party: str = "",
) -> VerdictReview:
    """Uphold the verdict, or reverse it: funds already moved are not moved again; the
    corrected outcome is recorded and verdict.reversed tells the exchange to compensate.

    A reversal above the four-eyes threshold is only proposed here (state `proposed`); it
    takes effect, and verdict.reversed is emitted, when a different senior or lead
    approves it (review_reversal_approve), exactly like the verdict it reverses."""
    actor = guards.require(actor, roles.HANDLE_ESCALATION, _("decide reviews"))
    if not rationale.strip():
        raise InvalidInput(_("A review decision needs a rationale."), field="rationale")
    with transaction.atomic():
        review = lock_review(review_id)
        guards.can_decide_review(actor, review).check()
        original = review.verdict
        if not uphold:
            if outcome not in Verdict.Outcome.values or outcome == original.outcome:
                raise InvalidInput(
                    _("A reversal needs an outcome different from the verdict's."),
                    field="outcome",
                )
            if responsible_party not in Verdict.ResponsibleParty.values:
                raise InvalidInput(_("Name the responsible party."), field="responsible_party")
        if uphold:
            review.state = VerdictReview.State.UPHELD
        elif four_eyes_required(review.appeal):
            review.state = VerdictReview.State.PROPOSED
        else:
            review.state = VerdictReview.State.REVERSED
        review.corrected_outcome = "" if uphold else outcome
        review.corrected_responsible_party = "" if uphold else responsible_party
        review.rationale = rationale
        review.decided_at = timezone.now()
        review.approved_by, review.approved_at = None, None
        review.save()
        action = (
            "review.reversal_proposed"
            if review.state == VerdictReview.State.PROPOSED
            else f"review.{review.state}"
        )
        audit_record(
            actor=actor,
            action=action,
            obj=review,
            appeal=review.appeal,
            before={"outcome": original.outcome},
            after={
                "state": review.state,
                "corrected_outcome": review.corrected_outcome,
                "corrected_responsible_party": review.corrected_responsible_party,
                "rationale": rationale,
            },
        )
        if review.state == VerdictReview.State.REVERSED:
            _emit_reversed(review)
        if review.state in (VerdictReview.State.UPHELD, VerdictReview.State.REVERSED):
            _tell_parties(review, actor)
    return review


def _tell_parties(review: VerdictReview, actor: AbstractBaseUser) -> None:
    """Each party is told what the review decided, in its language: a desk message (the
    case's chat shows it) and its party.message event, in the review's transaction."""
    desk_tell_both(
        appeal=review.appeal,
        actor=actor,
        kind=DeskMessage.Kind.VERDICT,
        text_for=lambda _side, language: review_explain(review, language),
    )


def _emit_reversed(review: VerdictReview) -> None:
    appeal, original = review.appeal, review.verdict
    event_emit(
        type="verdict.reversed",
        appeal=appeal,
        data={
            "appeal": appeal.pk,
            "order": appeal.order.external_id,
            "verdict": original.pk,
            "original_outcome": original.outcome,
            "corrected_outcome": review.corrected_outcome,
            "responsible_party": review.corrected_responsible_party,
            "crypto_amount": format(appeal.crypto_amount, "f"),
            "asset": appeal.asset,
            "approved_by": review.approved_by.get_username() if review.approved_by else None,
        },
    )


def review_reversal_approve(*, review_id: int, actor: Actor) -> VerdictReview:
    """The second pair of eyes on a reversal above the four-eyes threshold: any senior or
    lead other than the reviewer, exactly like the four-eyes on a verdict. (The reviewer
    is the independent one: chosen among those who handled none of the parties' cases.)"""
    actor = guards.require(actor, roles.APPROVE, _("approve reversals"))
    with transaction.atomic():
        review = lock_review(review_id)
        guards.can_approve_reversal(actor, review).check()
        review.state = VerdictReview.State.REVERSED
        review.approved_by = actor
        review.approved_at = timezone.now()
        review.save(update_fields=["state", "approved_by", "approved_at"])
        audit_record(
            actor=actor,
            action="review.reversed",
            obj=review,
            appeal=review.appeal,
            before={"state": VerdictReview.State.PROPOSED},
            after={
                "state": review.state,
                "corrected_outcome": review.corrected_outcome,
                "corrected_responsible_party": review.corrected_responsible_party,
                "approved_by": actor.pk,
            },
        )
        _emit_reversed(review)
        _tell_parties(review, actor)
    return review


def review_reversal_send_back(*, review_id: int, actor: Actor, comment: str) -> VerdictReview:
    """Refuse a proposed reversal: the review goes back to its reviewer, pending."""
    actor = guards.require(actor, roles.APPROVE, _("review reversals"))
    if not comment.strip():
        raise InvalidInput(_("Say why the reversal is sent back."), field="comment")
    with transaction.atomic():
        review = lock_review(review_id)
        guards.can_send_back_reversal(actor, review).check()
        before = {
            "state": review.state,
            "corrected_outcome": review.corrected_outcome,
            "corrected_responsible_party": review.corrected_responsible_party,
        }
        review.state = VerdictReview.State.PENDING
        review.corrected_outcome = review.corrected_responsible_party = ""
        review.approval_comment = comment
        review.decided_at = None
        review.save()
        audit_record(
            actor=actor,
            action="review.reversal_sent_back",
            obj=review,
            appeal=review.appeal,
            before=before,
            after={"state": review.state, "comment": comment},
        )
    return review
