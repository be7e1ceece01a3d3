"""Reads for the case page: everything one appeal shows, in a bounded number of queries.

Every list on the page (chat, evidence, notes, status changes, verdicts, audit entries)
is one query with its related rows joined in, and the parties' histories are aggregates,
so the page costs the same number of queries with 5 chat messages or 5,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import FilteredRelation, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arbitration.formatting import compact_duration, local_time
from cases import lifecycle, roles, sla
from cases.chat_text import highlight
from cases.floor.deadlines import Suggestion, missed_deadline_suggestion
from cases.models import (
    AccountAction,
    AccountRestriction,
    AccountSignal,
    Appeal,
    AppealStatusChange,
    AuditEntry,
    ChatMessage,
    DeskMessage,
    EscalationRule,
    Note,
    Order,
    Party,
    Rule,
    Trader,
    Verdict,
    VerdictReview,
    WatchKeyword,
)
from cases.selectors.audit import Sentence, audit_sentence
from cases.selectors.audit import user_ids as audit_user_ids
from evidence import graph
from evidence.edit_traces import TRACE_LABELS
from evidence.extraction import FIELDS as EXTRACTED_FIELDS
from evidence.models import FIELD_LABELS, Evidence
from evidence.names import same_person
from evidence.selectors import shared_signals

if TYPE_CHECKING:
    from cases.models import AppealEscalation, ClockPause, EvidenceRequest, Incident

S = Appeal.Status
RECENT_APPEALS = 5
LINKED_ACCOUNTS = 40

# --- the appeal ---------------------------------------------------------------------------


def case_appeal(pk: int) -> Appeal:
    return get_object_or_404(
        Appeal.objects.select_related(
            "order__buyer", "order__seller", "assignee", "review__reviewer"
        ),
        pk=pk,
    )


def case_review(appeal: Appeal) -> VerdictReview | None:
    # The reverse one-to-one raises RelatedObjectDoesNotExist (an AttributeError) if absent.
    return getattr(appeal, "review", None)


# --- the parties --------------------------------------------------------------------------


@dataclass
class PartyFacts:
    side: str
    trader: Trader
    counterpart: Trader
    history: dict[str, int]
    recent: list[RecentAppeal]
    actions: list[AccountAction]
    # The party's restrictions in force (cases.lifecycle.accounts: the one record).
    restrictions: list[AccountRestriction] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    shared_with_counterpart: list[AccountSignal] = field(default_factory=list)
    first_seen: datetime | None = None

    @property
    def label(self) -> str:
        return Party(self.side).label

    @property
    def restricted_until(self) -> datetime | None:
        until = self.trader.p2p_restricted_until
        return until if until and until > timezone.now() else None

    @property
    def restricted_functions(self) -> list[str]:
        """The labels of every function an active restriction switches off, in order."""
        off = {f for r in self.restrictions for f in r.functions}
        return [str(label) for value, label in AccountRestriction.Function.choices if value in off]

    @property
    def account_since(self) -> datetime | None:
        return self.trader.registered_at or self.first_seen


def _sql(template: str) -> str:
    """A query of this module with its tables and the statuses it names filled in (names
    and values from the models, never from input)."""
    return template.format(
        appeal=Appeal._meta.db_table,
        order=Order._meta.db_table,
        verdict=Verdict._meta.db_table,
        closed=", ".join(f"'{status}'" for status in Appeal.CLOSED_STATUSES),
        cancelled=f"'{S.CANCELLED}'",
        effective=f"'{Verdict.State.EFFECTIVE}'",
    )


# Each trader's appeals as either party, with the effective verdict (at most one per
# appeal: a partial unique index), other than the case's own. Written as SQL: the ORM's
# conditional aggregates cost more to compile than the database takes to answer.
_AS_PARTY = """
    FROM (SELECT %s AS tid UNION ALL SELECT %s) t
    JOIN {order} o ON o.buyer_id = t.tid OR o.seller_id = t.tid
    JOIN {appeal} a ON a.order_id = o.id
    LEFT JOIN {verdict} v ON v.appeal_id = a.id AND v.state = {effective}
    WHERE a.id <> %s
"""
_HISTORY = (
    """
    SELECT t.tid, COUNT(*),
        SUM(CASE WHEN a.status NOT IN ({closed}) THEN 1 ELSE 0 END),
        SUM(CASE WHEN a.status = {cancelled} THEN 1 ELSE 0 END),
        SUM(CASE WHEN (o.buyer_id = t.tid AND v.responsible_party IN ('buyer', 'both'))
                   OR (o.seller_id = t.tid AND v.responsible_party IN ('seller', 'both'))
            THEN 1 ELSE 0 END),
        SUM(CASE WHEN (o.buyer_id = t.tid AND v.outcome = 'release_to_buyer')
                   OR (o.seller_id = t.tid AND v.outcome = 'return_to_seller')
            THEN 1 ELSE 0 END),
        SUM(CASE WHEN (o.buyer_id = t.tid AND a.opened_by = 'buyer')
                   OR (o.seller_id = t.tid AND a.opened_by = 'seller')
            THEN 1 ELSE 0 END)
    """
    + _AS_PARTY
    + " GROUP BY t.tid"
)
HISTORY_KEYS = ("total", "open", "cancelled", "responsible", "favoured", "opened")


def party_history(appeal: Appeal, traders: list[Trader]) -> dict[int, dict[str, int]]:
    """Previous appeals of each trader as either party, counted in one query: total, open,
    cancelled, found responsible, decided in their favour, opened by them."""
    assert len(traders) == 2
    ids = [t.pk for t in traders]
    with connection.cursor() as cursor:
        cursor.execute(_sql(_HISTORY), [*ids, appeal.pk])
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    empty = (0,) * len(HISTORY_KEYS)
    return {
        pk: dict(zip(HISTORY_KEYS, (int(n or 0) for n in rows.get(pk, empty)), strict=True))
        for pk in ids
    }


@dataclass(frozen=True)
class RecentAppeal:
    """One of a trader's latest other appeals, as the party card lists it."""

    pk: int
    external_id: str
    created_at: datetime
    side: str  # the trader's side in it
    reason: str
    status: str
    outcome: str  # of its effective verdict, "" if none
    responsible: bool  # the verdict named this trader

    @property
    def reason_label(self) -> str:
        return Appeal.Reason(self.reason).label

    @property
    def status_label(self) -> str:
        return S(self.status).label

    @property
    def outcome_label(self) -> str:
        return Verdict.Outcome(self.outcome).label if self.outcome else ""


