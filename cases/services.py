"""Writes other than an appeal's status: the facts other services push in.

Orders, traders, chat and account signals are the exchange's facts; they are upserted
idempotently by their external ids, so a re-sent batch never stores anything twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from arbitration.exceptions import Conflict, InvalidInput

from .audit import audit_record
from .models import (
    AccountSignal,
    Appeal,
    ChatMessage,
    Order,
    OutboxEvent,
    Trader,
    WebhookSubscriber,
)
from .tasks import risk_reassess_on_commit

TRADER_FIELDS = ("display_name", "kyc_name", "country", "language")
ORDER_FIELDS = (
    "asset",
    "crypto_amount",
    "fiat_currency",
    "fiat_amount",
    "price",
    "payment_method",
    "status",
    "created_at",
    "paid_at",
    "released_at",
)


def trader_upsert(*, external_id: str, **fields: Any) -> Trader:
    values = {k: v for k, v in fields.items() if k in TRADER_FIELDS and v is not None}
    trader, created = Trader.objects.get_or_create(external_id=external_id, defaults=values)
    changed = [k for k, v in values.items() if getattr(trader, k) != v]
    if not created and changed:
        for name in changed:
            setattr(trader, name, values[name])
        trader.save(update_fields=[*changed, "updated_at"])
    return trader


def order_upsert(
    *,
    external_id: str,
    buyer: dict[str, Any],
    seller: dict[str, Any],
    actor: AbstractBaseUser | None,
    **fields: Any,
) -> tuple[Order, bool]:
    """Create or update an order by external_id; returns (order, created)."""
    if buyer.get("external_id") == seller.get("external_id"):
        raise InvalidInput(_("Buyer and seller must be different traders."), field="seller")
    with transaction.atomic():
        buyer_obj = trader_upsert(**buyer)
        seller_obj = trader_upsert(**seller)
        values = {k: fields[k] for k in ORDER_FIELDS if k in fields}
        order = Order.objects.select_for_update().filter(external_id=external_id).first()
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


def chat_ingest(*, order: Order, messages: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Store new messages of an order's chat; returns (created, duplicates).

    Idempotent by message external_id: the unique index drops repeats, so a re-sent or
    concurrently sent batch never stores a message twice.
    """
    messages = list(messages)
    # A batch that repeats an id keeps the first copy, and the batch keeps its order: ids
    # are the tie-break of messages sent in the same instant.
    first: dict[str, dict[str, Any]] = {}
    for m in messages:
        first.setdefault(m["external_id"], m)
    batch = list(first.values())
    ids = [m["external_id"] for m in batch]
    with transaction.atomic():
        # Concurrent batches for one order queue on the order's row, so each sees what the
        # one before it stored and `created` counts every message once.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        existing = set(
            ChatMessage.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
        )
        new = [
            ChatMessage(
                order=order,
                external_id=m["external_id"],
                sender=m["sender"],
                sent_at=m["sent_at"],
                text=m["text"],
            )
            for m in batch
            if m["external_id"] not in existing
        ]
        ChatMessage.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        party_times = [m.sent_at for m in new if m.sender != ChatMessage.Sender.SYSTEM]
        if party_times:
            # The queue sorts by the last party message; only the live appeal cares.
            latest = max(party_times)
            live = Appeal.objects.filter(order=order).exclude(status__in=Appeal.CLOSED_STATUSES)
            live.filter(
                Q(last_party_message_at__isnull=True) | Q(last_party_message_at__lt=latest)
            ).update(last_party_message_at=latest)
            # New words in the chat may be off-platform contact.
            risk_reassess_on_commit(list(live.values_list("id", flat=True)))
    return len(new), len(messages) - len(new)


def signals_ingest(*, trader: Trader, signals: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Record devices, IPs, e-mails and payment accounts seen on a trader; idempotent.

    Returns (created, updated). A known (kind, value) only moves its seen-time window.
    """
    created = updated = 0
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
                defaults={"first_seen_at": seen_at, "last_seen_at": seen_at},
            )
            if was_created:
                created += 1
                continue
            first, last = min(signal.first_seen_at, seen_at), max(signal.last_seen_at, seen_at)
            if (first, last) != (signal.first_seen_at, signal.last_seen_at):
                AccountSignal.objects.filter(pk=signal.pk).update(
                    first_seen_at=first, last_seen_at=last
                )
                updated += 1
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


def webhook_subscriber_add(
    *, url: str, secret: str, events: list[str]
) -> tuple[WebhookSubscriber, bool]:
    unknown = sorted(set(events) - set(OutboxEvent.Type.values))
    if not events or unknown:
        raise InvalidInput(
            _("Unknown event types %(unknown)s; choose from %(choices)s.")
            % {"unknown": unknown, "choices": ", ".join(OutboxEvent.Type.values)}
            if unknown
            else _("Name at least one event type."),
            field="events",
        )
    if len(secret) < 16:
        raise InvalidInput(_("Use a secret of at least 16 characters."), field="secret")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(
            _("%(url)s is not an http(s) URL.") % {"url": repr(url)}, field="url"
        ) from None
    with transaction.atomic():
        subscriber, created = WebhookSubscriber.objects.update_or_create(
            url=url, defaults={"secret": secret, "events": sorted(set(events)), "active": True}
        )
        audit_record(
            actor=None,
            action="webhook_subscriber.saved",
            obj=subscriber,
            after={"url": url, "events": subscriber.events},
        )
    return subscriber, created
