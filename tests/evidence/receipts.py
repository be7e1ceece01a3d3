"""Rendered bank-app receipts with known facts, for the OCR tests and the benchmark.

Each receipt is drawn by the demo's renderer (cases.demo.documents.render_receipt_png:
light and dark apps, centred and left layouts, promo banners) from varied amounts, names,
times and transaction ids, seeded so a run is repeatable. `expected` is what a perfect
reading would store in evidence.extracted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cases.demo.documents import Receipt, render_receipt_png, script_supported

EN_FIRST = ("John", "Maria", "Ahmed", "Olivia", "Lucas", "Emma", "Noah", "Sofia", "Liam", "Ava")
EN_LAST = ("Smith", "Garcia", "Khan", "Brown", "Martin", "Wilson", "Taylor", "Lopez", "Clark")
ZH_NAMES = (
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄勇",
    "周杰",
    "吴婷",
    "徐明",
    "孙丽",
    "马超",
    "朱琳",
    "胡军",
)
EN_BANKS = (
    ("Wise", (0, 185, 110)),
    ("Revolut", (20, 20, 30)),
    ("Monzo", (255, 80, 90)),
    ("N26", (40, 160, 140)),
    ("Chase", (17, 90, 170)),
    ("Barclays", (0, 174, 239)),
)
ZH_BANKS = (
    ("招商银行", "China Merchants Bank", (200, 20, 40)),
    ("中国工商银行", "ICBC", (190, 0, 20)),
    ("支付宝", "Alipay", (22, 119, 255)),
    ("微信支付", "WeChat Pay", (7, 193, 96)),
    ("中国银行", "Bank of China", (160, 20, 30)),
)
EN_MONEY = (("USD", "${}"), ("EUR", "€{}"), ("GBP", "£{}"))


@dataclass(frozen=True)
class Sample:
    lang: str
    png: bytes
    expected: dict[str, Any]


def _amount(rng: random.Random) -> Decimal:
    whole = rng.choice((rng.randint(5, 99), rng.randint(100, 9999), rng.randint(10000, 250000)))
    return (Decimal(whole) + Decimal(rng.randint(0, 99)) / 100).quantize(Decimal("0.01"))


def receipts(lang: str, n: int, *, seed: int = 12) -> list[Sample]:
    """`n` receipts in "en" or "zh", each with what a reader should find on it."""
    rng = random.Random(f"{lang}-{seed}")
    start = datetime(2026, 1, 1, 0, 0, 0)
    out = []
    for _ in range(n):
        amount = _amount(rng)
        when = start + timedelta(seconds=rng.randint(0, 360 * 86400))
        txn = f"{when:%Y%m%d}{rng.getrandbits(48):015d}"
        if lang == "zh":
            brand, latin, color = rng.choice(ZH_BANKS)
            payer = rng.choice(ZH_NAMES)
            currency, shown = "CNY", f"¥{amount:,.2f}"
            payee, reference, method = rng.choice(ZH_NAMES), f"订单{rng.randint(100, 999)}", latin
        else:
            brand, color = rng.choice(EN_BANKS)
            latin = brand
            payer = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
            currency, pattern = rng.choice(EN_MONEY)
            shown = pattern.format(f"{amount:,.2f}")
            payee = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)[0]}."
            reference, method = rng.choice(("Rent", "Invoice", "P2P order")), "Bank transfer"
        receipt = Receipt(
            lang=lang,
            brand=brand,
            brand_latin=latin,
            color=color,
            amount=shown,
            payer=payer,
            payer_latin=payer,
            payer_account=f"**** {rng.randint(1000, 9999)}",
            payee=payee,
            payee_latin=payee,
            payee_account=f"**** {rng.randint(1000, 9999)}",
            when=when,
            reference=reference,
            method=method,
            txn_id=txn,
        )
        out.append(
            Sample(
                lang=lang,
                png=render_receipt_png(receipt, width=rng.choice((480, 540, 600))),
                expected={
                    "amount": str(amount),
                    "currency": currency,
                    "payer_name": payer,
                    "paid_at": when.isoformat(),
                    "reference": txn,
                },
            )
        )
    return out


def cjk_font_installed() -> bool:
    return script_supported("cjk")