_RECENT = (
    """
    SELECT tid, id, external_id, created_at, side, reason, status, outcome, responsible
    FROM (
        SELECT t.tid, a.id, o.external_id, a.created_at,
            CASE WHEN o.buyer_id = t.tid THEN 'buyer' ELSE 'seller' END AS side,
            a.reason, a.status, v.outcome, v.responsible_party AS responsible,
            ROW_NUMBER() OVER (
                PARTITION BY t.tid ORDER BY a.created_at DESC, a.id DESC
            ) AS n
    """
    + _AS_PARTY
    + ") recent WHERE n <= %s ORDER BY tid, n"
)


def party_recent_appeals(appeal: Appeal, traders: list[Trader]) -> dict[int, list[RecentAppeal]]:
    """Each trader's latest other appeals (RECENT_APPEALS of them), in one query."""
    assert len(traders) == 2
    ids = [t.pk for t in traders]
    found: dict[int, list[RecentAppeal]] = {pk: [] for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(_sql(_RECENT), [*ids, appeal.pk, RECENT_APPEALS])
        rows = cursor.fetchall()
    for tid, pk, external_id, created_at, side, reason, status, outcome, responsible in rows:
        if not isinstance(created_at, datetime):  # SQLite returns UTC as text
            created_at = parse_datetime(created_at).replace(tzinfo=UTC)
        found[tid].append(
            RecentAppeal(
                pk=pk,
                external_id=external_id,
                created_at=created_at,
                side=side,
                reason=reason,
                status=status,
                outcome=outcome or "",
                responsible=responsible in (side, Verdict.ResponsibleParty.BOTH),
            )
        )
    return found


def parties(appeal: Appeal) -> list[PartyFacts]:
    order = appeal.order
    buyer, seller = order.buyer, order.seller
    traders = [buyer, seller]
    history = party_history(appeal, traders)
    recent = party_recent_appeals(appeal, traders)
    actions = list(
        AccountAction.objects.filter(trader_id__in=[buyer.pk, seller.pk])
        .select_related("taken_by", "trader")
        .order_by("-created_at", "-id")[:40]
    )
    restrictions = list(
        AccountRestriction.objects.filter(
            AccountRestriction.active_q(), trader_id__in=[buyer.pk, seller.pk]
        ).order_by("-created_at", "-id")
    )
    own, linked = shared_signals(traders, sample=LINKED_ACCOUNTS)
    facts = []
    for side, trader, counterpart in (
        (Party.BUYER, buyer, seller),
        (Party.SELLER, seller, buyer),
    ):
        mine = [s for s in own if s.trader_id == trader.pk]
        theirs = {(s.kind, s.value) for s in own if s.trader_id == counterpart.pk}
        facts.append(
            PartyFacts(
                side=side,
                trader=trader,
                counterpart=counterpart,
                history=history[trader.pk],
                recent=recent[trader.pk],
                actions=[a for a in actions if a.trader_id == trader.pk][:10],
                restrictions=[r for r in restrictions if r.trader_id == trader.pk],
                signals=[s for s in linked if s["trader_id"] == trader.pk],
                shared_with_counterpart=[s for s in mine if (s.kind, s.value) in theirs],
                first_seen=min((s.first_seen_at for s in mine), default=None),
            )
        )
    return facts


# --- linked accounts and account security --------------------------------------------------

CLUSTER_MEMBERS = 30
CLUSTER_CASES = 120
SIGHTINGS_BEFORE = timedelta(days=14)
SIGHTINGS_AFTER = timedelta(days=2)
SIGHTINGS_PER_PARTY = 60
NEW_DEVICE = "new_device_before_trade"


@dataclass
class ClusterMember:
    """An account in a party's linked-account cluster, how it is linked, and its cases."""

    trader: Trader
    via: list[str]
    sides: list[str]  # the case's parties it is (buyer, seller) or is linked to
    cases: list[dict[str, Any]] = field(default_factory=list)
    lost: int = 0

    @property
    def via_labels(self) -> list[str]:
        return [str(AccountSignal.Kind(k).label) for k in self.via]

    @property
    def is_party(self) -> bool:
        return any(side.startswith("is_") for side in self.sides)


def _member_cases(ids: list[int], *, exclude: int) -> dict[int, list[dict[str, Any]]]:
    """The members' other appeals with their effective verdict, in one query."""
    found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    rows = (
        Appeal.objects.filter(Q(order__buyer_id__in=ids) | Q(order__seller_id__in=ids))
        .exclude(pk=exclude)
        .annotate(
            effective=FilteredRelation(
                "verdicts", condition=Q(verdicts__state=Verdict.State.EFFECTIVE)
            )
        )
        .order_by("-created_at", "-pk")
        .values(
            "pk",
            "reason",
            "status",
            "created_at",
            "order__buyer_id",
            "order__seller_id",
            "effective__outcome",
            "effective__responsible_party",
        )[:CLUSTER_CASES]
    )
    for row in rows:
        for side in (Party.BUYER, Party.SELLER):
            trader_id = row[f"order__{side}_id"]
            if trader_id not in found:
                continue
            outcome = row["effective__outcome"] or ""
            responsible = row["effective__responsible_party"] or ""
            found[trader_id].append(
                {
                    "pk": row["pk"],
                    "side": side,
                    "created_at": row["created_at"],
                    "reason_label": Appeal.Reason(row["reason"]).label,
                    "status": row["status"],
                    "status_label": S(row["status"]).label,
                    "outcome_label": Verdict.Outcome(outcome).label if outcome else "",
                    "lost": bool(outcome)
                    and Verdict.went_against(side, outcome=outcome, responsible_party=responsible),
                }
            )
    return found


def linked_cluster(appeal: Appeal) -> list[ClusterMember]:
    """The parties' linked-account clusters (evidence.graph): each member, the kinds of
    signal that link it, which party it is or is linked to, and its cases. At most three
    queries, none when neither party is in a cluster."""
    order = appeal.order
    parties = ((Party.BUYER, order.buyer), (Party.SELLER, order.seller))
    clusters = graph.cluster_members([t.cluster_id for _side, t in parties], limit=CLUSTER_MEMBERS)
    members = {m.pk: m for found in clusters.values() for m in found}
    if not members:
        return []
    kinds = graph.link_kinds(list(members))
    cases = _member_cases(list(members), exclude=appeal.pk)
    result = []
    for pk, trader in sorted(members.items(), key=lambda item: item[1].external_id):
        sides = [f"is_{side}" for side, t in parties if t.pk == pk]
        sides += [side for side, t in parties if t.pk != pk and t.cluster_id == trader.cluster_id]
        mine = cases[pk]
        result.append(
            ClusterMember(
                trader=trader,
                via=kinds.get(pk, []),
                sides=sides,
                cases=mine[:8],
                lost=sum(1 for c in mine if c["lost"]),
            )
        )
    return result


@dataclass
class PartySightings:
    side: str
    trader: Trader
    sightings: list[graph.Sighting]

    @property
    def label(self) -> str:
        return Party(self.side).label


def account_sightings(appeal: Appeal) -> list[PartySightings]:
    """For account-security cases (reason account_compromised, or new_device_before_trade
    found), each party's logins, devices, IPs and countries from two weeks before the
    order to two days after, the first sightings marked. Three queries, or none."""
    codes = {signal.get("code") for signal in appeal.risk_signals or []}
    if appeal.reason != Appeal.Reason.ACCOUNT_COMPROMISED and NEW_DEVICE not in codes:
        return []
    order = appeal.order
    found = graph.sightings_around(
        [order.buyer_id, order.seller_id],
        at=order.created_at,
        before=SIGHTINGS_BEFORE,
        after=SIGHTINGS_AFTER,
        limit=SIGHTINGS_PER_PARTY,
    )
    return [
        PartySightings(side=side, trader=trader, sightings=found[trader.pk])
        for side, trader in ((Party.BUYER, order.buyer), (Party.SELLER, order.seller))
    ]


# --- chat ---------------------------------------------------------------------------------


@dataclass
class ChatLine:
    """One line of the case's thread: a party's (or the system's) chat message as the
    exchange's chat service delivered it, or a message the desk sent a party."""

    message: ChatMessage | None
    html: str
    flagged: bool
    desk: DeskMessage | None = None

    @property
    def sent_at(self) -> datetime:
        return self.desk.sent_at if self.desk else self.message.sent_at

    @property
    def anchor(self) -> str:
        return f"desk-{self.desk.pk}" if self.desk else f"msg-{self.message.pk}"

    @property
    def css(self) -> str:
        return "from-desk" if self.desk else f"from-{self.message.sender}"

    @property
    def sender(self) -> str:
        """buyer, seller, system, or staff (the desk): the page's data-sender."""
        return "staff" if self.desk else self.message.sender

    @property
    def to(self) -> str:
        """The party a desk message went to; "" for a chat message."""
        return self.desk.party if self.desk else ""

    @property
    def who(self) -> str:
        if self.desk:
            return _("Desk to the %(party)s") % {"party": Party(self.desk.party).label.lower()}
        return self.message.get_sender_display()

    @property
    def via(self) -> str:
        """Who put the line here: the staff member who wrote a desk message, the service
        account that delivered a chat message."""
        if self.desk:
            # No author: the desk itself (a deadline reminder from the floor tick).
            return self.desk.sent_by.get_username() if self.desk.sent_by_id else ""
        return self.message.source.get_username() if self.message.source_id else ""


# The case page shows the thread's latest lines; older ones on request (?chat=all). The
# page then costs the same with 50 messages or 5,000.
CHAT_PAGE = 200


@dataclass
class ChatThread:
    lines: list[ChatLine]
    # The id of the last message from a party (not the system, not the desk) shown.
    last_party: int | None
    # Chat messages of the order (matching `q`, if given), shown or not.
    total: int
    # Older messages left out of `lines`.
    earlier: int


def chat_version(order_id: int) -> tuple[int, int, int, int]:
    """What the order's thread is made of, in one query: the count and the latest id of
    its chat messages and of the desk's messages. Both are only ever appended to, so a
    rendered thread stays right while these four numbers stay the same (the case page's
    cached chat fragment is keyed on them)."""
    chat, desk, appeal = (
        ChatMessage._meta.db_table,
        DeskMessage._meta.db_table,
        Appeal._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {chat} WHERE order_id = %s),"
            f" (SELECT MAX(id) FROM {chat} WHERE order_id = %s),"
            f" (SELECT COUNT(*) FROM {desk} d JOIN {appeal} a ON a.id = d.appeal_id"
            f"  WHERE a.order_id = %s),"
            f" (SELECT MAX(d.id) FROM {desk} d JOIN {appeal} a ON a.id = d.appeal_id"
            f"  WHERE a.order_id = %s)",
            [order_id] * 4,
        )
        row = cursor.fetchone()
    return tuple(value or 0 for value in row)  # type: ignore[return-value]


