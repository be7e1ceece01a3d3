"""The desk's domain: traders, orders, chat, appeals, verdicts and their paper trail.

Models hold fields, choices, constraints and pure computed properties. Every write goes
through cases.services (and the lifecycle module for an appeal's status).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 28, "decimal_places": 8}
FIAT = {"max_digits": 20, "decimal_places": 2}

# Caps on free text, shared by the forms and the API serializers: a rationale is read by
# people and copied into every list page that shows the verdict.
TEXT_MAX = 10_000  # descriptions, rationales, notes
SHORT_TEXT_MAX = 4_000  # reasons, comments, messages to parties, evidence requests
CHAT_TEXT_MAX = 10_000


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_REVIEW = "in_review", _("In review")
    AWAITING_EVIDENCE = "awaiting_evidence", _("Awaiting evidence")
    ESCALATED = "escalated", _("Escalated")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


# An appeal is closed once resolved or cancelled; every other status is active: someone
# still has to act on it (the queue's default). Appeal.CLOSED_STATUSES and
# Appeal.ACTIVE_STATUSES are these; ACTIVE is the partial indexes' condition.
CLOSED_STATUSES = (AppealStatus.RESOLVED, AppealStatus.CANCELLED)
ACTIVE_STATUSES = tuple(s for s in AppealStatus if s not in CLOSED_STATUSES)
ACTIVE = Q(status__in=list(ACTIVE_STATUSES))


def sla_breached(prefix: str = "") -> Q:
    """An appeal answered or closed after its deadline: the resolution deadline, or the
    first response. `prefix` is the path to the appeal ("appeal__" from a verdict)."""
    return Q(**{f"{prefix}resolved_at__gt": models.F(f"{prefix}resolution_due_at")}) | Q(
        **{f"{prefix}first_response_at__gt": models.F(f"{prefix}first_response_due_at")}
    )


def open_at(moment: datetime, prefix: str = "") -> Q:
    """Open at that moment: opened before it, and not yet resolved or cancelled by then
    (the backlog at a day's end)."""
    return Q(**{f"{prefix}created_at__lt": moment}) & (
        Q(**{f"{prefix}resolved_at__isnull": True}) | Q(**{f"{prefix}resolved_at__gte": moment})
    )


def appellant_won(*, appeal: str = "", verdict: str = "") -> Q:
    """The verdict favours the party who opened the appeal: the buyer gets the crypto, or
    the seller gets it back. `appeal` and `verdict` are the paths to each from the
    queried model ("appeal__" and "" from a verdict; "" and "verdicts__" from an appeal)."""
    won = Verdict.Outcome
    return Q(**{f"{appeal}opened_by": Party.BUYER, f"{verdict}outcome": won.RELEASE_TO_BUYER}) | Q(
        **{f"{appeal}opened_by": Party.SELLER, f"{verdict}outcome": won.RETURN_TO_SELLER}
    )


class Party(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")


class Trader(models.Model):
    """A user of the exchange, as the P2P service knows them."""

    external_id = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128)
    kyc_name = models.CharField(max_length=256, blank=True)
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=16, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    # A summary of the active AccountRestriction rows, rewritten only by cases.lifecycle
    # (accounts.py) under this row's lock: frozen when every function is off with no end;
    # the latest end of an active P2P restriction that has one.
    p2p_restricted_until = models.DateTimeField(null=True, blank=True)
    frozen = models.BooleanField(default=False)
    # The linked-account cluster: the id of its representative trader (whose own
    # cluster_id is its id), null while the trader shares nothing with anyone. Kept by
    # cases.clusters on ingest and rebuilt by evidence.graph.recluster; not a foreign key
    # so the nightly rebuild is one set-based UPDATE with no constraint checks.
    cluster_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]
        # Merging relabels the smaller cluster; the case page lists a party's cluster.
        indexes = [models.Index(fields=["cluster_id"], name="trader_cluster")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.external_id})"

    def is_restricted(self, at: datetime | None = None) -> bool:
        """Whether any of the account's functions is switched off at `at`: an active
        AccountRestriction (a verdict's P2P restriction or freeze is one too)."""
        return self.restrictions.filter(AccountRestriction.active_q(at)).exists()


class AccountSignal(models.Model):
    """A device, IP, e-mail or payment account seen on a trader; shared values link accounts."""

    class Kind(models.TextChoices):
        IP = "ip", _("IP address")
        DEVICE = "device", _("Device")
        EMAIL = "email", _("E-mail")
        PAYMENT_ACCOUNT = "payment_account", _("Payment account")

    trader = models.ForeignKey(Trader, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=256)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # The service account that first reported it: only services write the exchange's facts.
    source = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trader", "kind", "value"], name="signal_unique"),
        ]
        # Linking accounts looks up every trader with the same (kind, value).
        indexes = [models.Index(fields=["kind", "value"], name="signal_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


# ISO 3166-1 alpha-2 codes, from libphonenumber's regions (phonenumbers is already a
# dependency; it lacks only uninhabited territories such as AQ and BV, where nobody logs
# in, and adds XK, Kosovo's code in common use).
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS)


class SignalEvent(models.Model):
    """One sighting of a signal, as reported: the timeline of a trader's logins, devices,
    IPs and countries. Append-only; AccountSignal is its aggregate per (kind, value),
    whose first_seen_at says when a device was new."""

    class Event(models.TextChoices):
        LOGIN = "login", _("Login")
        TRADE = "trade", _("Trade")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        PASSWORD_CHANGE = "password_change", _("Password change")
        TWO_FACTOR_CHANGE = "2fa_change", _("2FA change")

    trader = models.ForeignKey(Trader, on_delete=models.CASCADE, related_name="signal_events")
    kind = models.CharField(max_length=16, choices=AccountSignal.Kind.choices)
    value = models.CharField(max_length=256)
    # ISO 3166-1 alpha-2 (of the IP, as the exchange located it), "" if not reported.
    country = models.CharField(max_length=2, blank=True)
    event = models.CharField(max_length=16, choices=Event.choices, blank=True)
    seen_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A re-sent batch stores no sighting twice.
            models.UniqueConstraint(
                fields=["trader", "kind", "value", "seen_at", "event", "country"],
                name="signal_event_unique",
            ),
        ]
        # The case page's timeline: one trader's sightings in a window.
        indexes = [models.Index(fields=["trader", "seen_at"], name="signal_event_trader_at")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value} at {self.seen_at:%Y-%m-%d %H:%M}"


