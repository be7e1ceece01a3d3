"""The audit trail as sentences, in the viewer's language: "ana claimed the case",
"sam proposed: release to buyer (rule P2P-1.1)", "ana asked the seller for evidence by
2026-12-03 14:00". An entry's raw keys (`appeal.claimed`, `expected_updated_at`) and
full hashes are never shown: every action the code records has a sentence here, and an
action without one still reads as a sentence ("ana changed the case"). The case page
(selectors.case.audit_lines) and the "someone else acted" banner read them.

Sentences are whole translatable strings with the actor as a placeholder, so a language
can put the name where its grammar wants it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.models import (
    AccountAction,
    AccountRestriction,
    Appeal,
    AuditEntry,
    DeskMessage,
    Party,
    Verdict,
)
from cases.roles import Role
from evidence.models import FIELD_LABELS, Evidence

# How much of a sha256 the trail shows; the full value is on hover and on click.
HASH_SHOWN = 8
# Free text (notes, comments, rationales) is quoted up to this length.
TEXT_SHOWN = 140


@dataclass
class Hash:
    label: str
    full: str

    @property
    def short(self) -> str:
        return self.full[:HASH_SHOWN]


@dataclass
class Sentence:
    text: str
    # Free text the action carried (a note, a comment, a rationale), quoted under it.
    quote: str = ""
    hashes: list[Hash] = field(default_factory=list)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


def _party(value: Any) -> str:
    return _label(Party, value).lower()


def _when(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(moment):
        return value
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _quote(text: Any) -> str:
    text = str(text or "").strip()
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"


def _user(value: Any, users: dict[int, str]) -> str:
    if value is None or value == "":
        return _("nobody")
    return users.get(value, f"#{value}") if isinstance(value, int) else str(value)


ROLE_LABELS = {
    Role.SENIOR_ARBITRATOR: gettext_lazy("the senior arbitrators"),
    Role.TEAM_LEAD: gettext_lazy("the team leads"),
}


class _Say:
    """One entry's values, and helpers to phrase them."""

    def __init__(self, entry: AuditEntry, users: dict[int, str]) -> None:
        self.entry = entry
        self.users = users
        self.before = entry.before or {}
        self.after = entry.after or {}
        self.v: dict[str, Any] = {"actor": actor_name(entry, users)}

    def get(self, key: str, default: Any = None) -> Any:
        return self.after.get(key, self.before.get(key, default))


def actor_name(entry: AuditEntry, users: dict[int, str]) -> str:
    if entry.actor_id is None:
        return _("The system")
    return users.get(entry.actor_id, entry.actor_label)


def _opened(s: _Say) -> Sentence:
    s.v |= {
        "reason": _label(Appeal.Reason, s.get("reason")).lower(),
        "party": _party(s.get("opened_by")),
    }
    return Sentence(_("%(actor)s opened the appeal for the %(party)s: %(reason)s") % s.v)


def _assigned(s: _Say) -> Sentence:
    to = s.after.get("assignee")
    by_floor = s.after.get("by_floor")
    if to is None:
        if by_floor == "shift_ended":
            return Sentence(_("%(actor)s returned the case to the queue: the shift ended") % s.v)
        return Sentence(_("%(actor)s returned the case to the queue") % s.v)
    s.v["user"] = _user(to, s.users)
    if by_floor == "auto":
        return Sentence(_("%(actor)s assigned the case to %(user)s automatically") % s.v)
    return Sentence(_("%(actor)s assigned the case to %(user)s") % s.v)


def _evidence_requested(s: _Say) -> Sentence:
    s.v |= {"party": _party(s.get("party")), "due": _when(s.get("due_at"))}
    return Sentence(
        _("%(actor)s asked the %(party)s for evidence, due %(due)s") % s.v,
        quote=_quote(s.after.get("comment")),
    )


VIA = {
    "evidence": gettext_lazy("by an upload"),
    "chat": gettext_lazy("in the chat"),
    "staff": gettext_lazy("recorded by staff"),
}


def _answered(s: _Say) -> Sentence:
    via = s.get("via")
    s.v |= {"party": _party(s.get("party")), "via": VIA.get(via, via or "—")}
    return Sentence(_("The %(party)s answered the evidence request (%(via)s)") % s.v)


def _missed(s: _Say) -> Sentence:
    parties = s.get("parties") or []
    s.v["parties"] = ", ".join(_party(p) for p in parties) or "—"
    return Sentence(_("The %(parties)s missed the evidence deadline") % s.v)