def chat_lines(
    appeal: Appeal,
    *,
    q: str = "",
    limit: int | None = CHAT_PAGE,
    pattern: re.Pattern[str] | None | bool = True,
) -> ChatThread:
    """The order's chat and the desk's messages to the parties, in time order, escaped and
    highlighted; `q` filters server-side. The latest `limit` chat messages (None: all),
    with the desk's messages from the oldest of them on. Four queries whatever the
    thread's length: the count, the messages, the desk's messages, the watchlist (not
    when the caller passes the watchlist's `pattern`)."""
    messages = ChatMessage.objects.filter(order_id=appeal.order_id)
    desk = DeskMessage.objects.filter(appeal__order_id=appeal.order_id).select_related("sent_by")
    if "\x00" in q:
        # No stored text holds NUL (PostgreSQL text cannot), so nothing matches.
        messages, desk = messages.none(), desk.none()
    elif q:
        messages = messages.filter(text__icontains=q)
        desk = desk.filter(text__icontains=q)
    total = messages.count()
    newest_first = messages.select_related("source").order_by("-sent_at", "-id")
    shown = list(reversed(newest_first[:limit] if limit is not None else newest_first))
    earlier = total - len(shown)
    if earlier > 0 and shown:
        desk = desk.filter(sent_at__gte=shown[0].sent_at)
    if pattern is True:
        pattern = WatchKeyword.pattern()
    lines = []
    last_party = None
    regions = _party_regions(appeal)
    for message in shown:
        html, flagged = highlight(message.text, pattern, regions=regions)
        lines.append(ChatLine(message=message, html=html, flagged=flagged))
        if message.sender != ChatMessage.Sender.SYSTEM:
            last_party = message.pk
    desk_lines = [
        ChatLine(message=None, html=highlight(d.text, None)[0], flagged=False, desk=d)
        for d in desk.order_by("sent_at", "id")
    ]
    if desk_lines:
        # Both lists are in time order: merge, a desk message after a chat line of the
        # same instant.
        lines = sorted([*lines, *desk_lines], key=lambda line: (line.sent_at, bool(line.desk)))
    return ChatThread(lines=lines, last_party=last_party, total=total, earlier=max(earlier, 0))