class Order(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PAID = "paid", _("Paid")
        RELEASED = "released", _("Released")
        CANCELLED = "cancelled", _("Cancelled")
        APPEALED = "appealed", _("Appealed")

    external_id = models.CharField(max_length=64, unique=True)
    buyer = models.ForeignKey(Trader, on_delete=models.PROTECT, related_name="buy_orders")
    seller = models.ForeignKey(Trader, on_delete=models.PROTECT, related_name="sell_orders")
    asset = models.CharField(max_length=16)
    crypto_amount = models.DecimalField(**AMOUNT)
    fiat_currency = models.CharField(max_length=8)
    fiat_amount = models.DecimalField(**FIAT)
    price = models.DecimalField(**AMOUNT)
    payment_method = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(crypto_amount__gt=0), name="order_crypto_positive"),
            models.CheckConstraint(condition=Q(fiat_amount__gt=0), name="order_fiat_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
            models.CheckConstraint(
                condition=~Q(buyer=models.F("seller")), name="order_parties_differ"
            ),
        ]
        indexes = [models.Index(fields=["payment_method"], name="order_payment_method")]

    def __str__(self) -> str:
        return self.external_id

    def party(self, side: str) -> Trader:
        return self.buyer if side == Party.BUYER else self.seller


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")
        SYSTEM = "system", _("System")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    external_id = models.CharField(max_length=64, unique=True)
    sender = models.CharField(max_length=8, choices=Sender.choices)
    sent_at = models.DateTimeField()
    text = models.TextField()
    # The service account that delivered the message. A party's words reach the desk only
    # through the exchange's chat service; staff speak to parties as DeskMessages.
    source = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "id"]
        # The case page reads one order's chat in time order.
        indexes = [models.Index(fields=["order", "sent_at"], name="chat_order_time")]

    def __str__(self) -> str:
        return f"{self.sender}@{self.sent_at:%Y-%m-%d %H:%M}"


class Rule(models.Model):
    """A rule of the platform's rulebook; verdicts cite one."""

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    # The appeal reasons the rule usually decides; the verdict form offers these first.
    reasons = models.JSONField(default=list, blank=True)
    # What the rule's text allows a verdict citing it to decide: the outcomes and the
    # responsible parties (Verdict.Outcome / Verdict.ResponsibleParty values; empty: any).
    # The parties are sent the rule's text as the reason for the verdict, so a verdict
    # the text contradicts ("the crypto returns to the seller" on a release) is refused.
    outcomes = models.JSONField(default=list, blank=True)
    responsible = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def verdict_conflict(self, outcome: str, responsible_party: str) -> tuple[str, str] | None:
        """(field, message) when a verdict with this outcome and responsible party would
        contradict the rule's text, else None. The one home of that check: the lifecycle
        refuses such a verdict, the verdict form says so before it is confirmed."""
        if self.outcomes and outcome not in self.outcomes:
            allowed = " / ".join(str(Verdict.Outcome(o).label).lower() for o in self.outcomes)
            return "outcome", gettext(
                "Rule %(code)s decides %(allowed)s, not %(outcome)s: cite the rule that fits "
                "the outcome (its text is sent to both parties)."
            ) % {
                "code": self.code,
                "allowed": allowed,
                "outcome": str(Verdict.Outcome(outcome).label).lower(),
            }
        if self.responsible and responsible_party not in self.responsible:
            allowed = " / ".join(
                str(Verdict.ResponsibleParty(p).label).lower() for p in self.responsible
            )
            return "responsible_party", gettext(
                "Under rule %(code)s the responsible party is %(allowed)s, not %(party)s."
            ) % {
                "code": self.code,
                "allowed": allowed,
                "party": str(Verdict.ResponsibleParty(responsible_party).label).lower(),
            }
        return None

    def citation(self) -> dict[str, str]:
        """The rule as a verdict records it: code, title and text as they read now, in
        English (the source language) whatever language the arbitrator works in; a
        party's explanation reads the rule in the party's language (cases.explanations)."""
        return {
            "rule_code": self.code,
            "rule_title": self.title_en or self.title,
            "rule_text": self.text_en or self.text,
        }