def _escalated(s: _Say) -> Sentence:
    role = s.after.get("target_role") or Role.SENIOR_ARBITRATOR
    s.v |= {"role": ROLE_LABELS.get(role, role), "rule": s.after.get("rule") or ""}
    quote = _quote(s.after.get("comment"))
    if s.v["rule"]:
        return Sentence(
            _("%(actor)s escalated the case to %(role)s by the rule “%(rule)s”") % s.v,
            quote=quote,
        )
    return Sentence(_("%(actor)s escalated the case to %(role)s") % s.v, quote=quote)


def _outcome(value: Any) -> str:
    return _label(Verdict.Outcome, value).lower()


def _verdict_proposed(s: _Say) -> Sentence:
    s.v |= {"outcome": _outcome(s.after.get("outcome")), "rule": s.after.get("rule") or "—"}
    quote = _quote(s.after.get("rationale"))
    if s.after.get("state") == Verdict.State.PENDING:
        return Sentence(_("%(actor)s proposed: %(outcome)s (rule %(rule)s)") % s.v, quote=quote)
    return Sentence(_("%(actor)s decided: %(outcome)s (rule %(rule)s)") % s.v, quote=quote)


def _verdict_approved(s: _Say) -> Sentence:
    s.v["outcome"] = _outcome(s.after.get("outcome"))
    return Sentence(_("%(actor)s approved the verdict: %(outcome)s") % s.v)


def _resolved(s: _Say) -> Sentence:
    s.v["outcome"] = _outcome(s.after.get("outcome"))
    return Sentence(_("%(actor)s closed the case with the verdict: %(outcome)s") % s.v)


def _sent_back(s: _Say) -> Sentence:
    return Sentence(_("%(actor)s sent the verdict back") % s.v, quote=_quote(s.get("comment")))


def _verdict_sent_back_case(s: _Say) -> Sentence:
    s.v["user"] = _user(s.after.get("assignee"), s.users)
    return Sentence(
        _("%(actor)s returned the case to %(user)s to decide again") % s.v,
        quote=_quote(s.after.get("comment")),
    )


def _account_action(s: _Say) -> Sentence:
    s.v |= {
        "kind": _label(AccountAction.Kind, s.after.get("kind")).lower(),
        "trader": s.after.get("trader") or "—",
    }
    if s.after.get("days"):
        s.v["days"] = s.after["days"]
        return Sentence(
            _("%(actor)s took an account action on %(trader)s: %(kind)s, %(days)s days") % s.v
        )
    return Sentence(_("%(actor)s took an account action on %(trader)s: %(kind)s") % s.v)


def _functions(value: Any) -> str:
    return ", ".join(_label(AccountRestriction.Function, f).lower() for f in value or []) or "—"


def _restriction(text: str) -> Callable[[_Say], Sentence]:
    """An account restriction's entry: whose account, which functions, and the reason
    (or the lift's reason) quoted."""

    def say(s: _Say) -> Sentence:
        s.v |= {
            "trader": s.after.get("trader") or "—",
            "functions": _functions(s.after.get("functions")),
        }
        quote = s.after.get("lift_reason") or s.after.get("note") or s.after.get("reason")
        return Sentence(_(text) % s.v, quote=_quote(quote))

    return say


def _message(s: _Say) -> Sentence:
    s.v |= {
        "party": _party(s.after.get("party")),
        "kind": _label(DeskMessage.Kind, s.after.get("kind")).lower(),
        "language": s.after.get("language") or "—",
    }
    return Sentence(
        _("%(actor)s sent the %(party)s a message (%(kind)s, in %(language)s)") % s.v,
        quote=_quote(s.after.get("text")),
    )


def _evidence_added(s: _Say) -> Sentence:
    s.v |= {
        "kind": _label(Evidence.Kind, s.after.get("kind")).lower(),
        "party": _party(s.after.get("party")),
    }
    digest = s.after.get("sha256")
    return Sentence(
        _("%(actor)s added evidence for the %(party)s: %(kind)s") % s.v,
        hashes=[Hash("sha256", digest)] if digest else [],
    )


def _evidence_corrected(s: _Say) -> Sentence:
    field = s.after.get("field") or ""
    s.v |= {
        "field": str(FIELD_LABELS.get(field, field)).lower(),
        "value": s.after.get("value") or "—",
        "read": s.before.get("read") or "—",
    }
    return Sentence(
        _("%(actor)s corrected the %(field)s read from evidence to %(value)s (read: %(read)s)")
        % s.v
    )