def _party_regions(appeal: Appeal) -> tuple[str, ...]:
    """The parties' countries, to read their national phone numbers in the chat, when the
    appeal came with its order's parties (the case page's does); never a query more. The
    rendered chat's cache key leaves them out: a party's country changes rarely, and the
    cached thread lives minutes."""
    if not Appeal._meta.get_field("order").is_cached(appeal):
        return ()
    order = appeal.order
    return tuple(
        getattr(order, side).country
        for side in ("buyer", "seller")
        if Order._meta.get_field(side).is_cached(order) and getattr(order, side).country
    )


# --- evidence, notes, verdicts, audit -----------------------------------------------------


@dataclass
class EvidenceItem:
    evidence: Evidence
    payer_mismatch: bool

    @property
    def read(self) -> list[ReadField]:
        return read_fields(self.evidence)


def evidence_items(appeal: Appeal) -> list[EvidenceItem]:
    """The case's evidence in upload order, each with its payer-name check."""
    kyc = appeal.order.buyer.kyc_name
    return [
        EvidenceItem(
            evidence=e,
            payer_mismatch=bool(e.payer_name and kyc and not same_person(e.payer_name, kyc)),
        )
        for e in Evidence.objects.filter(appeal=appeal).select_related("uploaded_by")
    ]


def evidence_by_party(items: list[EvidenceItem]) -> list[tuple[str, list[EvidenceItem], str]]:
    """(label, items newest first, side) for the buyer and the seller: the page shows each
    party's latest voucher large, side by side, and the rest below it."""
    return [
        (
            Party(side).label,
            sorted(
                (i for i in items if i.evidence.party == side),
                key=lambda i: (i.evidence.uploaded_at, i.evidence.pk),
                reverse=True,
            ),
            side,
        )
        for side in (Party.BUYER, Party.SELLER)
    ]