class Appeal(models.Model):
    class Reason(models.TextChoices):
        CRYPTO_NOT_RELEASED = "crypto_not_released", _("Crypto not released")
        PAYMENT_NOT_RECEIVED = "payment_not_received", _("Payment not received")
        WRONG_AMOUNT = "wrong_amount", _("Wrong amount")
        THIRD_PARTY_PAYMENT = "third_party_payment", _("Third-party payment")
        CHARGEBACK = "chargeback", _("Chargeback")
        FRAUD_SCAM = "fraud_scam", _("Fraud or scam")
        ACCOUNT_COMPROMISED = "account_compromised", _("Account compromised")
        OTHER = "other", _("Other")

    Status = AppealStatus

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In app")
        EMAIL = "email", _("E-mail")
        LIVE_CHAT = "live_chat", _("Live chat")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        NORMAL = 1, _("Normal")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    CLOSED_STATUSES = CLOSED_STATUSES
    ACTIVE_STATUSES = ACTIVE_STATUSES

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="appeals")
    opened_by = models.CharField(max_length=8, choices=Party.choices)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.IN_APP)
    # Only cases.lifecycle assigns status.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_appeals",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    evidence_due_at = models.DateTimeField(null=True, blank=True)
    evidence_requested_from = models.CharField(max_length=8, choices=Party.choices, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    # Filled by the risk engine (a later issue): 0-100 and the [{code, detail}] behind it.
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_signals = models.JSONField(default=list, blank=True)
    # Set, in the transaction of the change, whenever something the risk depends on
    # changed; cleared by the assessment that saw that change. The sweep recomputes what
    # stays set, so a broker outage delays a score but never loses it.
    risk_stale_at = models.DateTimeField(null=True, blank=True)
    # Copied from the order when the appeal opens, so the queue filters and sorts on one
    # table at a million rows instead of joining orders and traders for every page. The
    # amount and asset are also the facts four-eyes and verdict.issued use: the order's own
    # cannot change while the appeal is unresolved (cases.services.order_upsert).
    crypto_amount = models.DecimalField(**AMOUNT, db_default=0)
    asset = models.CharField(max_length=16, blank=True, db_default="")
    payment_method = models.CharField(max_length=64, blank=True, db_default="")
    buyer_language = models.CharField(max_length=16, blank=True, db_default="")
    seller_language = models.CharField(max_length=16, blank=True, db_default="")
    # The latest chat message from a party (not the system): "who is waiting for us".
    last_party_message_at = models.DateTimeField(null=True, blank=True)
    # The floor (cases.floor): when the current assignee got the case, and why the
    # automatic assignment left it unassigned ("nobody on shift speaks ru").
    assigned_at = models.DateTimeField(null=True, blank=True)
    assignment_note = models.CharField(max_length=300, blank=True, db_default="")
    # The SLA clocks (cases.sla): while the case waits on a party or an incident covers it,
    # clock_paused_at is when the pause began; resuming moves the due times later by the
    # paused time and adds it to paused_seconds.
    clock_paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, db_default=0)
    # A party missed an evidence deadline: the case came back to its arbitrator flagged.
    evidence_missed_at = models.DateTimeField(null=True, blank=True)
    # The latest escalation: by a rule of the matrix (its name), or by hand (blank).
    escalation_rule_name = models.CharField(max_length=100, blank=True, db_default="")
    escalation_target_role = models.CharField(max_length=32, blank=True, db_default="")

    class Meta:
        permissions = [
            ("work_appeal", "Can work appeals: claim, request evidence, note, propose verdicts"),
            ("assign_appeal", "Can assign and reassign appeals"),
            ("handle_escalation", "Can take escalated appeals"),
            ("approve_verdict", "Can approve or send back verdicts (four-eyes)"),
            ("view_metrics", "Can see KPI dashboards"),
            ("manage_floor", "Can manage staff, rotas, SLA policies, escalations and incidents"),
        ]
        constraints = [
            # DOMAIN: one appeal per order at a time.
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status__in=list(CLOSED_STATUSES)),
                name="one_unresolved_appeal_per_order",
            ),
            models.CheckConstraint(
                condition=Q(risk_score__isnull=True) | Q(risk_score__lte=100),
                name="appeal_risk_score_range",
            ),
        ]
        # Each index serves a queue filter or sort; the queue pages by (sort key, id).
        indexes = [
            models.Index(fields=["status", "resolution_due_at", "id"], name="appeal_status_due"),
            models.Index(fields=["assignee", "status"], name="appeal_assignee_status"),
            models.Index(fields=["reason", "status"], name="appeal_reason_status"),
            models.Index(fields=["created_at", "id"], name="appeal_created"),
            # With the status: the queue counts today's closings from the index alone.
            models.Index(fields=["resolved_at", "status"], name="appeal_resolved_status"),
            models.Index(fields=["opened_by", "status"], name="appeal_opened_by_status"),
            models.Index(fields=["status", "created_at", "id"], name="appeal_status_created"),
            models.Index(fields=["status", "crypto_amount", "id"], name="appeal_status_amount"),
            models.Index(
                fields=["status", "last_party_message_at", "id"], name="appeal_status_last_msg"
            ),
            models.Index(fields=["payment_method", "status"], name="appeal_method_status"),
            # The default queue shows every active status at once; (status, key, id) cannot
            # return five statuses in key order, so each sort has a partial index over the
            # active appeals (a tenth of the table). Measured on 1,000,000 appeals: first
            # and deep pages 0.5 ms instead of 280 ms. See tests/benchmarks/queue_plans.py.
            models.Index(
                fields=["resolution_due_at", "id"], condition=ACTIVE, name="appeal_active_due"
            ),
            # The queue's two most used filters, in its default order: a reason or a payment
            # method alone is a tenth of the active appeals or less, which the index above
            # scans row by row (2,700 rows, 6 ms, for fraud and Alipay at 1,000,000).
            models.Index(
                fields=["reason", "resolution_due_at", "id"],
                condition=ACTIVE,
                name="appeal_active_reason_due",
            ),
            models.Index(
                fields=["payment_method", "resolution_due_at", "id"],
                condition=ACTIVE,
                name="appeal_active_method_due",
            ),
            models.Index(
                fields=["crypto_amount", "id"], condition=ACTIVE, name="appeal_active_amount"
            ),
            models.Index(
                fields=["last_party_message_at", "id"],
                condition=ACTIVE,
                name="appeal_active_last_msg",
            ),
            # A queue filtered to every status (or to closed and open ones together) sorts
            # the whole table: 2.5 s by seq scan, 0.5 ms with these.
            models.Index(fields=["resolution_due_at", "id"], name="appeal_due"),
            # The derived-data sweep reads the few appeals whose risk is out of date.
            models.Index(
                fields=["risk_stale_at"],
                condition=Q(risk_stale_at__isnull=False),
                name="appeal_risk_stale",
            ),
            models.Index(fields=["crypto_amount", "id"], name="appeal_amount"),
            models.Index(fields=["last_party_message_at", "id"], name="appeal_last_msg"),
            # The escalation matrix's conditions on risk and on missed deadlines read a few
            # active appeals out of a million (tests/benchmarks/bench_floor.py).
            models.Index(fields=["risk_score", "id"], condition=ACTIVE, name="appeal_active_risk"),
            models.Index(
                fields=["evidence_missed_at"],
                condition=Q(evidence_missed_at__isnull=False),
                name="appeal_evidence_missed",
            ),
            # The assignment tick takes the most urgent unassigned open appeals first.
            models.Index(
                models.F("priority").desc(),
                "resolution_due_at",
                "id",
                condition=Q(status="open", assignee__isnull=True),
                name="appeal_unassigned",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal #{self.pk} on {self.order_id}"

    def get_absolute_url(self) -> str:
        return reverse("cases:case", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def appellant(self) -> Trader:
        return self.order.party(self.opened_by)

    def clock_at(self, at: datetime | None = None) -> datetime:
        """The moment the resolution clock reads: now, or when it was paused."""
        return self.clock_paused_at or at or timezone.now()

    def is_overdue(self, at: datetime | None = None) -> bool:
        """Still open past its resolution deadline (the queue's "overdue"). A paused clock
        stopped where it was: a case waiting on a party is overdue only if it already was."""
        return not self.is_closed and self.resolution_due_at < self.clock_at(at)

    @staticmethod
    def overdue_q(at: datetime) -> Q:
        """is_overdue, as a filter."""
        return (
            Q(resolution_due_at__lt=at)
            & ~Q(status__in=CLOSED_STATUSES)
            & (
                Q(clock_paused_at__isnull=True)
                | Q(clock_paused_at__gt=models.F("resolution_due_at"))
            )
        )

    def first_response_missed(self, at: datetime | None = None) -> bool:
        """Still open, the desk has not answered yet, and its first-response deadline has
        passed (a paused clock stood still where it was)."""
        return (
            not self.is_closed
            and self.first_response_at is None
            and self.first_response_due_at < self.clock_at(at)
        )

    @staticmethod
    def first_response_missed_q(at: datetime) -> Q:
        """first_response_missed, as a filter."""
        return (
            Q(first_response_at__isnull=True)
            & ~Q(status__in=CLOSED_STATUSES)
            & (
                Q(first_response_due_at__lt=at, clock_paused_at__isnull=True)
                | Q(clock_paused_at__gt=models.F("first_response_due_at"))
            )
        )

    def is_late(self, at: datetime | None = None) -> bool:
        """Past a deadline the desk owes: the resolution, or a first response not given
        (the queue's "overdue", the floor's overdue count)."""
        return self.is_overdue(at) or self.first_response_missed(at)

    @staticmethod
    def late_q(at: datetime) -> Q:
        """is_late, as a filter."""
        return Appeal.overdue_q(at) | Appeal.first_response_missed_q(at)

    @property
    def paused(self) -> bool:
        return self.clock_paused_at is not None

    def paused_seconds_at(self, at: datetime | None = None) -> int:
        """Seconds the clocks have been paused so far, the running pause included."""
        running = 0
        if self.clock_paused_at is not None:
            running = max(0, int(((at or timezone.now()) - self.clock_paused_at).total_seconds()))
        return self.paused_seconds + running


class AppealStatusCount(models.Model):
    """How many appeals are in each status, as deltas: the database's triggers on
    cases_appeal (migration 0021) add a row per status an INSERT, UPDATE or DELETE changed,
    whoever writes (the lifecycle, a bulk load, psql), so the queue's counts cost what this
    small table holds, not a scan of the active appeals. `compact()` (the floor tick, every
    minute) folds the rows into one per status; nothing else writes here."""

    status = models.CharField(max_length=32)
    n = models.BigIntegerField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.status} {self.n:+d}"

    @classmethod
    def compact(cls) -> None:
        """Fold the delta rows into one row per status (dropping zeros)."""
        table = cls._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement: what it deletes is exactly what it sums, even while
                # other transactions add rows.
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {table} RETURNING status, n) "
                    f"INSERT INTO {table} (status, n) SELECT status, SUM(n) FROM gone "
                    "GROUP BY status HAVING SUM(n) <> 0"
                )
            else:
                # SQLite: the transaction holds the database's write lock from BEGIN.
                totals = list(
                    cls.objects.values_list("status").annotate(total=models.Sum("n")).order_by()
                )
                cls.objects.all().delete()
                cls.objects.bulk_create(
                    cls(status=status, n=total) for status, total in totals if total
                )


