"""Who may do what to a case, now: one function per action.

Each `can_<action>(actor, appeal, ...)` returns a `Permit`: truthy when the action is
allowed, otherwise carrying the refusal the lifecycle raises and the reason the page
shows. The lifecycle calls the guard under the appeal's row lock before it acts; the case
page calls the same guard to decide which actions to offer. So the page never offers what
the lifecycle refuses (tests/cases/test_guards.py walks every role, status and owner).

Guards judge the actor and the case's state. Checks of the input itself (an empty text,
an unknown party) stay with the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import (
    Conflict,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
)
from arbitration.formatting import local_time
from cases import roles
from cases.models import AccountRestriction, Appeal, Verdict, VerdictReview

from .four_eyes import four_eyes_required
from .transitions import WORKING, Actor, transition_refusal

S = Appeal.Status


@dataclass(frozen=True)
class Permit:
    """A guard's answer. `refusal` is what the lifecycle raises; `hint`, when set, is how
    the page puts the same reason to someone looking at the case."""

    refusal: DomainError | None = None
    hint: str = ""

    def __bool__(self) -> bool:
        return self.refusal is None

    @property
    def reason(self) -> str:
        if self.refusal is None:
            return ""
        return self.hint or self.refusal.message

    def check(self) -> None:
        """Raise the refusal, if any."""
        if self.refusal is not None:
            raise self.refusal


ALLOW = Permit()


# --- the gates every action starts with -----------------------------------------------------


def role_refusal(actor: Actor, perm: str, what: str) -> NotAllowed | None:
    # roles.has, not has_perm: a superuser without a desk role decides nothing.
    if actor is None or not roles.has(actor, perm):
        return NotAllowed(_("You are not allowed to %(what)s.") % {"what": what})
    return None


def require(actor: Actor, perm: str, what: str) -> AbstractBaseUser:
    """The actor, if their role carries `perm`; otherwise NotAllowed."""
    refusal = role_refusal(actor, perm, what)
    if refusal is not None:
        raise refusal
    assert actor is not None  # noqa: S101 - role_refusal refuses None
    return actor


def writer_refusal(actor: Actor, what: str) -> NotAllowed | None:
    """The parties' own requests come from service accounts (or the system); among staff
    only those who work appeals write. Auditors, risk analysts and users without a desk
    role (a superuser included) do not."""
    if actor is None or roles.is_service_account(actor) or roles.has(actor, roles.WORK):
        return None
    return NotAllowed(_("You are not allowed to %(what)s.") % {"what": what})


def require_writer(actor: Actor, what: str) -> None:
    refusal = writer_refusal(actor, what)
    if refusal is not None:
        raise refusal


def service_refusal(actor: Actor, what: str) -> NotAllowed | None:
    """The exchange's facts and the parties' requests come from its services (or the
    system itself: seeders and migrations pass no actor). Staff, whatever their role, do
    not speak for the parties."""
    if actor is not None and not roles.is_service_account(actor):
        return NotAllowed(_("Only the exchange's service accounts may %(what)s.") % {"what": what})
    return None


def require_service(actor: Actor, what: str) -> None:
    refusal = service_refusal(actor, what)
    if refusal is not None:
        raise refusal


def handler_refusal(appeal: Appeal, actor: AbstractBaseUser, what: str) -> NotAllowed | None:
    """The assignee works the case; seniors and leads may step in on anyone's."""
    if appeal.assignee_id != actor.pk and not roles.has(actor, roles.ASSIGN):
        return NotAllowed(_("Only the assigned arbitrator may %(what)s.") % {"what": what})
    return None


def _first(*checks: DomainError | None) -> Permit:
    return next((Permit(c) for c in checks if c is not None), ALLOW)


# --- working the case -----------------------------------------------------------------------


def can_claim(actor: Actor, appeal: Appeal) -> Permit:
    """Take an open case, or (seniors) an escalated one, that nobody else holds."""
    if refusal := role_refusal(actor, roles.WORK, _("work appeals")):
        return Permit(refusal)
    if appeal.status == S.ESCALATED:
        if refusal := role_refusal(actor, roles.HANDLE_ESCALATION, _("take escalated appeals")):
            return Permit(refusal)
    elif appeal.status != S.OPEN:
        return Permit(
            InvalidTransition(
                _("Only open appeals can be claimed; this one is %(status)s.")
                % {"status": appeal.get_status_display().lower()}
            )
        )
    if appeal.assignee_id not in (None, actor.pk):
        return Permit(
            Conflict(
                _("%(user)s has already claimed this appeal.")
                % {"user": appeal.assignee.get_username()}
            )
        )
    return ALLOW