@dataclass(frozen=True)
class ReadField:
    """One field of what was read from a file, as the page shows it: the value the desk
    trusts, and, when an arbitrator corrected it, what was read and who corrected it."""

    field: str
    label: str
    value: str
    read: str = ""
    corrected_by: str = ""
    corrected: bool = False


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def read_fields(evidence: Evidence) -> list[ReadField]:
    """What was read from a file (evidence.extracted) with each correction over it; the
    file's whole text comes last. Empty while the file is unread and uncorrected."""
    facts = evidence.facts
    if facts is None:
        return []
    read = evidence.extracted or {}
    shown = []
    for name in EXTRACTED_FIELDS:
        correction = (evidence.corrections or {}).get(name)
        if name == "text" and not facts.get("text"):
            continue
        shown.append(
            ReadField(
                field=name,
                label=str(FIELD_LABELS[name]),
                value=_shown(facts.get(name)),
                read=_shown(read.get(name)) if correction else "",
                corrected_by=str(correction.get("by_name", "")) if correction else "",
                corrected=correction is not None,
            )
        )
    return shown


def _extracted(evidence: Evidence) -> list[tuple[str, str]]:
    """What was read from a file as the viewer's label/value pairs (json_script: text
    only): a corrected value says what was read and who corrected it."""
    pairs = []
    for item in read_fields(evidence):
        value = item.value
        if item.corrected:
            value = _("%(value)s (corrected by %(user)s; read: %(read)s)") % {
                "value": item.value,
                "user": item.corrected_by or _("system"),
                "read": item.read,
            }
        pairs.append((item.label, value))
    if evidence.extraction_note:
        pairs.append((str(_("Note")), str(evidence.get_extraction_note_display())))
    return pairs


def _edit_traces(evidence: Evidence) -> list[str]:
    """The file's edit traces (evidence.edit_traces) as sentences in the reader's language."""
    return [
        _(TRACE_LABELS[t["code"]]) % {"value": t["value"]}
        for t in evidence.edit_traces or []
        if t.get("code") in TRACE_LABELS
    ][:5]


def evidence_viewer_data(appeal: Appeal, items: list[EvidenceItem]) -> list[dict[str, Any]]:
    """Every piece of evidence as the in-page viewer shows it (json_script: text only)."""
    data = []
    for item in items:
        e = item.evidence
        data.append(
            {
                "id": e.pk,
                "url": reverse("cases:evidence_file", args=[appeal.pk, e.pk]),
                "party": e.party,
                "party_label": str(Party(e.party).label),
                "kind": str(e.get_kind_display()),
                "pdf": e.content_type == Evidence.ContentType.PDF,
                "content_type": e.get_content_type_display(),
                "size": e.size,
                "width": e.width,
                "height": e.height,
                "sha256": e.sha256,
                "uploader": e.uploaded_by.get_username() if e.uploaded_by_id else "",
                "uploaded_at": local_time(e.uploaded_at),
                "payer_name": e.payer_name,
                "payer_mismatch": item.payer_mismatch,
                "original_name": e.original_name,
                "note": e.note,
                "extracted": _extracted(e),
                "edit_traces": _edit_traces(e),
            }
        )
    return data


def notes(appeal: Appeal) -> list[Note]:
    return list(Note.objects.filter(appeal=appeal).select_related("author"))


def status_changes(appeal: Appeal) -> list[AppealStatusChange]:
    return list(AppealStatusChange.objects.filter(appeal=appeal).select_related("actor"))


def verdicts(appeal: Appeal) -> list[Verdict]:
    found = list(
        Verdict.objects.filter(appeal=appeal).select_related("rule", "decided_by", "approved_by")
    )
    kinds = dict(AccountAction.Kind.choices)
    for verdict in found:
        # The explanations read verdict.appeal.order: reuse the page's, joined already.
        verdict.appeal = appeal
        kind = (verdict.proposed_action or {}).get("kind", "")
        verdict.action_label = kinds.get(kind, kind)
    return found


@dataclass
class AuditLine:
    entry: AuditEntry
    sentence: Sentence

    @property
    def phrase(self) -> str:
        return self.sentence.text


def _names(ids: set[int]) -> dict[int, str]:
    """User ids as the names the trail shows: the full name if there is one."""
    if not ids:
        return {}
    rows = get_user_model().objects.filter(pk__in=ids)
    return {
        pk: f"{first} {last}".strip() or username
        for pk, username, first, last in rows.values_list(
            "pk", "username", "first_name", "last_name"
        )
    }


def audit_lines(entries: QuerySet[AuditEntry] | list[AuditEntry]) -> list[AuditLine]:
    """Each entry as a sentence in the viewer's language (cases.selectors.audit); the
    users the entries name are read in one query for all of them."""
    entries = list(entries)
    names = _names(audit_user_ids(entries))
    return [AuditLine(entry=entry, sentence=audit_sentence(entry, names)) for entry in entries]


def audit_trail(appeal: Appeal) -> list[AuditLine]:
    return audit_lines(AuditEntry.objects.filter(appeal=appeal).order_by("seq"))


def changes_since(appeal_id: int, seq: int | None) -> list[str]:
    """What others did to the case after the viewer's page was drawn, for the stale-form
    message: "senior claimed the case; senior asked the seller for evidence"."""
    entries = AuditEntry.objects.filter(appeal_id=appeal_id).order_by("-seq")
    entries = entries.filter(seq__gt=seq) if seq is not None else entries[:1]
    return [line.phrase for line in audit_lines(list(reversed(list(entries[:10]))))]


@dataclass
class CaseChange:
    """The newest thing someone else did to an open case page, for its banner."""

    sentence: str
    at: datetime
    more: int


