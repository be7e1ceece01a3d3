"""Writes other than an appeal's status: the facts other services push in.

Orders, traders, chat and account signals are the exchange's facts; they are upserted
idempotently by their external ids, so a re-sent batch never stores anything twice. Only
the exchange's services write them (`require_service`): a staff member who could edit an
order could lower it below the four-eyes threshold, and one who could post chat could
speak as a party.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from arbitration.exceptions import Conflict, InvalidInput

from .audit import audit_record
from .clusters import clusters_link
from .derived import risk_reassess_on_commit
from .lifecycle.appeals import appeal_evidence_received
from .lifecycle.guards import require_service
from .models import (
    AccountSignal,
    Appeal,
    ChatMessage,
    EvidenceRequest,
    Order,
    OutboxEvent,
    Rule,
    SignalEvent,
    Trader,
    Verdict,
    WebhookSubscriber,
)
from .translation import localized

TRADER_FIELDS = ("display_name", "kyc_name", "country", "language")
# The facts a verdict depends on: frozen while an appeal on the order is unresolved (the
# status and the timestamps may still move).
FROZEN_ORDER_FIELDS = (
    "asset",
    "crypto_amount",
    "fiat_currency",
    "fiat_amount",
    "price",
    "payment_method",
)
ORDER_FIELDS = (*FROZEN_ORDER_FIELDS, "status", "created_at", "paid_at", "released_at")


def trader_upsert(
    *, external_id: str, actor: AbstractBaseUser | None = None, **fields: Any
) -> Trader:
    """Create or update a trader by external_id. A change (a new KYC name, say) is audited
    and re-scores the trader's live appeals: the payer-name check reads the KYC name."""
    values = {k: v for k, v in fields.items() if k in TRADER_FIELDS and v is not None}
    with transaction.atomic():
        trader, created = Trader.objects.get_or_create(external_id=external_id, defaults=values)
        changed = [k for k, v in values.items() if getattr(trader, k) != v]
        if not created and changed:
            before = {name: getattr(trader, name) for name in changed}
            for name in changed:
                setattr(trader, name, values[name])
            trader.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="trader.updated",
                obj=trader,
                before=before,
                after={name: values[name] for name in changed},
            )
            risk_reassess_on_commit(
                list(
                    Appeal.objects.filter(Q(order__buyer=trader) | Q(order__seller=trader))
                    .exclude(status__in=Appeal.CLOSED_STATUSES)
                    .values_list("id", flat=True)[:100]
                )
            )
    return trader


def order_upsert(
    *,
    external_id: str,
    buyer: dict[str, Any],
    seller: dict[str, Any],
    actor: AbstractBaseUser | None,
    **fields: Any,
) -> tuple[Order, bool]:
    """Create or update an order by external_id; returns (order, created).

    While an appeal on the order is unresolved, a change to its parties or frozen facts
    is refused with a 409 and nothing (traders included) is written."""
    require_service(actor, _("write orders"))
    if buyer.get("external_id") == seller.get("external_id"):
        raise InvalidInput(_("Buyer and seller must be different traders."), field="seller")
    with transaction.atomic():
        # The order's row first, then the traders (whose changes are audited): the same
        # lock order as appeal_open (order, then the audit head), so the two never
        # deadlock.
        order = Order.objects.select_for_update().filter(external_id=external_id).first()
        buyer_obj = trader_upsert(**buyer, actor=actor)
        seller_obj = trader_upsert(**seller, actor=actor)
        # As the model holds them ("750" -> Decimal("750"), an ISO string -> datetime):
        # what is compared with the stored order and handed back is typed.
        values = {
            k: Order._meta.get_field(k).to_python(fields[k]) for k in ORDER_FIELDS if k in fields
        }
        if order is None:
            try:
                with transaction.atomic():
                    order = Order.objects.create(
                        external_id=external_id, buyer=buyer_obj, seller=seller_obj, **values
                    )
            except IntegrityError:
                # A concurrent request created it first: update that one instead.
                order = Order.objects.select_for_update().filter(external_id=external_id).first()
                if order is None:
                    raise
            else:
                audit_record(
                    actor=actor,
                    action="order.created",
                    obj=order,
                    after={"external_id": external_id, **values},
                )
                return order, True
        if (order.buyer_id, order.seller_id) != (buyer_obj.pk, seller_obj.pk):
            raise Conflict(_("An order's buyer and seller cannot change."), field="buyer")
        frozen = [k for k in FROZEN_ORDER_FIELDS if k in values and getattr(order, k) != values[k]]
        # Under the order's row lock, which appeal_open takes too: no appeal opens between
        # this check and the write.
        if frozen and order.appeals.exclude(status__in=Appeal.CLOSED_STATUSES).exists():
            message = _(
                "The order has an unresolved appeal: its amounts, asset, price and payment "
                "method cannot change until the appeal is resolved."
            )
            raise Conflict(message, errors={name: [message] for name in frozen})
        before = {k: getattr(order, k) for k in values}
        changed = [k for k, v in values.items() if before[k] != v]
        if changed:
            for name in changed:
                setattr(order, name, values[name])
            order.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="order.updated",
                obj=order,
                before={k: before[k] for k in changed},
                after={k: values[k] for k in changed},
            )
        return order, False