def can_assign(actor: Actor, appeal: Appeal) -> Permit:
    """Seniors and leads hand a live case to someone (or back to the queue). Whether the
    chosen assignee may take it is checked by the action."""
    if refusal := role_refusal(actor, roles.ASSIGN, _("assign appeals")):
        return Permit(refusal)
    if appeal.is_closed or appeal.status == S.PENDING_APPROVAL:
        return Permit(
            InvalidTransition(
                _("An appeal that is %(status)s cannot be reassigned.")
                % {"status": appeal.get_status_display().lower()}
            )
        )
    return ALLOW


def can_unassign(actor: Actor, appeal: Appeal) -> Permit:
    if refusal := role_refusal(actor, roles.WORK, _("work appeals")):
        return Permit(refusal)
    if refusal := handler_refusal(appeal, actor, _("hand this appeal back")):
        return Permit(refusal)
    if appeal.status != S.IN_REVIEW:
        return Permit(
            InvalidTransition(_("Only an appeal in review can be handed back to the queue."))
        )
    return ALLOW


def can_request_evidence(actor: Actor, appeal: Appeal) -> Permit:
    """The handler asks; on an unowned case whoever asks takes it (an escalated one only
    if they take escalations)."""
    if refusal := role_refusal(actor, roles.WORK, _("request evidence")):
        return Permit(refusal)
    if appeal.assignee_id is None:
        refusal = None
        if appeal.status == S.ESCALATED:
            refusal = role_refusal(actor, roles.HANDLE_ESCALATION, _("work escalated appeals"))
    else:
        refusal = handler_refusal(appeal, actor, _("request evidence"))
    return _first(refusal, transition_refusal(appeal, S.AWAITING_EVIDENCE))


def can_record_answer(actor: Actor, appeal: Appeal, party: str | None = None) -> Permit:
    """Record a party's answer given outside the app: whoever handles the case, while the
    desk waits on that party."""
    if refusal := role_refusal(actor, roles.WORK, _("record a party's answer")):
        return Permit(refusal)
    if appeal.is_closed:
        return Permit(InvalidTransition(_("The appeal is closed.")))
    if refusal := handler_refusal(appeal, actor, _("record a party's answer")):
        return Permit(refusal)
    waiting = appeal.evidence_requests.filter(answered_at__isnull=True, missed_at__isnull=True)
    if party is not None:
        waiting = waiting.filter(party=party)
    if not waiting.exists():
        return Permit(InvalidTransition(_("The desk is not waiting on this party.")))
    return ALLOW


def can_escalate(actor: Actor, appeal: Appeal) -> Permit:
    if refusal := role_refusal(actor, roles.WORK, _("escalate appeals")):
        return Permit(refusal)
    if appeal.status == S.ESCALATED:
        return Permit(InvalidTransition(_("The appeal is already escalated.")))
    if appeal.status != S.OPEN:
        if refusal := handler_refusal(appeal, actor, _("escalate this appeal")):
            return Permit(refusal)
    return _first(transition_refusal(appeal, S.ESCALATED))


def can_note(actor: Actor, appeal: Appeal) -> Permit:
    """Internal notes: anyone who works appeals, on any case, even a closed one."""
    return _first(role_refusal(actor, roles.WORK, _("add notes")))


def can_message(actor: Actor, appeal: Appeal) -> Permit:
    """The desk speaks to a party through whoever handles the case (a colleague's, or a
    closed one: the assignee, seniors and leads), never from any desk."""
    if refusal := role_refusal(actor, roles.WORK, _("message parties")):
        return Permit(refusal)
    if appeal.assignee_id or appeal.is_closed:
        return _first(handler_refusal(appeal, actor, _("message the parties of this appeal")))
    return ALLOW