def case_changes(appeal_id: int, seq: int, viewer: AbstractBaseUser) -> CaseChange | None:
    """What happened to the case after audit entry `seq` by anyone but `viewer` (the
    banner's poll): one query on the audit_appeal index, and one for the actor's name
    when there is something to say."""
    found = list(
        AuditEntry.objects.filter(appeal_id=appeal_id, seq__gt=seq)
        .exclude(actor_id=viewer.pk)
        .order_by("-seq")[:20]
    )
    if not found:
        return None
    latest = audit_lines(found[:1])[0]
    return CaseChange(sentence=latest.phrase, at=latest.entry.created_at, more=len(found) - 1)


# --- the timeline -------------------------------------------------------------------------


@dataclass
class TimelineEvent:
    at: datetime
    kind: str
    text: str
    actor: str = ""
    detail: str = ""
    # Breaks ties between events of one transaction (one timestamp): the proposal before
    # the status change it causes, the effect and account actions after it.
    rank: int = 0


def timeline(
    appeal: Appeal,
    *,
    changes: list[AppealStatusChange],
    notes: list[Note],
    evidence: list[EvidenceItem],
    verdicts: list[Verdict],
    review: VerdictReview | None,
    actions: list[AccountAction],
) -> list[TimelineEvent]:
    """Order facts, status changes, notes, evidence and verdict events, in time order."""
    order = appeal.order
    events = [TimelineEvent(order.created_at, "order", _("Order created"))]
    if order.paid_at:
        events.append(TimelineEvent(order.paid_at, "order", _("Buyer marked the order paid")))
    if order.released_at:
        events.append(TimelineEvent(order.released_at, "order", _("Seller released the crypto")))
    for c in changes:
        if not c.from_status:
            text = _("Appeal opened by the %(party)s") % {
                "party": Party(appeal.opened_by).label.lower()
            }
        else:
            text = f"{S(c.from_status).label} → {S(c.to_status).label}"
        events.append(
            TimelineEvent(
                c.created_at,
                "status",
                text,
                c.actor.get_username() if c.actor else "",
                c.comment,
                rank=4,
            )
        )
    for n in notes:
        events.append(
            TimelineEvent(n.created_at, "note", _("Note"), n.author.get_username(), n.text)
        )
    for item in evidence:
        e = item.evidence
        events.append(
            TimelineEvent(
                e.uploaded_at,
                "evidence",
                _("%(kind)s from the %(party)s")
                % {"kind": e.get_kind_display(), "party": e.get_party_display().lower()},
                e.uploaded_by.get_username() if e.uploaded_by else _("party"),
            )
        )
    for v in verdicts:
        summary = f"{v.get_outcome_display()} · {v.rule_code}"
        events.append(
            TimelineEvent(
                v.created_at,
                "verdict",
                _("Verdict proposed: %(summary)s") % {"summary": summary},
                v.decided_by.get_username(),
                v.rationale,
                rank=3,
            )
        )
        if v.state == Verdict.State.EFFECTIVE and v.effective_at:
            who = v.approved_by.get_username() if v.approved_by else v.decided_by.get_username()
            events.append(
                TimelineEvent(v.effective_at, "verdict", _("Verdict took effect"), who, rank=5)
            )
        elif v.state == Verdict.State.SENT_BACK and v.reviewed_at:
            events.append(
                TimelineEvent(
                    v.reviewed_at, "verdict", _("Verdict sent back"), "", v.review_comment
                )
            )
        elif v.state == Verdict.State.WITHDRAWN and v.reviewed_at:
            events.append(TimelineEvent(v.reviewed_at, "verdict", _("Verdict withdrawn")))
    verdict_ids = {v.pk for v in verdicts}
    for a in actions:
        if a.verdict_id in verdict_ids:
            events.append(
                TimelineEvent(
                    a.created_at,
                    "action",
                    (
                        _("%(action)s %(days)d d")
                        % {"action": a.get_kind_display(), "days": a.days}
                        if a.days
                        else a.get_kind_display()
                    )
                    + f" · {a.trader.display_name}",
                    a.taken_by.get_username(),
                    rank=6,
                )
            )
    if review is not None:
        events.append(
            TimelineEvent(
                review.requested_at,
                "review",
                _("Verdict contested by the %(party)s")
                % {"party": review.get_requested_by_display().lower()},
                "",
                review.reason,
            )
        )
        if review.decided_at:
            events.append(
                TimelineEvent(
                    review.decided_at,
                    "review",
                    _("Review: %(state)s") % {"state": review.get_state_display().lower()},
                    review.reviewer.get_username() if review.reviewer else "",
                    review.rationale,
                )
            )
        if review.approved_at:
            events.append(
                TimelineEvent(
                    review.approved_at,
                    "review",
                    _("Reversal approved (four-eyes)"),
                    review.approved_by.get_username() if review.approved_by else "",
                )
            )
    events.sort(key=lambda e: (e.at, e.rank))
    return events


# --- the clocks ---------------------------------------------------------------------------


@dataclass
class PartyClock:
    """One party's clock: its evidence requests, its current deadline, and its breach."""

    side: str
    due: datetime | None
    requests: list[EvidenceRequest]
    breached: bool

    @property
    def label(self) -> str:
        return Party(self.side).label

    @property
    def waiting(self) -> bool:
        return any(r.waiting for r in self.requests)