def _review_requested(s: _Say) -> Sentence:
    s.v["party"] = _party(s.get("requested_by") or s.get("party"))
    return Sentence(
        _("%(actor)s recorded that the %(party)s contested the verdict") % s.v,
        quote=_quote(s.get("reason")),
    )


def _review_assigned(s: _Say) -> Sentence:
    s.v["user"] = _user(s.after.get("reviewer"), s.users)
    return Sentence(_("%(actor)s assigned the review to %(user)s") % s.v)


def _plain(text: str, *, quote_key: str = "") -> Callable[[_Say], Sentence]:
    def say(s: _Say) -> Sentence:
        return Sentence(_(text) % s.v, quote=_quote(s.get(quote_key)) if quote_key else "")

    return say


SENTENCES: dict[str, Callable[[_Say], Sentence]] = {
    "appeal.opened": _opened,
    "appeal.claimed": _plain(gettext_noop("%(actor)s claimed the case")),
    "appeal.assigned": _assigned,
    "appeal.unassigned": _plain(gettext_noop("%(actor)s handed the case back to the queue")),
    "appeal.evidence_requested": _evidence_requested,
    "appeal.evidence_received": _answered,
    "appeal.party_answered": _answered,
    "appeal.evidence_deadline_missed": _missed,
    "appeal.escalated": _escalated,
    "appeal.cancelled": _plain(gettext_noop("%(actor)s cancelled the appeal"), quote_key="comment"),
    "appeal.verdict_proposed": _plain(
        gettext_noop("%(actor)s sent the verdict for four-eyes approval")
    ),
    "appeal.verdict_sent_back": _verdict_sent_back_case,
    "appeal.resolved": _resolved,
    "appeal.clock_paused": _plain(
        gettext_noop("%(actor)s stopped the case's clocks for an incident")
    ),
    "appeal.clock_resumed": _plain(
        gettext_noop("%(actor)s restarted the case's clocks after an incident")
    ),
    "note.added": _plain(gettext_noop("%(actor)s added a note"), quote_key="text"),
    "evidence.added": _evidence_added,
    "evidence.corrected": _evidence_corrected,
    "verdict.proposed": _verdict_proposed,
    "verdict.approved": _verdict_approved,
    "verdict.sent_back": _sent_back,
    "account.action_taken": _account_action,
    "account.restricted": _restriction(
        gettext_noop("%(actor)s restricted %(trader)s's account: %(functions)s")
    ),
    "account.restriction_proposed": _restriction(
        gettext_noop("%(actor)s proposed restricting %(trader)s's account: %(functions)s")
    ),
    "account.restriction_rejected": _restriction(
        gettext_noop("%(actor)s rejected the proposed restriction of %(trader)s's account")
    ),
    "account.restriction_lifted": _restriction(
        gettext_noop("%(actor)s lifted the restriction of %(trader)s's account: %(functions)s")
    ),
    "party.message_sent": _message,
    "review.requested": _review_requested,
    "review.assigned": _review_assigned,
    "review.upheld": _plain(
        gettext_noop("%(actor)s upheld the verdict on review"), quote_key="rationale"
    ),
    "review.reversed": _plain(
        gettext_noop("%(actor)s reversed the verdict on review"), quote_key="rationale"
    ),
    "review.reversal_proposed": _plain(
        gettext_noop("%(actor)s proposed reversing the verdict"), quote_key="rationale"
    ),
    "review.reversal_sent_back": _plain(
        gettext_noop("%(actor)s sent the proposed reversal back"), quote_key="comment"
    ),
    "trader.updated": _plain(gettext_noop("%(actor)s changed a trader's details")),
    "order.created": _plain(gettext_noop("%(actor)s recorded the order")),
    "order.updated": _plain(gettext_noop("%(actor)s updated the order")),
}


def audit_sentence(entry: AuditEntry, users: dict[int, str]) -> Sentence:
    """The entry as a sentence in the active language; `users` maps user ids (the actor
    and any user the entry names) to the names to show."""
    say = _Say(entry, users)
    phrase = SENTENCES.get(entry.action)
    if phrase is None:
        return Sentence(_("%(actor)s changed the case") % say.v)
    return phrase(say)


def user_ids(entries: list[AuditEntry]) -> set[int]:
    """Every user an entry's sentence names: its actor, and the assignee, reviewer..."""
    found = {e.actor_id for e in entries if e.actor_id is not None}
    for entry in entries:
        for part in (entry.before or {}, entry.after or {}):
            for key in USER_KEYS:
                if isinstance(part.get(key), int):
                    found.add(part[key])
    return found


USER_KEYS = frozenset({"assignee", "decided_by", "approved_by", "reviewer"})