def can_upload(actor: Actor, appeal: Appeal) -> Permit:
    """Evidence is added (by a party's service, or staff on a party's behalf) while the
    case is live; a verdict that took effect locks it."""
    if refusal := writer_refusal(actor, _("add evidence")):
        return Permit(refusal)
    if appeal.is_closed:
        if appeal.status == S.RESOLVED:
            return Permit(
                Conflict(_("Evidence is locked: a verdict has taken effect."), field="file")
            )
        return Permit(Conflict(_("The appeal is closed; evidence can no longer be added.")))
    return ALLOW


def can_cancel(actor: Actor, appeal: Appeal, *, four_eyes: bool | None = None) -> Permit:
    """The appellant withdraws (through their service), or staff close a duplicate: an
    unowned case or their own; a colleague's only seniors and leads. A case sent up to the
    seniors, or above four-eyes, is closed only by those who may take or approve it (else
    cancelling would be a way round escalation and approval). `four_eyes` is
    four_eyes_required(appeal) if the caller already knows it."""
    if refusal := writer_refusal(actor, _("cancel appeals")):
        return Permit(refusal)
    if appeal.status == S.RESOLVED:
        return Permit(
            InvalidTransition(
                _("A verdict has been issued; the appeal can no longer be cancelled.")
            )
        )
    if appeal.status == S.CANCELLED:
        return Permit(InvalidTransition(_("The appeal is already cancelled.")))
    if actor is None or roles.is_service_account(actor):
        return ALLOW
    refusal = None
    if appeal.status == S.ESCALATED:
        refusal = role_refusal(actor, roles.HANDLE_ESCALATION, _("cancel escalated appeals"))
    elif appeal.status == S.PENDING_APPROVAL or (
        four_eyes if four_eyes is not None else four_eyes_required(appeal)
    ):
        refusal = role_refusal(
            actor, roles.APPROVE, _("cancel appeals above the four-eyes threshold")
        )
    if refusal is None and appeal.assignee_id:
        refusal = handler_refusal(appeal, actor, _("cancel this appeal"))
    return _first(refusal)


# --- verdicts -------------------------------------------------------------------------------


def decide_claims(actor: AbstractBaseUser, appeal: Appeal) -> bool:
    """Whether deciding this case takes it first: an open case nobody else holds."""
    return appeal.status == S.OPEN and appeal.assignee_id in (None, actor.pk)


def can_decide(actor: Actor, appeal: Appeal) -> Permit:
    """Issue (or propose) a verdict: the handler of a case being worked, or of an open
    case nobody else holds (deciding takes it); on an escalated case, a senior."""
    if refusal := role_refusal(actor, roles.WORK, _("issue verdicts")):
        return Permit(refusal)
    if appeal.status in (S.PENDING_APPROVAL, S.RESOLVED):
        return Permit(Conflict(_("This appeal already has a verdict.")))
    claims = decide_claims(actor, appeal)
    if not claims and appeal.status not in WORKING:
        return Permit(
            InvalidTransition(
                _("An appeal that is %(status)s cannot be decided; claim it first.")
                % {"status": appeal.get_status_display().lower()}
            )
        )
    if appeal.status == S.ESCALATED:
        return _first(role_refusal(actor, roles.HANDLE_ESCALATION, _("decide escalated appeals")))
    if claims:
        return ALLOW
    return _first(handler_refusal(appeal, actor, _("decide this appeal")))


def evidence_after(verdict: Verdict, uploaded: Iterable[datetime] | None = None) -> bool:
    """Whether evidence came in after the verdict was proposed. `uploaded` is when each
    piece of the case's evidence came in, if the caller has read them already."""
    if uploaded is None:
        return verdict.appeal.evidence.filter(uploaded_at__gt=verdict.created_at).exists()
    return any(moment > verdict.created_at for moment in uploaded)


def _approver_permit(actor: Actor, verdict: Verdict, *, own: str, what: str) -> Permit:
    """A pending verdict is approved or sent back by a senior or lead other than its
    proposer. `own` is the refusal a proposer gets; `what` names the action."""
    if actor is not None and verdict.decided_by_id == actor.pk:
        return Permit(
            NotAllowed(own),
            hint=_(
                "You proposed this verdict; a different senior arbitrator or team lead must "
                "approve it."
            ),
        )
    if refusal := role_refusal(actor, roles.APPROVE, what):
        return Permit(
            refusal, hint=_("Waiting for a senior arbitrator or team lead to approve it.")
        )
    if verdict.state != Verdict.State.PENDING:
        return Permit(
            Conflict(
                _("This verdict is %(state)s, not pending.")
                % {"state": verdict.get_state_display().lower()}
            )
        )
    return ALLOW