@dataclass
class SlaPanel:
    """The case page's SLA panel: the contract's `sla` object and everything behind it."""

    summary: dict[str, Any]
    requests: list[EvidenceRequest]
    clocks: list[PartyClock]
    pauses: list[ClockPause]
    incidents: list[Incident]
    escalations: list[AppealEscalation]
    suggestion: Suggestion | None
    # Why the clock stands still now ("waiting on a party", an incident's title).
    paused_by: list[str] = field(default_factory=list)

    @property
    def paused_for(self) -> str:
        """The time the clocks stood still so far, short ("3h 20m"); "" for none."""
        seconds = self.summary["paused_seconds"]
        return compact_duration(seconds, under_a_minute=_("<1m")) if seconds else ""

    @property
    def escalation(self) -> AppealEscalation | None:
        return self.escalations[-1] if self.escalations else None

    @property
    def breach_labels(self) -> list[str]:
        return [str(BREACH_LABELS.get(code, code)) for code in self.summary["breaches"]]


BREACH_LABELS = {
    "first_response": gettext_lazy("First response late"),
    "evidence_buyer": gettext_lazy("Buyer's evidence late or missing"),
    "evidence_seller": gettext_lazy("Seller's evidence late or missing"),
    "resolution": gettext_lazy("Resolution past its deadline"),
}


def sla_panel(appeal: Appeal, now: datetime) -> SlaPanel:
    """The clocks of the case in three queries (requests, pauses with their incidents,
    escalations), plus the rulebook's rule when a party missed its deadline."""
    requests = list(
        appeal.evidence_requests.select_related("requested_by").order_by("requested_at", "id")
    )
    pauses = list(appeal.clock_pauses.select_related("incident").order_by("started_at", "id"))
    escalations = list(appeal.escalations.select_related("actor").order_by("at", "id"))
    targets = dict(EscalationRule.Target.choices)
    for escalation in escalations:
        escalation.target_label = targets.get(escalation.target_role, escalation.target_role)
    summary = sla.summary(appeal, requests, now)
    due = summary["evidence_due"]
    clocks = [
        PartyClock(
            side=side,
            due=due[side],
            requests=[r for r in requests if r.party == side],
            breached=f"evidence_{side}" in summary["breaches"],
        )
        for side in Party.values
    ]
    incidents = list({p.incident_id: p.incident for p in pauses if p.incident_id}.values())
    paused_by = [
        p.incident.title if p.incident_id else str(p.get_cause_display())
        for p in pauses
        if p.ended_at is None
    ]
    return SlaPanel(
        summary=summary,
        requests=requests,
        clocks=clocks,
        pauses=pauses,
        incidents=incidents,
        escalations=escalations,
        suggestion=missed_deadline_suggestion(appeal, requests),
        paused_by=paused_by,
    )


# --- what the viewer may do ---------------------------------------------------------------


@dataclass
class Abilities:
    """The actions the viewer may take on the case in its current status, as the
    lifecycle's guards (cases.lifecycle.guards) judge them: the page offers exactly what
    the lifecycle would do. A `*_absent_why` is the reason shown instead of an action."""

    work: bool = False
    claim: bool = False
    assign: bool = False
    unassign: bool = False
    request_evidence: bool = False
    note: bool = False
    upload: bool = False
    escalate: bool = False
    decide: bool = False
    approve: bool = False
    send_back: bool = False
    approve_absent_why: str = ""
    cancel: bool = False
    message: bool = False
    contest_absent_why: str = ""
    review_assign: bool = False
    review_decide: bool = False
    # A reversal above the four-eyes threshold waits for a second senior or lead.
    review_approve: bool = False
    review_approve_absent_why: str = ""
    # The parties whose answer the viewer may record (the desk waits on them).
    record_answer: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return self.work or self.assign or self.approve


def abilities(
    appeal: Appeal,
    user: AbstractBaseUser,
    *,
    pending: Verdict | None,
    effective: Verdict | None,
    review: VerdictReview | None,
    four_eyes: bool,
    late_evidence: bool = False,
    requests: list[EvidenceRequest] | None = None,
) -> Abilities:
    """What the page offers `user`: each action's guard, given the facts the page has
    already read (so the guards add no queries; can_record_answer reads the waiting
    requests itself, so it is asked only for a party the page saw waiting)."""
    can = Abilities(work=roles.has(user, roles.WORK))
    can.claim = bool(lifecycle.can_claim(user, appeal))
    can.assign = bool(lifecycle.can_assign(user, appeal))
    can.unassign = bool(lifecycle.can_unassign(user, appeal))
    can.request_evidence = bool(lifecycle.can_request_evidence(user, appeal))
    can.note = bool(lifecycle.can_note(user, appeal))
    can.message = bool(lifecycle.can_message(user, appeal))
    can.upload = bool(lifecycle.can_upload(user, appeal))
    can.escalate = bool(lifecycle.can_escalate(user, appeal))
    can.decide = bool(lifecycle.can_decide(user, appeal))
    can.cancel = bool(lifecycle.can_cancel(user, appeal, four_eyes=four_eyes))
    if can.work and appeal.status == S.RESOLVED and effective is not None and review is None:
        # A party contests through the exchange's app (lifecycle.review_request); staff
        # do not contest in a party's name, so the page only says until when they may.
        closes = lifecycle.review_window_closes(effective)
        if timezone.now() > closes:
            can.contest_absent_why = _("The review window closed on %(date)s.") % {
                "date": local_time(closes, offset=False)
            }
        else:
            can.contest_absent_why = _(
                "A party may contest this verdict from the exchange's app until %(date)s."
            ) % {"date": local_time(closes, offset=False)}
    if appeal.status == S.PENDING_APPROVAL and pending is not None:
        approve = lifecycle.can_approve(user, pending, late_evidence=late_evidence)
        send_back = lifecycle.can_send_back(user, pending)
        can.approve, can.send_back = bool(approve), bool(send_back)
        if not send_back:
            can.approve_absent_why = send_back.reason
    if review is not None and review.state == VerdictReview.State.PENDING:
        can.review_assign = bool(lifecycle.can_assign_review(user, review))
        can.review_decide = bool(lifecycle.can_decide_review(user, review))
    if review is not None and review.state == VerdictReview.State.PROPOSED:
        reversal = lifecycle.can_approve_reversal(user, review)
        can.review_approve = bool(reversal)
        can.review_approve_absent_why = reversal.reason
    waited_on = sorted({r.party for r in requests or [] if r.waiting})
    if can.work and waited_on:
        can.record_answer = [
            party for party in waited_on if lifecycle.can_record_answer(user, appeal, party)
        ]
    return can


