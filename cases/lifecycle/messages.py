"""What the desk tells a party: its own row, a party.message event and an audit entry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from arbitration.db import require_transaction
from arbitration.exceptions import InvalidInput
from cases import roles
from cases.audit import audit_record
from cases.languages import party_ui_language
from cases.models import Appeal, DeskMessage, Party
from cases.outbox import event_emit

from . import guards
from .locks import lock_appeal


def desk_message_send(
    *,
    appeal: Appeal,
    actor: AbstractBaseUser,
    party: str,
    kind: str,
    text: str,
    language: str | None = None,
    due_at: datetime | None = None,
) -> DeskMessage:
    """Tell a party something through the exchange's app, in the caller's transaction
    (the appeal locked): the message row the case's chat shows as the desk's, its
    party.message event and its audit entry, all or nothing."""
    require_transaction("desk_message_send")
    language = language or appeal.order.party(party).language or "en"
    data: dict[str, Any] = {"appeal": appeal.pk, "party": party, "language": language}
    data["text"] = text
    if due_at is not None:
        data["due_at"] = due_at
    event = event_emit(type="party.message", appeal=appeal, data=data)
    message = DeskMessage.objects.create(
        appeal=appeal,
        party=party,
        kind=kind,
        language=language,
        text=text,
        due_at=due_at,
        sent_by=actor,
        event=event,
    )
    audit_record(
        actor=actor,
        action="party.message_sent",
        obj=message,
        appeal=appeal,
        after={"party": party, "kind": kind, "language": language, "text": text},
    )
    return message


def desk_tell_both(
    *,
    appeal: Appeal,
    actor: AbstractBaseUser | None,
    kind: str,
    text_for: Callable[[str, str], str],
) -> None:
    """Tell each party something in its own language (the party's, if the desk writes
    it): `text_for(side, language)` writes it, desk_message_send sends it."""
    for side in Party.values:
        language = party_ui_language(appeal.order.party(side).language)
        desk_message_send(
            appeal=appeal,
            actor=actor,
            party=side,
            kind=kind,
            text=text_for(side, language),
            language=language,
        )


def party_message_send(
    *, appeal_id: int, actor: AbstractBaseUser | None, party: str, text: str, language: str = ""
) -> DeskMessage:
    """Send a message to a party through the exchange's app: a desk message (shown in the
    case's chat as the desk's), its party.message event and its audit entry."""
    actor = guards.require(actor, roles.WORK, _("message parties"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not text.strip():
        raise InvalidInput(_("The message is empty."), field="text")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        guards.can_message(actor, appeal).check()
        return desk_message_send(
            appeal=appeal,
            actor=actor,
            party=party,
            kind=DeskMessage.Kind.NOTICE,
            text=text,
            language=language,
        )
