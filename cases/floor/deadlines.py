"""The parties' deadlines and the desk's: reminders before a party's deadline, the
missed deadline (the case back to its arbitrator, flagged, with the rulebook's usual
outcome suggested), and "due within the hour" for whoever holds a case.

Each step claims its rows with a compare-and-swap (an UPDATE that only one caller wins)
or a notification key, so running twice, or twice at once, sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases import lifecycle
from cases.languages import party_ui_language
from cases.models import Appeal, DeskMessage, EvidenceRequest, Notification, Rule, Verdict
from cases.notifications import notify

from . import incidents

S = Appeal.Status
BATCH = 500
# The party clocks the tick watches: a case being waited on (or sent up meanwhile).
WAITING_STATUSES = (S.AWAITING_EVIDENCE, S.ESCALATED, S.IN_REVIEW, S.OPEN)


def _waiting(at: datetime | None = None):
    """Requests still waiting on a party; given `at`, only those whose clock runs (no
    incident stops it)."""
    rows = EvidenceRequest.objects.filter(
        answered_at__isnull=True, missed_at__isnull=True, appeal__status__in=WAITING_STATUSES
    )
    if at is not None:
        rows = rows.exclude(incidents.under_incident_q(at, prefix="appeal__"))
    return rows


def missed_sweep(at: datetime | None = None) -> int:
    """Mark every deadline that passed; returns how many appeals it flagged."""
    at = at or timezone.now()
    ids = (
        _waiting(at)
        .filter(due_at__lte=at)
        .order_by("due_at")
        .values_list("appeal_id", flat=True)
        .distinct()
    )
    flagged = 0
    for appeal_id in list(dict.fromkeys(ids[:BATCH])):
        if lifecycle.appeal_evidence_missed(appeal_id=appeal_id, at=at):
            flagged += 1
    return flagged


def _reminder_text(request: EvidenceRequest, language: str) -> str:
    with translation.override(party_ui_language(language)):
        due = date_format(timezone.localtime(request.due_at), "Y-m-d H:i T")
        return _(
            "Reminder: the evidence the desk asked for on appeal #%(appeal)s is due by "
            "%(due)s. Without it the case is decided on what the desk has."
        ) % {"appeal": request.appeal_id, "due": due}


def send_reminders(at: datetime | None = None) -> int:
    """A party.message to each party whose deadline is within EVIDENCE_REMINDER_HOURS
    and who has not been reminded; returns how many were sent."""
    at = at or timezone.now()
    window = timedelta(hours=settings.EVIDENCE_REMINDER_HOURS)
    due = (
        _waiting(at)
        .filter(reminded_at__isnull=True, due_at__gt=at, due_at__lte=at + window)
        .order_by("due_at")
    )
    sent = 0
    for request_id, appeal_id in list(due.values_list("pk", "appeal_id")[:BATCH]):
        with transaction.atomic():
            # The appeal first, as every action locks it (an answer arriving now updates
            # this request under the appeal's lock: the other order could deadlock).
            appeal = lifecycle.lock_appeal(appeal_id)
            # The compare-and-swap: of two senders only one sets reminded_at; an answer
            # or a missed mark that came first leaves nothing to remind of.
            if not EvidenceRequest.objects.filter(
                pk=request_id,
                reminded_at__isnull=True,
                answered_at__isnull=True,
                missed_at__isnull=True,
            ).update(reminded_at=at):
                continue
            request = EvidenceRequest.objects.get(pk=request_id)
            language = appeal.order.party(request.party).language or "en"
            lifecycle.desk_message_send(
                appeal=appeal,
                actor=None,
                party=request.party,
                kind=DeskMessage.Kind.REMINDER,
                text=_reminder_text(request, language),
                language=language,
                due_at=request.due_at,
            )
            sent += 1
    return sent


def deadline_soon_sweep(at: datetime | None = None) -> int:
    """Tell whoever holds a case that its resolution, or a party's evidence, is due within
    the hour (once per deadline)."""
    at = at or timezone.now()
    soon = at + timedelta(hours=1)
    sent = 0
    appeals = (
        Appeal.objects.filter(
            status__in=Appeal.ACTIVE_STATUSES,
            assignee__isnull=False,
            clock_paused_at__isnull=True,
            resolution_due_at__gt=at,
            resolution_due_at__lte=soon,
        )
        .order_by("resolution_due_at")
        .values_list("pk", "assignee_id", "resolution_due_at")[:BATCH]
    )
    requests = (
        _waiting(at)
        .filter(appeal__assignee__isnull=False, due_at__gt=at, due_at__lte=soon)
        .order_by("due_at")
        .values_list("pk", "appeal_id", "appeal__assignee_id", "party", "due_at")[:BATCH]
    )
    with transaction.atomic():
        for appeal_id, assignee_id, due in appeals:
            sent += notify(
                [assignee_id],
                Notification.Kind.DEADLINE_SOON,
                appeal=Appeal(pk=appeal_id),
                data={"what": "resolution", "due": due.isoformat()},
                key=f"soon:{appeal_id}:{due.isoformat()}",
            )
        for request_id, appeal_id, assignee_id, party, due in requests:
            sent += notify(
                [assignee_id],
                Notification.Kind.DEADLINE_SOON,
                appeal=Appeal(pk=appeal_id),
                data={"what": "evidence", "party": party, "due": due.isoformat()},
                key=f"soon-evidence:{request_id}:{due.isoformat()}",
            )
    return sent


# --- what the rulebook usually decides when a party stays silent ---------------------------


@dataclass(frozen=True)
class Suggestion:
    outcome: str
    rule_code: str
    rule_title: str
    why: str

    @property
    def outcome_label(self) -> str:
        return Verdict.Outcome(self.outcome).label


def missed_deadline_suggestion(
    appeal: Appeal, requests: list[EvidenceRequest]
) -> Suggestion | None:
    """The usual outcome when a party missed its evidence deadline, for the arbitrator to
    weigh (never applied): a silent seller loses to a buyer who claims payment (P2P-1.2);
    a silent buyer has not proved the payment (P2P-2.1, or P2P-3.1 for a wrong amount);
    both silent: nobody proved anything (P2P-9.1)."""
    missed = {r.party for r in requests if r.missed_at is not None}
    if not missed:
        return None
    if missed == {"buyer", "seller"}:
        code, outcome = "P2P-9.1", Verdict.Outcome.RETURN_TO_SELLER
        why = _("Neither party sent the evidence asked for by its deadline.")
    elif missed == {"seller"}:
        code, outcome = "P2P-1.2", Verdict.Outcome.RELEASE_TO_BUYER
        why = _("The seller did not answer the evidence request by its deadline.")
    else:
        code = "P2P-3.1" if appeal.reason == Appeal.Reason.WRONG_AMOUNT else "P2P-2.1"
        outcome = Verdict.Outcome.RETURN_TO_SELLER
        why = _("The buyer did not send the evidence asked for by its deadline.")
    rule = Rule.objects.filter(code=code, active=True).first()
    return Suggestion(
        outcome=outcome, rule_code=code, rule_title=rule.title if rule else "", why=why
    )