# --- the whole page -----------------------------------------------------------------------


def rules_for(appeal: Appeal) -> tuple[list[Rule], list[Rule]]:
    """Active rules: those usually deciding the appeal's reason first, then the rest."""
    usual, other = [], []
    for rule in Rule.objects.filter(active=True).order_by("code"):
        (usual if appeal.reason in (rule.reasons or []) else other).append(rule)
    return usual, other


def workers(*, escalations: bool = False) -> QuerySet:
    """Users who work appeals (for escalated cases: who take escalations), for the
    assign select."""
    perm = roles.HANDLE_ESCALATION if escalations else roles.WORK
    return roles.users_with(perm).order_by("username")


def case_page(appeal: Appeal, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything the case page shows, except the forms and the chat (the view's cached
    fragment: chat_version, chat_lines)."""
    changes = status_changes(appeal)
    note_list = notes(appeal)
    evidence = evidence_items(appeal)
    verdict_list = verdicts(appeal)
    review = case_review(appeal)
    party_facts = parties(appeal)
    actions = [a for p in party_facts for a in p.actions]
    pending = next((v for v in verdict_list if v.state == Verdict.State.PENDING), None)
    effective = next((v for v in verdict_list if v.state == Verdict.State.EFFECTIVE), None)
    trail = audit_trail(appeal)
    four_eyes = lifecycle.four_eyes_required(appeal)
    late_evidence = pending is not None and lifecycle.evidence_after(
        pending, uploaded=[e.evidence.uploaded_at for e in evidence]
    )
    now = timezone.now()
    clocks = sla_panel(appeal, now)
    return {
        "appeal": appeal,
        "sla": clocks,
        "order": appeal.order,
        "now": now,
        "overdue": appeal.is_overdue(now),
        "first_response_overdue": appeal.first_response_at is None
        and not appeal.is_closed
        and appeal.first_response_due_at < now,
        "evidence_overdue": appeal.status == S.AWAITING_EVIDENCE
        and bool(appeal.evidence_due_at and appeal.evidence_due_at < now),
        "four_eyes": four_eyes,
        "parties": party_facts,
        "cluster": linked_cluster(appeal),
        "sightings": account_sightings(appeal),
        "evidence": evidence,
        "evidence_by_party": evidence_by_party(evidence),
        "evidence_viewer": evidence_viewer_data(appeal, evidence),
        "notes": note_list,
        "verdicts": verdict_list,
        "pending_verdict": pending,
        "effective_verdict": effective,
        "evidence_after_proposal": late_evidence,
        "review": review,
        "timeline": timeline(
            appeal,
            changes=changes,
            notes=note_list,
            evidence=evidence,
            verdicts=verdict_list,
            review=review,
            actions=actions,
        ),
        "audit": trail,
        "seen": appeal.updated_at.isoformat(),
        "seen_seq": trail[-1].entry.seq if trail else 0,
        "can": abilities(
            appeal,
            user,
            pending=pending,
            effective=effective,
            review=review,
            four_eyes=four_eyes,
            late_evidence=late_evidence,
            requests=clocks.requests,
        ),
    }


def reviews_for(user: AbstractBaseUser) -> dict[str, list[VerdictReview]]:
    base = VerdictReview.objects.select_related(
        "appeal__order", "verdict__rule", "reviewer"
    ).order_by("requested_at", "id")
    approvals: list[VerdictReview] = []
    if roles.has(user, roles.APPROVE):
        approvals = list(
            base.filter(state=VerdictReview.State.PROPOSED).exclude(reviewer=user)[:100]
        )
    waiting = [VerdictReview.State.PENDING, VerdictReview.State.PROPOSED]
    return {
        # Reversals above four-eyes that this user may approve (not their own).
        "approvals": approvals,
        # Still open: awaiting the reviewer, or a proposed reversal awaiting approval.
        "mine": list(base.filter(reviewer=user, state__in=waiting)),
        "unassigned": list(base.filter(reviewer__isnull=True, state=VerdictReview.State.PENDING)),
        "others": list(
            base.filter(state__in=waiting)
            .exclude(reviewer__isnull=True)
            .exclude(reviewer=user)[:100]
        ),
        "decided": list(
            base.filter(
                state__in=[VerdictReview.State.UPHELD, VerdictReview.State.REVERSED]
            ).order_by("-decided_at", "-id")[:25]
        ),
    }