def chat_ingest(
    *,
    order: Order,
    messages: Iterable[dict[str, Any]],
    actor: AbstractBaseUser | None = None,
) -> tuple[int, int]:
    """Store new messages of an order's chat; returns (created, duplicates).

    Idempotent per order by message external_id: a message this order already holds is a
    duplicate, stored once however often or concurrently it is sent. An id that another
    order holds is refused, item by item, and the batch stores nothing (never a silent
    drop). Each message records the service account that delivered it.
    """
    require_service(actor, _("post chat messages"))
    messages = list(messages)
    # A batch that repeats an id keeps the first copy, and the batch keeps its order: ids
    # are the tie-break of messages sent in the same instant.
    first: dict[str, dict[str, Any]] = {}
    position: dict[str, int] = {}
    for index, m in enumerate(messages):
        first.setdefault(m["external_id"], m)
        position.setdefault(m["external_id"], index)
    batch = list(first.values())
    ids = [m["external_id"] for m in batch]
    with transaction.atomic():
        # Concurrent batches for one order queue on the order's row, so each sees what the
        # one before it stored and `created` counts every message once.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        holders = dict(
            ChatMessage.objects.filter(external_id__in=ids).values_list("external_id", "order_id")
        )
        _refuse_foreign_ids([i for i in ids if holders.get(i, order.pk) != order.pk], position)
        new = [
            ChatMessage(
                order=order,
                external_id=m["external_id"],
                sender=m["sender"],
                sent_at=m["sent_at"],
                text=m["text"],
                source=actor,
            )
            for m in batch
            if m["external_id"] not in holders
        ]
        ChatMessage.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        if new:
            # Another order's batch may have taken an id between our read and our insert
            # (it holds a different row lock); the unique index kept its copy, so ours was
            # dropped. Refuse rather than count it as stored.
            stored = set(
                ChatMessage.objects.filter(
                    order=order, external_id__in=[m.external_id for m in new]
                ).values_list("external_id", flat=True)
            )
            _refuse_foreign_ids(
                [m.external_id for m in new if m.external_id not in stored], position
            )
        party_times = [m.sent_at for m in new if m.sender != ChatMessage.Sender.SYSTEM]
        if party_times:
            # The queue sorts by the last party message; only the live appeal cares.
            latest = max(party_times)
            live = Appeal.objects.filter(order=order).exclude(status__in=Appeal.CLOSED_STATUSES)
            live.filter(
                Q(last_party_message_at__isnull=True) | Q(last_party_message_at__lt=latest)
            ).update(last_party_message_at=latest)
            live_ids = list(live.values_list("id", flat=True))
            # New words in the chat may be off-platform contact.
            risk_reassess_on_commit(live_ids)
            # A party that writes in the chat has answered the desk's request.
            for sender in sorted({m.sender for m in new if m.sender != ChatMessage.Sender.SYSTEM}):
                answered_at = max(m.sent_at for m in new if m.sender == sender)
                for appeal_id in live_ids:
                    appeal_evidence_received(
                        appeal_id=appeal_id,
                        actor=actor,
                        party=sender,
                        via=EvidenceRequest.Via.CHAT,
                        at=min(answered_at, timezone.now()),
                    )
    return len(new), len(messages) - len(new)


def _refuse_foreign_ids(clashes: list[str], position: dict[str, int]) -> None:
    if not clashes:
        return
    why = _("This message id belongs to another order's chat.")
    raise Conflict(
        _("%(n)d message id(s) already belong to another order; nothing was stored.")
        % {"n": len(clashes)},
        errors={f"[{position[i]}].external_id": [why] for i in sorted(clashes, key=position.get)},
    )


