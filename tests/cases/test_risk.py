"""risk_score and risk_signals: each signal found when present, absent when not, and kept
current as evidence, chat and account signals arrive (eagerly here, as in `make run`)."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image

from cases import services
from cases.demo.documents import reencode_as_jpeg
from cases.models import Appeal
from evidence.risk import WEIGHTS, risk_assess
from evidence.services import evidence_add
from tests.factories import (
    ChatMessageDataFactory,
    OrderFactory,
    TraderFactory,
    appeal_in,
    open_appeal,
    png_bytes,
    service_token,
    upload,
)

pytestmark = pytest.mark.django_db
S = Appeal.Status


@pytest.fixture(autouse=True)
def act(django_capture_on_commit_callbacks):
    """`now(service, **kw)` runs a service and then what it scheduled on commit, in-process
    as under `make run` (the PostgreSQL CI pass has a broker; here the task runs now)."""
    from arbitration.celery import app

    def run(service, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(*args, **kwargs)

    global ACT
    ACT = run
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield run
    app.conf.task_always_eager = eager


def now(service, *args, **kwargs):
    return ACT(service, *args, **kwargs)


def codes(appeal: Appeal) -> set[str]:
    appeal.refresh_from_db()
    return {signal["code"] for signal in appeal.risk_signals}


def voucher(appeal: Appeal, content: bytes, actor, payer_name: str = "") -> None:
    now(
        evidence_add,
        appeal_id=appeal.pk,
        upload=upload(content),
        party="buyer",
        kind="payment_voucher",
        actor=actor,
        payer_name=payer_name,
    )


def receipt(shade: int = 0, size: tuple[int, int] = (240, 160)) -> Image.Image:
    image = Image.new("RGB", (240, 160), "white")
    for x in range(0, 240, 12):
        image.paste((x, 80 + shade, 200 - x), (x, 0, x + 6, 160 - x // 3))
    return image.resize(size)


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_clean_appeal_scores_zero(service_account):
    appeal = now(open_appeal)
    voucher(appeal, png_bytes(), service_account, payer_name=appeal.order.buyer.kyc_name)
    appeal.refresh_from_db()
    assert (appeal.risk_score, appeal.risk_signals) == (0, [])


def test_the_same_voucher_on_another_order_is_found(service_account):
    first, second = now(open_appeal), now(open_appeal)
    content = encoded(receipt())
    voucher(first, content, service_account)
    voucher(second, content, service_account)
    assert "duplicate_voucher" in codes(second)
    assert second.order.external_id not in str(second.risk_signals)
    assert first.order.external_id in str(second.risk_signals)


def test_a_resaved_resized_copy_is_found_too(service_account):
    from tests.evidence.test_fingerprints import receipts

    original = receipts(1)[0]
    first, second = now(open_appeal), now(open_appeal)
    voucher(first, original, service_account)
    voucher(second, reencode_as_jpeg(original, shrink=0.95), service_account)
    assert "duplicate_voucher" in codes(second)
    assert first.order.external_id in str(second.risk_signals)


def test_two_receipts_from_one_template_are_not_duplicates(service_account):
    from tests.evidence.test_fingerprints import receipts

    one, other = receipts(2)
    first, second = now(open_appeal), now(open_appeal)
    voucher(first, one, service_account)
    voucher(second, other, service_account)
    assert "duplicate_voucher" not in codes(second)


def test_a_different_picture_is_not_a_duplicate(service_account):
    first, second = now(open_appeal), now(open_appeal)
    voucher(first, encoded(receipt()), service_account)
    voucher(second, encoded(receipt().transpose(Image.Transpose.FLIP_LEFT_RIGHT)), service_account)
    assert "duplicate_voucher" not in codes(second)


def test_parties_sharing_a_device_are_linked():
    appeal = now(open_appeal)
    seen = timezone.now()
    for trader in (appeal.order.buyer, appeal.order.seller):
        now(
            services.signals_ingest,
            trader=trader,
            signals=[{"kind": "device", "value": "dev-1", "seen_at": seen}],
        )
    assert "linked_accounts" in codes(appeal)
    assert "Buyer and seller are linked accounts, in one cluster of 2 through a shared device" in (
        str(appeal.risk_signals)
    )


def test_a_party_sharing_an_ip_with_an_account_that_lost_is_linked():
    appeal = now(open_appeal)
    seen = timezone.now()
    loser = appeal_in(S.RESOLVED).order.seller  # the default verdict releases to the buyer
    now(
        services.signals_ingest,
        trader=loser,
        signals=[{"kind": "ip", "value": "10.9.8.7", "seen_at": seen}],
    )
    now(
        services.signals_ingest,
        trader=appeal.order.seller,
        signals=[{"kind": "ip", "value": "10.9.8.7", "seen_at": seen}],
    )
    assert "linked_accounts" in codes(appeal)


def test_a_payer_that_is_not_the_buyer_is_flagged(service_account):
    appeal = now(open_appeal, order=OrderFactory(buyer=TraderFactory(kyc_name="Wang Xiaoming")))
    voucher(appeal, png_bytes(), service_account, payer_name="XIAOMING WANG")
    assert "payer_name_mismatch" not in codes(appeal)  # same name, other order and case
    voucher(appeal, png_bytes(color="#123"), service_account, payer_name="Li Hua")
    assert "payer_name_mismatch" in codes(appeal)


def test_chat_pushing_off_platform_is_flagged():
    appeal = now(open_appeal)
    now(
        services.chat_ingest,
        order=appeal.order,
        messages=[ChatMessageDataFactory(text="Payment sent.")],
    )
    assert "off_platform_contact" not in codes(appeal)
    now(
        services.chat_ingest,
        order=appeal.order,
        messages=[ChatMessageDataFactory(sender="seller", text="加我微信 13800138000 快点")],
    )
    assert "off_platform_contact" in codes(appeal)


def test_a_repeat_appellant_is_flagged(arbitrator):
    buyer = TraderFactory()
    for _ in range(3):
        appeal_in(S.RESOLVED, order=OrderFactory(buyer=buyer), worker=arbitrator)
    appeal = now(open_appeal, order=OrderFactory(buyer=buyer))
    assert "repeat_appellant" in codes(appeal)


def test_the_score_adds_the_weights_of_the_signals_found_and_caps_at_100(service_account):
    first, second = now(open_appeal), now(open_appeal)
    content = encoded(receipt())
    voucher(first, content, service_account)
    voucher(second, content, service_account, payer_name="Someone Else")
    score, signals = risk_assess(appeal_id=second.pk)
    assert score == WEIGHTS["duplicate_voucher"] + WEIGHTS["payer_name_mismatch"]
    assert sum(WEIGHTS.values()) > 100  # so the cap matters
    second.refresh_from_db()
    assert second.risk_score == score and second.risk_signals == signals


def test_the_api_detail_carries_the_risk(service_account):
    from rest_framework.test import APIClient

    appeal = now(open_appeal)
    now(
        services.chat_ingest,
        order=appeal.order,
        messages=[ChatMessageDataFactory(text="telegram @otc_fast")],
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {service_token(service_account)}")
    body = client.get(f"/api/v1/appeals/{appeal.pk}/").json()
    assert body["risk_score"] == WEIGHTS["off_platform_contact"]
    assert body["risk_signals"][0]["code"] == "off_platform_contact"
    assert set(body["risk_signals"][0]) == {"code", "detail"}