def can_approve(actor: Actor, verdict: Verdict, *, late_evidence: bool | None = None) -> Permit:
    """The second pair of eyes makes a pending verdict effective, unless evidence came in
    after it was proposed. `late_evidence` is evidence_after(verdict) if the caller
    already knows it."""
    permit = _approver_permit(
        actor,
        verdict,
        own=_("You cannot approve your own verdict; another reviewer must."),
        what=_("approve verdicts"),
    )
    if permit and (late_evidence if late_evidence is not None else evidence_after(verdict)):
        return Permit(
            Conflict(
                _(
                    "Evidence was added after this verdict was proposed; send it back so the "
                    "proposal can be renewed."
                )
            )
        )
    return permit


def can_send_back(actor: Actor, verdict: Verdict) -> Permit:
    """Refuse a pending verdict: the same people as approve it."""
    return _approver_permit(
        actor, verdict, own=_("You cannot review your own verdict."), what=_("review verdicts")
    )


# --- second-level review --------------------------------------------------------------------


def review_window_closes(verdict: Verdict) -> datetime:
    """The end of the window in which a party may contest an effective verdict."""
    return verdict.effective_at + timedelta(days=settings.REVIEW_WINDOW_DAYS)


def can_contest(actor: Actor, appeal: Appeal, verdict: Verdict | None) -> Permit:
    """A party contests an effective verdict once, within the review window, through the
    exchange's services (staff do not contest in a party's name). `verdict` is the
    appeal's effective verdict (None: there is none)."""
    if refusal := service_refusal(actor, _("contest verdicts")):
        return Permit(refusal)
    if appeal.status != S.RESOLVED or verdict is None:
        return Permit(Conflict(_("Only an effective verdict can be contested.")))
    if VerdictReview.objects.filter(appeal=appeal).exists():
        return Permit(
            Conflict(_("This verdict has already been contested; a verdict is reviewed once."))
        )
    closes = review_window_closes(verdict)
    if timezone.now() > closes:
        return Permit(
            Conflict(
                _("The review window closed on %(date)s.") % {"date": local_time(closes)},
                field="appeal",
            )
        )
    return ALLOW


def review_eligible_reviewers(appeal: Appeal) -> QuerySet:
    """Seniors and leads who have handled none of either party's cases, this one included:
    never assigned one, never decided or approved a verdict on one."""
    User = get_user_model()
    parties = [appeal.order.buyer_id, appeal.order.seller_id]
    their_appeals = Appeal.objects.filter(
        Q(order__buyer_id__in=parties) | Q(order__seller_id__in=parties)
    )
    handled = (
        Q(assigned_appeals__in=their_appeals)
        | Q(verdicts_decided__appeal__in=their_appeals)
        | Q(verdicts_approved__appeal__in=their_appeals)
    )
    return (
        User.objects.filter(
            is_active=True,
            groups__name__in=[roles.Role.SENIOR_ARBITRATOR, roles.Role.TEAM_LEAD],
        )
        .exclude(pk__in=User.objects.filter(handled).values("pk"))
        .distinct()
    )


def reviewer_refusal(review: VerdictReview, reviewer: AbstractBaseUser) -> InvalidInput | None:
    if not review_eligible_reviewers(review.appeal).filter(pk=reviewer.pk).exists():
        return InvalidInput(
            _(
                "%(user)s cannot review this verdict: a reviewer must be a senior "
                "who has handled none of either party's cases."
            )
            % {"user": reviewer.get_username()},
            field="reviewer",
        )
    return None


def _review_decided(review: VerdictReview) -> Conflict | None:
    if review.state != VerdictReview.State.PENDING:
        return Conflict(_("This review is already decided."))
    return None


def can_assign_review(actor: Actor, review: VerdictReview) -> Permit:
    if refusal := role_refusal(actor, roles.ASSIGN, _("assign reviews")):
        return Permit(refusal)
    return _first(_review_decided(review))