class AppealStatusChange(models.Model):
    """Every status change of an appeal, as a row: the timeline and SLA metrics read these."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["appeal", "created_at"], name="status_change_appeal")]

    def __str__(self) -> str:
        return f"#{self.appeal_id}: {self.from_status or '-'} -> {self.to_status}"


class Note(models.Model):
    """An internal note. Never shown to parties; never edited (a correction is a new note)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on #{self.appeal_id} by {self.author_id}"


class Verdict(models.Model):
    class Outcome(models.TextChoices):
        RELEASE_TO_BUYER = "release_to_buyer", _("Release to buyer")
        RETURN_TO_SELLER = "return_to_seller", _("Return to seller")
        NO_ACTION = "no_action", _("Close with no fund movement")

    class ResponsibleParty(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")
        BOTH = "both", _("Both")
        NONE = "none", _("None")

    class State(models.TextChoices):
        # pending: proposed, waiting for a four-eyes approval; effective: funds move.
        PENDING = "pending", _("Pending approval")
        EFFECTIVE = "effective", _("Effective")
        SENT_BACK = "sent_back", _("Sent back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    LIVE_STATES = (State.PENDING, State.EFFECTIVE)

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="verdicts")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    responsible_party = models.CharField(max_length=8, choices=ResponsibleParty.choices)
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="verdicts")
    # The rule as it read when the verdict was proposed. The rulebook is edited later; the
    # reasons a verdict gave are not (DOMAIN: history does not move).
    rule_code = models.CharField(max_length=32, blank=True)
    rule_title = models.CharField(max_length=200, blank=True)
    rule_text = models.TextField(blank=True)
    rationale = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices)
    requires_approval = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts_decided"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verdicts_approved",
    )
    review_comment = models.TextField(blank=True)
    # The account action the proposer asked for on the responsible party; applied when
    # the verdict takes effect. {"kind": ..., "days": ...} or {}.
    proposed_action = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # An appeal has at most one live verdict: funds can only move once.
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(state__in=["pending", "effective"]),
                name="one_live_verdict_per_appeal",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("decided_by")),
                name="verdict_four_eyes_distinct",
            ),
            models.CheckConstraint(
                condition=~Q(state="effective") | Q(effective_at__isnull=False),
                name="verdict_effective_has_time",
            ),
        ]
        indexes = [models.Index(fields=["effective_at"], name="verdict_effective_at")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on appeal #{self.appeal_id} ({self.state})"

    @property
    def appellant_won(self) -> bool:
        """The verdict favours the party who opened the appeal (models.appellant_won)."""
        return (self.appeal.opened_by, self.outcome) in (
            (Party.BUYER, self.Outcome.RELEASE_TO_BUYER),
            (Party.SELLER, self.Outcome.RETURN_TO_SELLER),
        )

    def cited_rule(self, language: str) -> tuple[str, str]:
        """The cited rule's title and text in `language` (a desk key: "en", "zh-hans",
        "ru"): the rulebook's translation while the rule still reads, in English, as the
        verdict cited it; otherwise, and in English, the snapshot as recorded."""
        rule = self.rule if self.rule_id else None
        if language == "en" or rule is None or rule.title_en != self.rule_title:
            return self.rule_title, self.rule_text
        suffix = language.replace("-", "_")
        title = getattr(rule, f"title_{suffix}", None)
        text = getattr(rule, f"text_{suffix}", None) if rule.text_en == self.rule_text else None
        return title or self.rule_title, text or self.rule_text

    @property
    def rule_title_display(self) -> str:
        """The cited rule's title in the viewer's language (cited_rule)."""
        return self.cited_rule(get_language() or "en")[0]

    @classmethod
    def responsible_sides(cls, responsible_party: str) -> list[str]:
        """The parties a verdict holds responsible: "both" is the buyer and the seller."""
        if responsible_party == cls.ResponsibleParty.BOTH:
            return [Party.BUYER, Party.SELLER]
        if responsible_party in (cls.ResponsibleParty.BUYER, cls.ResponsibleParty.SELLER):
            return [responsible_party]
        return []

    @classmethod
    def went_against(cls, side: str, *, outcome: str, responsible_party: str) -> bool:
        """A verdict went against the party on `side`: it named them responsible, or
        moved the funds to the other side (what linked_accounts counts as a lost case)."""
        lost = {
            Party.BUYER: cls.Outcome.RETURN_TO_SELLER,
            Party.SELLER: cls.Outcome.RELEASE_TO_BUYER,
        }
        return side in cls.responsible_sides(responsible_party) or outcome == lost.get(side)

    def responsible_traders(self) -> list[Trader]:
        order = self.appeal.order
        return [order.party(side) for side in self.responsible_sides(self.responsible_party)]


class AccountAction(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        P2P_RESTRICTION = "p2p_restriction", _("P2P restriction")
        FREEZE = "freeze", _("Freeze")

    trader = models.ForeignKey(Trader, on_delete=models.PROTECT, related_name="actions")
    verdict = models.ForeignKey(
        Verdict, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    days = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="p2p_restriction") | Q(days__isnull=False, days__gt=0),
                name="restriction_has_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.trader_id}"

    # The reason a verdict's account action is recorded with, in English as the record
    # keeps it; shown in the viewer's language. A reason staff typed shows as typed.
    VERDICT_REASON = gettext_noop("Verdict on appeal #%(appeal)s under rule %(rule)s")
    _VERDICT_REASON = re.compile(r"Verdict on appeal #(?P<appeal>\d+) under rule (?P<rule>\S+)")

    @classmethod
    def verdict_reason(cls, appeal_id: int, rule_code: str) -> str:
        return cls.VERDICT_REASON % {"appeal": appeal_id, "rule": rule_code}

    @property
    def reason_display(self) -> str:
        shipped = self._VERDICT_REASON.fullmatch(self.reason)
        return gettext(self.VERDICT_REASON) % shipped.groupdict() if shipped else self.reason


class AccountRestriction(models.Model):
    """Some of a trader's functions (withdrawals, P2P trading, login) switched off, from
    the moment it takes effect until `until` (or until lifted).

    The one record of what an account may not do: a senior's or lead's restriction, a
    risk analyst's proposal once a team lead approves it, and a verdict's P2P restriction
    or freeze (an AccountAction, linked by `action`) alike. `Trader.frozen` and
    `Trader.p2p_restricted_until` are a summary of the active rows, rewritten under the
    trader's lock by cases.lifecycle whenever one starts or is lifted.

    A proposal is a row in state `proposed` that nothing reads as in force; approving it
    moves it to `imposed` once (the row lock and the state check), rejecting it to
    `rejected` for good. The functions are three booleans, not a list, so the database
    itself refuses a restriction of nothing and every function is indexable.
    """

    class Function(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("Withdrawals")
        P2P = "p2p", _("P2P trading")
        LOGIN = "login", _("Login")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        IMPOSED = "imposed", _("Imposed")
        REJECTED = "rejected", _("Rejected")

    trader = models.ForeignKey(Trader, on_delete=models.PROTECT, related_name="restrictions")
    withdrawal = models.BooleanField(default=False)
    p2p = models.BooleanField(default=False)
    login = models.BooleanField(default=False)
    reason = models.TextField()
    until = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    # Whoever added it (in force at once) or proposed it (a lead decides).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    proposal = models.BooleanField(default=False)
    appeal = models.ForeignKey(
        "Appeal", on_delete=models.PROTECT, null=True, blank=True, related_name="restrictions"
    )
    # The verdict's account action this restriction carries out, if any.
    action = models.OneToOneField(
        "AccountAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="restriction",
    )
    # Who made it take effect (the adder, or the approving lead) or rejected it, and when.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("restrict_account", "Can restrict and lift a trader's account functions"),
            ("propose_restriction", "Can propose an account restriction"),
            ("decide_restriction", "Can approve or reject a proposed account restriction"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawal=True) | Q(p2p=True) | Q(login=True),
                name="restriction_has_functions",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="restriction_has_reason"),
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "imposed", "rejected"]),
                name="restriction_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=models.F("created_at")),
                name="restriction_ends_after_start",
            ),
            # Proposed: undecided. Imposed or rejected: someone decided, at some moment.
            models.CheckConstraint(
                condition=Q(state="proposed", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    Q(state__in=["imposed", "rejected"])
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
                name="restriction_decided",
            ),
            # Only a proposal waits or is rejected; a direct one is imposed by its author.
            models.CheckConstraint(
                condition=Q(proposal=True) | Q(state="imposed", decided_by=models.F("created_by")),
                name="restriction_direct_imposed",
            ),
            # Four-eyes: nobody approves their own proposal.
            models.CheckConstraint(
                condition=~Q(proposal=True, state="imposed")
                | ~Q(decided_by=models.F("created_by")),
                name="restriction_four_eyes",
            ),
            # Lifted: only what was in force, by someone, when, and why.
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | (
                    Q(state="imposed", lifted_at__isnull=False, lifted_by__isnull=False)
                    & ~Q(lift_reason="")
                ),
                name="restriction_lifted_complete",
            ),
        ]
        indexes = [
            # The trader page and the flag summary read a trader's rows newest first.
            models.Index(fields=["trader", "-created_at"], name="restriction_trader"),
            # The team leads' list of proposals waiting.
            models.Index(
                fields=["created_at"],
                condition=Q(state="proposed"),
                name="restriction_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{'+'.join(self.functions)} on {self.trader_id}"

    @property
    def functions(self) -> list[str]:
        """The functions switched off, in the contract's order."""
        return [f for f in self.Function.values if getattr(self, f)]

    @property
    def function_labels(self) -> list[str]:
        return [str(self.Function(f).label) for f in self.functions]

    @staticmethod
    def active_q(at: datetime | None = None, prefix: str = "") -> Q:
        """In force at `at`: imposed, not lifted, and with no end or an end after `at`."""
        at = at or timezone.now()
        return Q(**{f"{prefix}state": "imposed", f"{prefix}lifted_at__isnull": True}) & (
            Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": at})
        )

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.state == self.State.IMPOSED
            and self.lifted_at is None
            and (self.until is None or self.until > at)
        )

    @property
    def is_waiting(self) -> bool:
        return self.state == self.State.PROPOSED


class OutboxEvent(models.Model):
    """An event for webhook subscribers, written in the same transaction as its cause."""

    class Type(models.TextChoices):
        VERDICT_ISSUED = "verdict.issued", "verdict.issued"
        APPEAL_STATUS_CHANGED = "appeal.status_changed", "appeal.status_changed"
        ACCOUNT_ACTION_TAKEN = "account.action_taken", "account.action_taken"
        PARTY_MESSAGE = "party.message", "party.message"
        VERDICT_REVERSED = "verdict.reversed", "verdict.reversed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=32, choices=Type.choices)
    data = models.JSONField()
    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["type", "created_at"], name="outbox_type_created")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    def envelope(self) -> dict:
        return {
            "id": str(self.id),
            "type": self.type,
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }


