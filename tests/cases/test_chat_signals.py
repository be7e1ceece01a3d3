"""The chat detector (cases.chat_signals) in English, Chinese and Russian, its highlight,
and the risk codes it feeds."""

from __future__ import annotations

import pytest

from cases import services
from cases.chat_signals import Kind, kinds
from cases.chat_text import highlight
from evidence.risk import risk_assess
from tests.factories import ChatMessageDataFactory, OrderFactory, TraderFactory, open_appeal

POSITIVE = [
    ("call me 13800138000", {Kind.PHONE}),
    ("１３８００１３８０００", {Kind.PHONE}),
    ("+44 7911 123456", {Kind.PHONE}),
    ("8 (912) 345-67-89", {Kind.PHONE}),
    ("telegram @otc_fast", {Kind.MESSENGER}),
    ("t.me/fastotc", {Kind.MESSENGER}),
    ("add me on WhatsApp", {Kind.MESSENGER}),
    ("加我微信", {Kind.MESSENGER}),
    ("vx号 zhang_888", {Kind.MESSENGER}),
    ("QQ 123456789", {Kind.MESSENGER}),
    ("напиши в телеграм", {Kind.MESSENGER}),
    ("давай в вотсап", {Kind.MESSENGER}),
    ("hurry up, last chance", {Kind.PRESSURE}),
    ("release now or I will report you", {Kind.PRESSURE}),
    ("快点放币，不然投诉", {Kind.PRESSURE}),
    ("срочно! иначе пожалуюсь", {Kind.PRESSURE}),
    ("wa.me/8613800138000", {Kind.MESSENGER, Kind.PHONE}),
    ("line.me/ti/p/abc123", {Kind.MESSENGER}),
    ("viber +7 912 345-67-89", {Kind.PHONE}),
    ("позвони мне +7 912 345 67 89", {Kind.PHONE}),
    ("加我qq 12345678", {Kind.MESSENGER}),
    ("微信：zhang_888", {Kind.MESSENGER}),
    ("weixin: zhang888", {Kind.MESSENGER}),
    ("my telegram is otcfast", {Kind.MESSENGER}),
    ("давайте перейдем в телеграм", {Kind.MESSENGER}),
    ("I will report you", {Kind.PRESSURE}),
    ("马上放币 否则举报", {Kind.PRESSURE}),
    ("быстрее отпускай", {Kind.PRESSURE}),
]
NEGATIVE = [
    "paid 1,234.56 CNY",
    "order 2026120122001234567890",
    "订单号 2026120122001234567890",
    "at 2026-12-01 14:30",
    "20:15 12.01.2026",
    "card ending 4321",
    "card 4111 1111 1111 1111",
    "ref 9876543210",
    "已经微信转账了",
    "I paid via WeChat Pay",
    "my line is busy",
    "перевел 5000 руб",
    "email john@example.com",
    "Payment sent, please check.",
    "已付款，请查收",
    "Оплатил, проверьте пожалуйста",
    "по карте 4276 1234 5678 9012",
    "total 12345678 USDT",
    "sent 50000 ¥",
    "交易号 4200001234202612011234567",
    "время 14:30 01.12.2026",
    "сумма 7 300,00 ₽",
    "订单 1234567890123",
    "ordered at 10:45, 2026/12/01",
    "line 2 of the receipt",
    "please check the signal strength",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_it_finds_contact_and_pressure(text, expected):
    assert expected <= kinds(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_amounts_ids_dates_cards_and_payment_talk_are_not_findings(text):
    assert kinds(text) == set()


def test_the_highlight_escapes_hostile_text():
    html, flagged = highlight('<script>alert(1)</script> "13800138000" @evil_handle', None)
    assert flagged and "<script>" not in html and "&lt;script&gt;" in html
    assert '<mark class="watch" data-kind="phone">13800138000</mark>' in html
    assert '<mark class="watch" data-kind="messenger">@evil_handle</mark>' in html


@pytest.mark.django_db
def test_planted_chats_raise_the_codes_and_a_clean_one_none():
    clean = open_appeal()
    services.chat_ingest(
        order=clean.order,
        messages=[ChatMessageDataFactory(text=t) for t in NEGATIVE[-3:]],
    )
    assert risk_assess(appeal_id=clean.pk)[1] == []
    planted = open_appeal()
    services.chat_ingest(
        order=planted.order,
        messages=[
            ChatMessageDataFactory(sender="buyer", text="快点放币，不然投诉"),
            ChatMessageDataFactory(sender="seller", text="напиши в телеграм"),
        ],
    )
    codes = {s["code"] for s in risk_assess(appeal_id=planted.pk)[1]}
    assert codes == {"off_platform_contact", "pressure_tactics"}


@pytest.mark.django_db
def test_multiple_payer_names_fires_for_a_hopper_not_for_one_payer_written_two_ways(
    service_account,
):
    from evidence.services import evidence_add
    from tests.factories import png_bytes, upload

    def pay(buyer, payer, shade):
        appeal = open_appeal(order=OrderFactory(buyer=buyer))
        evidence_add(
            appeal_id=appeal.pk,
            upload=upload(png_bytes(color=shade)),
            party="buyer",
            kind="payment_voucher",
            actor=service_account,
            payer_name=payer,
        )
        return appeal

    one = TraderFactory(kyc_name="张伟")
    pay(one, "ZHANG WEI", "#111")
    last = pay(one, "张伟", "#112")
    assert "multiple_payer_names" not in {s["code"] for s in risk_assess(appeal_id=last.pk)[1]}
    hopper = TraderFactory(kyc_name="Иван Петров")
    for payer, shade in (("Petrov Ivan", "#201"), ("Li Hua", "#202"), ("Anna Smirnova", "#203")):
        last = pay(hopper, payer, shade)
    signals = risk_assess(appeal_id=last.pk)[1]
    hop = [s for s in signals if s["code"] == "multiple_payer_names"]
    assert hop and hop[0]["params"] == {"n": 3, "orders": 3}