def can_decide_review(actor: Actor, review: VerdictReview) -> Permit:
    """Only the assigned reviewer, and only while still independent of both parties."""
    if refusal := role_refusal(actor, roles.HANDLE_ESCALATION, _("decide reviews")):
        return Permit(refusal)
    if refusal := _review_decided(review):
        return Permit(refusal)
    if review.reviewer_id != actor.pk:
        return Permit(NotAllowed(_("Only the assigned reviewer decides this review.")))
    return _first(reviewer_refusal(review, actor))


def _reversal_permit(actor: Actor, review: VerdictReview, what: str) -> Permit:
    if review.state != VerdictReview.State.PROPOSED:
        return Permit(
            Conflict(
                _("This review is %(state)s; only a proposed reversal can be approved.")
                % {"state": review.get_state_display().lower()}
            )
        )
    if actor is not None and review.reviewer_id == actor.pk:
        return Permit(
            NotAllowed(
                _("You proposed this reversal; a different senior or lead must approve it.")
            ),
            hint=_(
                "You proposed this reversal; a different senior arbitrator or team lead must "
                "approve it."
            ),
        )
    if refusal := role_refusal(actor, roles.APPROVE, what):
        return Permit(
            refusal, hint=_("Waiting for a senior arbitrator or team lead to approve the reversal.")
        )
    return ALLOW


def can_approve_reversal(actor: Actor, review: VerdictReview) -> Permit:
    """The second pair of eyes on a reversal above four-eyes: any senior or lead other
    than the reviewer who proposed it."""
    return _reversal_permit(actor, review, _("approve reversals"))


def can_send_back_reversal(actor: Actor, review: VerdictReview) -> Permit:
    return _reversal_permit(actor, review, _("review reversals"))


# --- account restrictions -------------------------------------------------------------------
# Judged on the actor and the restriction's state; the functions, reason and end asked for
# are the action's own checks (cases.lifecycle.accounts.restriction_input).


def can_restrict(actor: Actor) -> Permit:
    """Switch off a trader's functions at once: seniors and team leads. An arbitrator
    restricts through a verdict's account action; a risk analyst proposes."""
    return _first(role_refusal(actor, roles.RESTRICT, _("restrict accounts")))


def can_propose_restriction(actor: Actor) -> Permit:
    """Propose a restriction for a team lead to approve: risk analysts, seniors, leads."""
    return _first(role_refusal(actor, roles.PROPOSE_RESTRICTION, _("propose restrictions")))


def can_lift_restriction(
    actor: Actor, restriction: AccountRestriction, at: datetime | None = None
) -> Permit:
    """Lift a restriction in force, once: seniors and team leads."""
    if refusal := role_refusal(actor, roles.RESTRICT, _("lift restrictions")):
        return Permit(refusal)
    if restriction.lifted_at is not None:
        return Permit(Conflict(_("This restriction has already been lifted.")))
    if restriction.state != AccountRestriction.State.IMPOSED:
        return Permit(Conflict(_("This restriction was never in force.")))
    if not restriction.is_active(at):
        return Permit(Conflict(_("This restriction has already ended.")))
    return ALLOW


def can_decide_restriction(
    actor: Actor, restriction: AccountRestriction, *, approve: bool = True
) -> Permit:
    """Approve or reject a proposed restriction: team leads, once; never one's own
    approval (four-eyes). Withdrawing one's own proposal (rejecting it) is allowed."""
    if refusal := role_refusal(actor, roles.DECIDE_RESTRICTION, _("decide proposed restrictions")):
        return Permit(refusal)
    if restriction.state != AccountRestriction.State.PROPOSED:
        return Permit(Conflict(_("This proposal has already been decided.")))
    assert actor is not None  # noqa: S101 - role_refusal refuses None
    if approve and restriction.created_by_id == actor.pk:
        return Permit(
            NotAllowed(_("You cannot approve your own proposal: another team lead must.")),
            hint=_("Your own proposal: another team lead approves it."),
        )
    if approve and restriction.until is not None and restriction.until <= timezone.now():
        return Permit(Conflict(_("The proposed end has passed; propose it again.")))
    return ALLOW