class WebhookSubscriber(models.Model):
    # A signing secret shorter than this, or with fewer different characters (16 spaces,
    # "aaaa..."), is refused everywhere it can be set.
    SECRET_MIN_LENGTH = 16
    SECRET_MIN_DISTINCT = 8

    url = models.URLField(max_length=500)
    # Write-only: never shown after it is set; pages show `fingerprint` instead.
    secret = models.CharField(max_length=200)
    events = models.JSONField(default=list, help_text="Event types this subscriber receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["url"], name="subscriber_url_unique")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in self.events

    @property
    def fingerprint(self) -> str:
        """Identifies the secret without revealing it (see secret_fingerprint)."""
        return secret_fingerprint(self.secret)


def secret_fingerprint(secret: str) -> str:
    """Keyed (with the desk's SECRET_KEY), so the fingerprint an auditor reads in the
    audit log cannot be used to test guesses of a weak secret offline; it only tells
    whether two secrets are the same."""
    if not secret:
        return ""
    key = f"webhook-secret-fingerprint:{settings.SECRET_KEY}".encode()
    return "hmac:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:12]


class WebhookDelivery(models.Model):
    """One event for one subscriber: created with the event, retried until acknowledged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        WebhookSubscriber, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="delivery_unique"),
        ]
        # The sweep looks for deliveries due now.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.subscriber_id} ({self.status})"


class AuditEntry(models.Model):
    """Append-only, hash-chained record of every state change and staff action.

    Each entry's hash covers its own fields and the previous entry's hash, so changing or
    deleting any row breaks the chain from there on; `manage.py verify_audit` finds it.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["appeal", "seq"], name="audit_appeal")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"