def signals_ingest(
    *,
    trader: Trader,
    signals: Iterable[dict[str, Any]],
    actor: AbstractBaseUser | None = None,
) -> tuple[int, int]:
    """Record devices, IPs, e-mails and payment accounts seen on a trader; idempotent.

    Returns (created, updated), counted on the aggregate (AccountSignal): a known (kind,
    value) only moves its seen-time window; a new one records the service account that
    reported it and may join the trader to other accounts' cluster (cases.clusters, in
    this transaction). Every sighting is also kept, with its optional country and event,
    in SignalEvent, the timeline; a re-sent sighting is not stored twice.
    """
    require_service(actor, _("report account signals"))
    signals = list(signals)
    created = updated = 0
    new: list[tuple[str, str]] = []
    with transaction.atomic():
        # A new device, IP or account may link this trader's live appeals to others.
        risk_reassess_on_commit(
            list(
                Appeal.objects.filter(Q(order__buyer=trader) | Q(order__seller=trader))
                .exclude(status__in=Appeal.CLOSED_STATUSES)
                .values_list("id", flat=True)[:100]
            )
        )
        for item in signals:
            seen_at: datetime = item["seen_at"]
            signal, was_created = AccountSignal.objects.get_or_create(
                trader=trader,
                kind=item["kind"],
                value=item["value"],
                defaults={"first_seen_at": seen_at, "last_seen_at": seen_at, "source": actor},
            )
            if was_created:
                created += 1
                new.append((signal.kind, signal.value))
                continue
            first, last = min(signal.first_seen_at, seen_at), max(signal.last_seen_at, seen_at)
            if (first, last) != (signal.first_seen_at, signal.last_seen_at):
                AccountSignal.objects.filter(pk=signal.pk).update(
                    first_seen_at=first, last_seen_at=last
                )
                updated += 1
        SignalEvent.objects.bulk_create(
            [
                SignalEvent(
                    trader=trader,
                    kind=item["kind"],
                    value=item["value"],
                    country=item.get("country", ""),
                    event=item.get("event", ""),
                    seen_at=item["seen_at"],
                )
                for item in signals
            ],
            ignore_conflicts=True,  # signal_event_unique: the sighting is already kept
        )
        relinked = clusters_link(trader_id=trader.pk, new=new)
        if relinked:
            # Another account's appeal may now be linked to this trader's verdicts. Read
            # from the (few) live appeals' side: a cluster can hold thousands of traders.
            risk_reassess_on_commit(
                list(
                    Appeal.objects.exclude(status__in=Appeal.CLOSED_STATUSES)
                    .filter(
                        Q(order__buyer__cluster_id__in=relinked)
                        | Q(order__seller__cluster_id__in=relinked)
                        | Q(order__buyer_id__in=relinked)
                        | Q(order__seller_id__in=relinked)
                    )
                    .values_list("id", flat=True)[:100]
                )
            )
    return created, updated


