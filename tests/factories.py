"""Factories for the desk's tests.

Plain facts (users, traders, orders, chat payloads, files) come from factory_boy. Appeals
are different: an appeal's status, its status-change rows, audit entries and outbox events
must agree, so appeals are only ever opened and moved through `cases.lifecycle`
(`open_appeal`, `appeal_in`), never written with the ORM.
"""

from __future__ import annotations

import io
import struct
import zlib
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases import lifecycle
from cases.models import Appeal, Order, Party, Trader, Verdict
from cases.roles import Role

S = Appeal.Status

# Below the default four-eyes threshold (USDT:10000) and well above it.
SMALL_AMOUNT = Decimal("500.00000000")
LARGE_AMOUNT = Decimal("25000.00000000")


# --- people -------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@desk.example")
    # Unusable: hashing a real password costs a quarter of a second per user.
    password = "!"


def staff_user(role: str | None = None, **fields: Any) -> AbstractBaseUser:
    """A user in the migration-created group `role`: a staff role, or "service_account"
    (a machine client); None gives a user with no group at all.

    Returns a fresh instance: roles (`_role_names`) and permissions (`_perm_cache`) are
    cached on the user object, so the groups must be in place before anything asks.
    """
    fields.setdefault("is_staff", role in Role.ALL)
    user = UserFactory(**fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


# --- the exchange's facts -----------------------------------------------------------------


class TraderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trader

    external_id = factory.Sequence(lambda n: f"T-{n:05d}")
    display_name = factory.Sequence(lambda n: f"trader{n}")
    kyc_name = factory.Sequence(lambda n: f"Trader Number {n}")
    country = "CN"
    language = "zh-hans"


class OrderFactory(factory.django.DjangoModelFactory):
    """A paid USDT order below the four-eyes threshold; `large=True` puts it above."""

    class Meta:
        model = Order

    class Params:
        large = factory.Trait(crypto_amount=LARGE_AMOUNT)

    external_id = factory.Sequence(lambda n: f"ORD-{n:06d}")
    buyer = factory.SubFactory(TraderFactory)
    seller = factory.SubFactory(TraderFactory)
    asset = "USDT"
    crypto_amount = SMALL_AMOUNT
    price = Decimal("7.20")
    fiat_currency = "CNY"
    fiat_amount = factory.LazyAttribute(
        lambda o: (o.crypto_amount * o.price).quantize(Decimal("0.01"))
    )
    payment_method = "alipay"
    status = Order.Status.PAID
    created_at = factory.LazyFunction(timezone.now)
    paid_at = factory.SelfAttribute("created_at")


class ChatMessageDataFactory(factory.DictFactory):
    """One message as the chat service posts it."""

    external_id = factory.Sequence(lambda n: f"MSG-{n:07d}")
    sender = "buyer"
    sent_at = factory.LazyFunction(timezone.now)
    text = factory.Sequence(lambda n: f"message {n}")


# --- appeals, through the lifecycle -------------------------------------------------------


class AppealFactory(factory.django.DjangoModelFactory):
    """Opens an appeal with `lifecycle.appeal_open`, so audit and outbox stay coherent."""

    class Meta:
        model = Appeal

    order = factory.SubFactory(OrderFactory)
    opened_by = Party.BUYER
    reason = Appeal.Reason.CRYPTO_NOT_RELEASED
    description = "I paid but the seller does not release."
    channel = Appeal.Channel.IN_APP

    @classmethod
    def _create(cls, model_class: type[Appeal], *args: Any, **kwargs: Any) -> Appeal:
        return lifecycle.appeal_open(**kwargs)


def open_appeal(**fields: Any) -> Appeal:
    """An open appeal (keyword arguments go to appeal_open: order, opened_by, reason, ...)."""
    return AppealFactory(**fields)


VERDICT = {
    "outcome": Verdict.Outcome.RELEASE_TO_BUYER,
    "responsible_party": Verdict.ResponsibleParty.SELLER,
    "rule_code": "P2P-1.1",
    "rationale": "The buyer's bank statement shows the full amount paid in time.",
}


# A rule and responsible party the shipped rulebook allows for each outcome
# (Rule.verdict_conflict), for a test that names only the outcome.
FITTING = {
    Verdict.Outcome.RELEASE_TO_BUYER: ("P2P-1.1", Verdict.ResponsibleParty.SELLER),
    Verdict.Outcome.RETURN_TO_SELLER: ("P2P-2.1", Verdict.ResponsibleParty.BUYER),
    Verdict.Outcome.NO_ACTION: ("P2P-8.1", Verdict.ResponsibleParty.NONE),
}


def verdict_fields(**fields: Any) -> dict[str, Any]:
    """The default verdict with these fields; unless given, a rule and responsible party
    that fit the outcome (a release blaming the buyer cites fraud, P2P-6.2)."""
    outcome = fields.get("outcome", VERDICT["outcome"])
    rule, party = FITTING.get(outcome, FITTING[VERDICT["outcome"]])
    party = fields.get("responsible_party", party)
    if outcome == Verdict.Outcome.RELEASE_TO_BUYER and party in ("buyer", "both"):
        rule = "P2P-6.2"
    return {**VERDICT, "rule_code": rule, "responsible_party": party, **fields}


def propose(appeal: Appeal, actor: AbstractBaseUser, **fields: Any) -> Verdict:
    """verdict_propose with a sensible default verdict; keyword arguments override it."""
    return lifecycle.verdict_propose(appeal_id=appeal.pk, actor=actor, **verdict_fields(**fields))


def appeal_in(
    status: str,
    *,
    worker: AbstractBaseUser | None = None,
    approver: AbstractBaseUser | None = None,
    order: Order | None = None,
    **fields: Any,
) -> Appeal:
    """A fresh appeal driven through the lifecycle to `status`.

    `worker` (default: a new arbitrator) works the case: claims it, asks for evidence,
    escalates it or proposes the verdict. pending_approval uses a large order (four-eyes);
    resolved uses a small one, or, given a large order, is approved by `approver`
    (default: a new senior arbitrator). The result is re-read from the database.
    """
    if status not in S.values:
        raise ValueError(f"Unknown status {status!r}")
    if order is None:
        order = OrderFactory(large=status == S.PENDING_APPROVAL)
    appeal = open_appeal(order=order, **fields)
    if status not in (S.OPEN, S.CANCELLED):
        worker = worker or staff_user("arbitrator")
    if status == S.CANCELLED:
        lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=None, reason="Settled in chat.")
    elif status == S.ESCALATED:
        lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=worker, reason="Looks like fraud.")
    elif status != S.OPEN:
        lifecycle.appeal_claim(appeal_id=appeal.pk, actor=worker)
        if status == S.AWAITING_EVIDENCE:
            lifecycle.appeal_request_evidence(
                appeal_id=appeal.pk,
                actor=worker,
                party=Party.SELLER,
                text="Please upload your bank statement for the day of the order.",
            )
        elif status in (S.PENDING_APPROVAL, S.RESOLVED):
            verdict = propose(appeal, worker)
            if status == S.PENDING_APPROVAL and verdict.state != Verdict.State.PENDING:
                raise ValueError("pending_approval needs an order above the four-eyes threshold")
            if status == S.RESOLVED and verdict.state == Verdict.State.PENDING:
                lifecycle.verdict_approve(
                    verdict_id=verdict.pk, actor=approver or staff_user("senior_arbitrator")
                )
    appeal = Appeal.objects.select_related("order").get(pk=appeal.pk)
    assert appeal.status == status, (appeal.status, status)
    return appeal


# --- evidence files -----------------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), color: str = "#2a6") -> bytes:
    image = Image.new("RGB", size, color)
    # A little structure, so the difference hash is not all zeros.
    for x in range(size[0] // 2):
        image.putpixel((x, size[1] // 2), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def png_bytes(**kwargs: Any) -> bytes:
    return image_bytes("PNG", **kwargs)


def jpeg_bytes(**kwargs: Any) -> bytes:
    return image_bytes("JPEG", **kwargs)


def webp_bytes(**kwargs: Any) -> bytes:
    return image_bytes("WEBP", **kwargs)


def pdf_bytes(text: str = "Bank statement") -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit greyscale PNG of width x height blank pixels: tiny on disk, huge in
    memory. Written by hand so the test never holds the decoded image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def upload(content: bytes, name: str = "voucher.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def service_token(user: AbstractBaseUser) -> str:
    """The API key of a service account (made as create_service_token makes one): the
    API serves a service only when it calls with its token."""
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key