class AuditHead(models.Model):
    """The chain's tip: one row, locked by every append so entries chain in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class StaffProfile(models.Model):
    """Per-user settings: the time zone times (and the weekly shifts) are in, the UI
    language, the languages the person works in and how many open cases they carry at
    most. A blank time zone is the operations time zone."""

    DEFAULT_MAX_OPEN = 10

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_profile"
    )
    time_zone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    languages = models.JSONField(default=list, blank=True)
    max_open_cases = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_OPEN, db_default=DEFAULT_MAX_OPEN
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_open_cases__lte=500), name="staff_max_open_cases_range"
            )
        ]

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class CannedReply(models.Model):
    """A message template for parties with {variables}, one row per key with its title and
    text per language (cases/translation.py); see cases.replies."""

    key = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=120)
    text = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.key


class PenaltyRule(models.Model):
    """The penalty matrix: for a reason code, the account action suggested for the party
    found responsible, on a first offence and on a repeat one."""

    reason = models.CharField(max_length=32, choices=Appeal.Reason.choices, unique=True)
    first_action = models.CharField(max_length=16, choices=AccountAction.Kind.choices, blank=True)
    first_days = models.PositiveIntegerField(null=True, blank=True)
    repeat_action = models.CharField(max_length=16, choices=AccountAction.Kind.choices, blank=True)
    repeat_days = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["reason"]

    def __str__(self) -> str:
        return f"penalties for {self.reason}"


class WatchKeyword(models.Model):
    """A word or pattern highlighted in chats: off-platform contact, pressure, fraud."""

    class Category(models.TextChoices):
        OFF_PLATFORM = "off_platform", _("Off-platform contact")
        PRESSURE = "pressure", _("Pressure")
        FRAUD = "fraud", _("Fraud")

    term = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=16, choices=Category.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    @classmethod
    def pattern(cls, category: str | None = None) -> re.Pattern[str] | None:
        """One case-insensitive regex of the active terms (of one category, if given),
        longest first so that a longer term wins where two start at one place."""
        terms = cls.objects.filter(active=True)
        if category is not None:
            terms = terms.filter(category=category)
        ordered = sorted(terms.values_list("term", flat=True), key=len, reverse=True)
        if not ordered:
            return None
        return re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)


class VerdictReview(models.Model):
    """Second-level review: a party contests an effective verdict once. Funds already
    moved are not moved again; a reversal records the corrected outcome and the exchange
    compensates on the verdict.reversed event."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        # A reversal above the four-eyes threshold waits for a second senior or lead.
        PROPOSED = "proposed", _("Reversal proposed")
        UPHELD = "upheld", _("Upheld")
        REVERSED = "reversed", _("Reversed")

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="review")
    verdict = models.ForeignKey(Verdict, on_delete=models.PROTECT, related_name="reviews")
    requested_by = models.CharField(max_length=8, choices=Party.choices)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verdict_reviews",
    )
    corrected_outcome = models.CharField(max_length=20, choices=Verdict.Outcome.choices, blank=True)
    corrected_responsible_party = models.CharField(
        max_length=8, choices=Verdict.ResponsibleParty.choices, blank=True
    )
    rationale = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The second pair of eyes on a reversal above the four-eyes threshold.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_comment = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "reviewer"], name="review_state_reviewer")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="reversed") | ~Q(corrected_outcome=""),
                name="reversal_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(state="proposed") | ~Q(corrected_outcome=""),
                name="proposed_reversal_has_outcome",
            ),
            # Four-eyes: whoever proposed the reversal never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("reviewer")),
                name="reversal_four_eyes_distinct",
            ),
        ]

    def __str__(self) -> str:
        return f"review of #{self.appeal_id} ({self.state})"