def service_account_issue_token(*, name: str) -> tuple[Token, bool]:
    """A service account is a user with no staff role and no password, known by its token.

    Issuing again rotates the key: the old one stops working at once.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .roles import SERVICE_GROUP

    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("A service name is 1-100 characters."), field="name")
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=f"svc-{name}", defaults={"first_name": name[:150], "is_staff": False}
        )
        if not created and not user.groups.filter(name=SERVICE_GROUP).exists():
            # A person's account under that name: never turn it into a service account.
            raise Conflict(
                _("%(user)s is a person's account, not a service account.")
                % {"user": user.get_username()},
                field="name",
            )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=SERVICE_GROUP))
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        audit_record(
            actor=None,
            action="service_token.issued",
            obj=user,
            after={"service": name, "rotated": not created},
        )
    return token, created


def webhook_subscriber_check(
    *, url: str | None = None, secret: str | None = None, events: list[str] | None = None
) -> dict[str, list[str]]:
    """What is wrong with these subscriber settings ({field: [why]}); None skips a field.
    One set of rules for the command, the admin and anything else that saves one."""
    from .webhooks import url_refusal

    problems: dict[str, list[str]] = {}
    if events is not None:
        unknown = sorted(set(events) - set(OutboxEvent.Type.values))
        if unknown:
            problems["events"] = [
                _("Unknown event types %(unknown)s; choose from %(choices)s.")
                % {"unknown": unknown, "choices": ", ".join(OutboxEvent.Type.values)}
            ]
        elif not events:
            problems["events"] = [_("Name at least one event type.")]
    # Only characters that show count: spaces and invisible ones (U+200B...) pad nothing.
    visible = [c for c in (secret or "") if unicodedata.category(c)[0] not in ("Z", "C")]
    if secret is not None and (
        len(visible) < WebhookSubscriber.SECRET_MIN_LENGTH
        or len(set(visible)) < WebhookSubscriber.SECRET_MIN_DISTINCT
    ):
        problems["secret"] = [
            _(
                "Use a random secret of at least %(n)d characters, with at least %(d)d "
                "different ones."
            )
            % {
                "n": WebhookSubscriber.SECRET_MIN_LENGTH,
                "d": WebhookSubscriber.SECRET_MIN_DISTINCT,
            }
        ]
    if url is not None:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            problems["url"] = [_("%(url)s is not an http(s) URL.") % {"url": repr(url)}]
        else:
            refused = url_refusal(url)
            if refused:
                problems["url"] = [
                    _("%(url)s is refused: it %(why)s.") % {"url": repr(url), "why": refused}
                ]
    return problems


def _raise_problems(problems: dict[str, list[str]]) -> None:
    if problems:
        field, reasons = next(iter(problems.items()))
        raise InvalidInput(reasons[0], field=field, errors=problems)


def _subscriber_audit(subscriber: WebhookSubscriber) -> dict[str, Any]:
    # Never the secret itself: the audit log is readable by leads and auditors.
    return {
        "url": subscriber.url,
        "events": subscriber.events,
        "active": subscriber.active,
        "secret": subscriber.fingerprint,
    }


def webhook_subscriber_add(
    *, url: str, secret: str, events: list[str], actor: AbstractBaseUser | None = None
) -> tuple[WebhookSubscriber, bool]:
    """Register a subscriber, or replace the settings of the one with this URL."""
    _raise_problems(webhook_subscriber_check(url=url, secret=secret, events=events))
    with transaction.atomic():
        existing = WebhookSubscriber.objects.select_for_update().filter(url=url).first()
        before = _subscriber_audit(existing) if existing else {}
        subscriber, created = WebhookSubscriber.objects.update_or_create(
            url=url, defaults={"secret": secret, "events": sorted(set(events)), "active": True}
        )
        _audit_subscriber_saved(subscriber, before=before, actor=actor)
    return subscriber, created


def _audit_subscriber_saved(
    subscriber: WebhookSubscriber, *, before: dict[str, Any], actor: AbstractBaseUser | None
) -> None:
    audit_record(
        actor=actor,
        action="webhook_subscriber.saved",
        obj=subscriber,
        before=before,
        after=_subscriber_audit(subscriber),
    )


def webhook_subscriber_save(
    *,
    subscriber: WebhookSubscriber,
    url: str,
    events: list[str],
    active: bool,
    secret: str | None,
    actor: AbstractBaseUser | None,
) -> WebhookSubscriber:
    """Create or edit a subscriber (the admin). `secret` None keeps the current one; a new
    subscriber must be given one. Audited with the secret's fingerprint, never its value."""
    if subscriber.pk is None and not secret:
        raise InvalidInput(_("A new subscriber needs a signing secret."), field="secret")
    _raise_problems(webhook_subscriber_check(url=url, secret=secret, events=events))
    with transaction.atomic():
        before = {}
        if subscriber.pk is not None:
            before = _subscriber_audit(
                WebhookSubscriber.objects.select_for_update().get(pk=subscriber.pk)
            )
        subscriber.url, subscriber.events, subscriber.active = url, sorted(set(events)), active
        if secret:
            subscriber.secret = secret
        subscriber.save()
        _audit_subscriber_saved(subscriber, before=before, actor=actor)
    return subscriber


def rule_save(*, rule: Rule, actor: AbstractBaseUser | None) -> Rule:
    """Create or edit a rule of the rulebook, audited with each changed field before and
    after. The code of a rule that verdicts cite never changes (retire it and add a new
    one); verdicts keep the title and text they cited (Verdict.rule_code, rule_title,
    rule_text), so editing those is safe."""
    # Each language's title and text: an edit of the Chinese text alone is a change.
    fields = ["code", *localized("title", "text"), "reasons", "outcomes", "responsible", "active"]
    with transaction.atomic():
        old = Rule.objects.select_for_update().filter(pk=rule.pk).first() if rule.pk else None
        if (
            old is not None
            and old.code != rule.code
            and Verdict.objects.filter(rule_id=old.pk).exists()
        ):
            raise Conflict(
                _(
                    "Rule %(code)s is cited by verdicts: its code cannot change. Retire it "
                    "(untick active) and add a new rule instead."
                )
                % {"code": old.code},
                field="code",
            )
        changed = [f for f in fields if old is None or getattr(old, f) != getattr(rule, f)]
        if not changed:
            return rule
        rule.save()
        audit_record(
            actor=actor,
            action="rule.created" if old is None else "rule.updated",
            obj=rule,
            before={f: getattr(old, f) for f in changed} if old else {},
            after={f: getattr(rule, f) for f in changed},
        )
    return rule
