"""Notifications for staff: who gets one, and how it reads.

`notify` writes them in the caller's transaction (the change and its notification commit
together). The text is rendered when read, in the reader's language, from the kind and
the data stored with it; `key` makes a repeated send (a tick running twice) a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from arbitration.db import require_transaction
from cases.models import Appeal, Notification, Party

K = Notification.Kind


def notify(
    users: Iterable[AbstractBaseUser | int],
    kind: str,
    *,
    appeal: Appeal | None = None,
    data: dict[str, Any] | None = None,
    key: str = "",
    exclude: AbstractBaseUser | None = None,
) -> int:
    """One notification per user (never to `exclude`, the person who caused it). With a
    `key`, a user who already has that key gets nothing new. Returns how many were sent."""
    require_transaction("notify")
    ids = {u if isinstance(u, int) else u.pk for u in users}
    if exclude is not None:
        ids.discard(exclude.pk)
    if not ids:
        return 0
    if key:
        ids -= set(
            Notification.objects.filter(user_id__in=ids, key=key).values_list("user_id", flat=True)
        )
    rows = [
        Notification(user_id=uid, kind=kind, appeal=appeal, data=data or {}, key=key)
        for uid in sorted(ids)
    ]
    # ignore_conflicts: a concurrent send of the same key loses quietly to the first.
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    return len(rows)


def role_members(role: str) -> list[int]:
    """The active members of a role group."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=role)
        .values_list("pk", flat=True)
    )


def _when(value: str | None) -> str:
    if not value:
        return ""
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value)
    if moment is None:
        return value
    return date_format(timezone.localtime(moment), "M j, H:i")


def render(n: Notification) -> str:
    """The notification's sentence, in the active language."""
    d = n.data
    number = f"#{n.appeal_id}" if n.appeal_id else ""
    party = Party(d["party"]).label.lower() if d.get("party") in Party.values else ""
    if n.kind == K.ASSIGNED_TO_YOU:
        return _("Appeal %(appeal)s was assigned to you.") % {"appeal": number}
    if n.kind == K.ESCALATED_TO_YOU:
        return _("Appeal %(appeal)s was escalated to you: %(reason)s") % {
            "appeal": number,
            "reason": d.get("reason", ""),
        }
    if n.kind == K.APPROVAL_WAITING:
        return _("A verdict on appeal %(appeal)s waits for your approval.") % {"appeal": number}
    if n.kind == K.EVIDENCE_ARRIVED:
        return _("The %(party)s answered on appeal %(appeal)s.") % {
            "party": party,
            "appeal": number,
        }
    if n.kind == K.DEADLINE_SOON:
        if d.get("what") == "evidence":
            return _("Appeal %(appeal)s: the %(party)s's evidence is due at %(due)s.") % {
                "appeal": number,
                "party": party,
                "due": _when(d.get("due")),
            }
        return _("Appeal %(appeal)s must be resolved by %(due)s.") % {
            "appeal": number,
            "due": _when(d.get("due")),
        }
    if n.kind == K.DEADLINE_MISSED:
        return _("The %(party)s missed the evidence deadline on appeal %(appeal)s.") % {
            "party": party,
            "appeal": number,
        }
    if n.kind == K.RESTRICTION_PROPOSED:
        return _("A restriction of %(trader)s's account waits for your approval.") % {
            "trader": d.get("trader", "")
        }
    return n.get_kind_display()


def unread_count(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox(user: AbstractBaseUser):
    """The user's notifications, unread first, newest first."""
    from django.db.models import F

    return Notification.objects.filter(user=user).order_by(
        F("read_at").desc(nulls_first=True), "-created_at", "-id"
    )


def mark_read(user: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them with ids=None)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


def approvals_settled(appeal_ids: list[int], *, at) -> int:
    """The verdicts on these appeals no longer wait for a second pair of eyes: their
    approval_waiting notifications stop asking (marked read for everyone)."""
    return Notification.objects.filter(
        appeal_id__in=appeal_ids, kind=K.APPROVAL_WAITING, read_at__isnull=True
    ).update(read_at=at)