class DeskMessage(models.Model):
    """A message the desk sent a party through the exchange's app (the party.message
    event): evidence requests, notices, reminders and verdict explanations. Shown in the
    case's chat as the desk's, never as the party's; never edited."""

    class Kind(models.TextChoices):
        EVIDENCE_REQUEST = "evidence_request", _("Evidence request")
        NOTICE = "notice", _("Notice")
        REMINDER = "reminder", _("Deadline reminder")
        VERDICT = "verdict", _("Verdict explanation")

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="desk_messages")
    party = models.CharField(max_length=8, choices=Party.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=16)
    text = models.TextField()
    due_at = models.DateTimeField(null=True, blank=True)
    # None: the desk itself (a deadline reminder from the floor tick).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    sent_at = models.DateTimeField(default=timezone.now)
    event = models.OneToOneField(
        OutboxEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["appeal", "sent_at"], name="desk_message_appeal")]

    def __str__(self) -> str:
        return f"desk -> {self.party} on #{self.appeal_id}"


# --- the floor: rotas, SLA policies, evidence requests, escalations, incidents -------------


class Shift(models.Model):
    """One weekly shift in its owner's time zone. An end at or before the start runs past
    midnight into the next day (22:00-06:00)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday.")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["user", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="shift_weekday_range"),
            models.UniqueConstraint(fields=["user", "weekday", "start"], name="shift_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} day {self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


class Absence(models.Model):
    """A one-off absence (leave, sickness, training): off shift whatever the rota says."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} away {self.starts_at:%Y-%m-%d}"


class SlaPolicy(models.Model):
    """Deadlines per reason ("*": any) and priority (null: any); the most specific wins."""

    ANY_REASON = "*"

    reason = models.CharField(max_length=32)
    priority = models.PositiveSmallIntegerField(
        choices=Appeal.Priority.choices, null=True, blank=True
    )
    first_response_minutes = models.PositiveIntegerField()
    evidence_hours = models.PositiveIntegerField()
    resolution_hours = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        ordering = ["reason", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason"], condition=Q(priority__isnull=True), name="sla_policy_reason"
            ),
            models.UniqueConstraint(
                fields=["reason", "priority"],
                condition=Q(priority__isnull=False),
                name="sla_policy_reason_priority",
            ),
            models.CheckConstraint(
                condition=Q(
                    first_response_minutes__gt=0, evidence_hours__gt=0, resolution_hours__gt=0
                ),
                name="sla_policy_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA {self.reason}/{self.priority if self.priority is not None else '*'}"


class EvidenceRequest(models.Model):
    """What the desk asked one party for, by when, and when (and how) the party answered:
    the party's clock."""

    class Via(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence upload")
        CHAT = "chat", _("Chat message")
        STAFF = "staff", _("Recorded by staff")
        # The case was decided (or withdrawn) while the request still waited.
        CLOSED = "closed", _("Closed without an answer")
        # Asked again (a new deadline): the earlier request gives way to the new one.
        REPLACED = "replaced", _("Replaced by a later request")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="evidence_requests")
    party = models.CharField(max_length=8, choices=Party.choices)
    what = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_via = models.CharField(max_length=8, choices=Via.choices, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            # The tick's reminders and missed deadlines read only the waiting requests.
            models.Index(
                fields=["due_at"],
                condition=Q(answered_at__isnull=True, missed_at__isnull=True),
                name="evidence_request_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"evidence from {self.party} on #{self.appeal_id}"

    @property
    def waiting(self) -> bool:
        return self.answered_at is None and self.missed_at is None

    @property
    def breached(self) -> bool:
        if self.missed_at is not None:
            return True
        return bool(
            self.answered_at
            and self.answered_via not in (self.Via.CLOSED, self.Via.REPLACED)
            and self.answered_at > self.due_at
        )


class EscalationRule(models.Model):
    """One row of the escalation matrix: when every given condition holds, the floor tick
    sends the case to the target role (once per rule and appeal)."""

    class Target(models.TextChoices):
        SENIOR_ARBITRATOR = "senior_arbitrator", _("Senior arbitrator")
        TEAM_LEAD = "team_lead", _("Team lead")

    CONDITIONS = (
        "asset",
        "min_crypto_amount",
        "min_risk_score",
        "reasons",
        "sla_breached",
        "evidence_deadline_missed",
        "reopened",
    )

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    target_role = models.CharField(max_length=32, choices=Target.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AppealEscalation(models.Model):
    """Each time a case was escalated: by a rule (at most once per rule) or by hand."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="escalations")
    rule = models.ForeignKey(
        EscalationRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule_name = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    target_role = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "appeal"],
                condition=Q(rule__isnull=False),
                name="one_escalation_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.appeal_id} escalated ({self.rule_name or 'by hand'})"


class Incident(models.Model):
    """A platform or payment-rail outage: the clocks of the cases it covers stop for its
    duration. No payment method and no country: it covers everything."""

    title = models.CharField(max_length=200)
    payment_method = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the tick once every pause it caused is closed.
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="incident_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def active_at(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


class ClockPause(models.Model):
    """One stretch during which an appeal's clocks stood still: waiting on a party, or an
    incident. Overlapping pauses count once (see cases.sla)."""

    class Cause(models.TextChoices):
        EVIDENCE = "evidence", _("Waiting on a party")
        INCIDENT = "incident", _("Incident")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="clock_pauses")
    cause = models.CharField(max_length=10, choices=Cause.choices)
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="pauses"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "appeal"],
                condition=Q(incident__isnull=False),
                name="one_pause_per_incident",
            ),
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(cause="evidence", ended_at__isnull=True),
                name="one_open_evidence_pause",
            ),
        ]
        indexes = [
            models.Index(
                fields=["appeal"], condition=Q(ended_at__isnull=True), name="clock_pause_open"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.appeal_id} paused ({self.cause})"


class Notification(models.Model):
    """Something a staff member should see: in the header's count, the list and the API.
    The text is rendered for the reader (cases.notifications.render) from kind and data."""

    class Kind(models.TextChoices):
        ESCALATED_TO_YOU = "escalated_to_you", _("Escalated to you")
        APPROVAL_WAITING = "approval_waiting", _("Verdict waiting for your approval")
        ASSIGNED_TO_YOU = "assigned_to_you", _("Assigned to you")
        EVIDENCE_ARRIVED = "evidence_arrived", _("Evidence arrived")
        DEADLINE_SOON = "deadline_soon", _("Deadline within the hour")
        DEADLINE_MISSED = "deadline_missed", _("Evidence deadline missed")
        RESTRICTION_PROPOSED = "restriction_proposed", _("Restriction waiting for your approval")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    # What makes a notification the same one twice (a tick running again sends nothing).
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_once"
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
