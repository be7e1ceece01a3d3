"""`seed_demo --scale N`: N orders with one appeal and ~10 chat messages each, fast.

This is benchmark data, not history: rows are generated in Python from precomputed pools
and written straight into the tables (COPY on PostgreSQL, bulk_create on SQLite). It
skips the audit log, the outbox and evidence files on purpose: a million made-up appeals
must not look like a million audited staff actions, and nothing here is sent to webhook
subscribers. What it does keep consistent: every appeal has its status-change rows (from
the opening on), an assignee when someone works it, SLA deadlines and priorities computed
as the lifecycle computes them, verdicts (effective or pending four-eyes approval) on
decided cases, at most one unresolved appeal per order, and order statuses that match.

Ids: external ids are `SC{run}-{n:07d}` (orders), `ST{run}-{n:07d}` (traders) and
`SC{run}-{n:07d}-{k:02d}` (messages), where `run` is the first number no earlier bulk load
used, so repeated loads never collide. Primary keys come from the tables' own sequences.
"""

from __future__ import annotations

import io
import json
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError
from django.db import connection, models, transaction

from cases.lifecycle import threshold_for
from cases.models import (
    AccountSignal,
    Appeal,
    AppealStatusChange,
    ChatMessage,
    Order,
    Rule,
    Trader,
    Verdict,
)

from .people import (
    ASSET_IN_USDT,
    CHINESE,
    INTERNATIONAL,
    ONE_OFF_NAMES,
    RAILS,
    RUSSIAN,
    USDT_PRICE,
)

BATCH = 20_000
HISTORY_DAYS = 56
NULL = "\\N"  # NULL in COPY's text format; every generated value is a str
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


def copy_text(value: str) -> str:
    """A free text (the rulebook's) in COPY's text format: backslash, tab and newlines
    escaped. The generated pools need none of this."""
    return value.translate(_COPY_ESCAPES)


def _copy_unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _COPY_UNESCAPES.get(m.group(1), m.group(1)), value)


S = Appeal.Status
R = Appeal.Reason

# --- columns ------------------------------------------------------------------------------

TRADER_FIELDS = (
    "id",
    "external_id",
    "display_name",
    "kyc_name",
    "country",
    "language",
    "registered_at",
    "p2p_restricted_until",
    "frozen",
    "created_at",
    "updated_at",
)
SIGNAL_FIELDS = ("trader", "kind", "value", "first_seen_at", "last_seen_at")
ORDER_FIELDS = (
    "id",
    "external_id",
    "buyer",
    "seller",
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
    "received_at",
    "updated_at",
)
MESSAGE_FIELDS = ("order", "external_id", "sender", "sent_at", "text")
APPEAL_FIELDS = (
    "id",
    "order",
    "opened_by",
    "reason",
    "description",
    "channel",
    "status",
    "assignee",
    "priority",
    "created_at",
    "updated_at",
    "first_response_due_at",
    "resolution_due_at",
    "evidence_due_at",
    "evidence_requested_from",
    "first_response_at",
    "resolved_at",
    "escalated_at",
    "escalation_reason",
    "risk_score",
    "risk_signals",
    # Queue columns the lifecycle copies from the order (lifecycle.queue_columns).
    "crypto_amount",
    "asset",
    "payment_method",
    "buyer_language",
    "seller_language",
    "last_party_message_at",
    # The floor's columns: bulk appeals were worked by hand before any rota or rule.
    "assigned_at",
    "assignment_note",
    "paused_seconds",
    "escalation_rule_name",
    "escalation_target_role",
)
CHANGE_FIELDS = ("appeal", "from_status", "to_status", "actor", "comment", "created_at")
VERDICT_FIELDS = (
    "appeal",
    "outcome",
    "responsible_party",
    "rule",
    "rule_code",
    "rule_title",
    "rule_text",
    "rationale",
    "state",
    "requires_approval",
    "decided_by",
    "approved_by",
    "review_comment",
    "proposed_action",
    "created_at",
    "effective_at",
    "reviewed_at",
)

TABLES: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Order, ORDER_FIELDS),
    (ChatMessage, MESSAGE_FIELDS),
    (Appeal, APPEAL_FIELDS),
    (AppealStatusChange, CHANGE_FIELDS),
    (Verdict, VERDICT_FIELDS),
)


def _columns(model: type[models.Model], fields: tuple[str, ...]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _check_columns(model: type[models.Model], fields: tuple[str, ...]) -> None:
    """Fail loudly if the model grew a required column this loader does not fill (even
    one with a database default: a default is rarely the right value for a copied fact)."""
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if f.name not in fields and not f.null and not f.primary_key
    ]
    if missing:
        raise CommandError(
            f"seed_demo --scale does not know how to fill {model.__name__}."
            f"{', '.join(missing)}; update cases/demo/bulk.py."
        )


# --- text pools (no tabs, newlines or backslashes: they go into COPY as they are) --------

CHATS = {
    "en": [
        [
            ("buyer", "Hi, paying now"),
            ("seller", "ok"),
            ("buyer", "Sent {money}"),
            ("system", "@paid"),
            ("buyer", "Please check and release"),
            ("seller", "Nothing arrived yet"),
            ("buyer", "My bank says it is completed"),
            ("seller", "I still don't see it"),
            ("buyer", "I'm attaching the receipt"),
            ("seller", "Let support check it"),
            ("buyer", "Opening an appeal"),
        ],
        [
            ("buyer", "Hello, is the price still valid?"),
            ("seller", "Yes, pay to the account in the order"),
            ("buyer", "Done, {money}"),
            ("system", "@paid"),
            ("seller", "The name on the payment is different"),
            ("buyer", "It's my account"),
            ("seller", "I can only accept payments from you"),
            ("buyer", "Please release"),
            ("seller", "I will refund it"),
            ("buyer", "No, release it"),
        ],
        [
            ("seller", "Add me on Telegram, faster"),
            ("buyer", "Let's keep it here"),
            ("buyer", "Paid {money}"),
            ("system", "@paid"),
            ("seller", "Not received"),
            ("buyer", "Check your bank again"),
            ("seller", "Send it again to my other card"),
            ("buyer", "No"),
            ("buyer", "I'll appeal"),
            ("seller", "ok"),
        ],
    ],
    "zh": [
        [
            ("buyer", "你好，马上付款"),
            ("seller", "好的"),
            ("buyer", "已转{money}"),
            ("system", "@paid"),
            ("buyer", "请查收放币"),
            ("seller", "还没到账"),
            ("buyer", "我这边显示成功了"),
            ("seller", "确实没收到"),
            ("buyer", "截图发你了"),
            ("seller", "等客服处理吧"),
            ("buyer", "那我申诉了"),
        ],
        [
            ("buyer", "在吗"),
            ("seller", "在的，直接付款"),
            ("buyer", "付了{money}"),
            ("system", "@paid"),
            ("seller", "付款人不是你本人"),
            ("buyer", "是我家人的账户"),
            ("seller", "不接受第三方付款，原路退回"),
            ("buyer", "不要退，快放币"),
            ("seller", "不可能"),
            ("buyer", "申诉吧"),
        ],
        [
            ("buyer", "加我微信聊，价格好说"),
            ("seller", "只在平台交易"),
            ("buyer", "已付款"),
            ("system", "@paid"),
            ("seller", "没收到钱"),
            ("buyer", "你先放币"),
            ("seller", "不可能先放币"),
            ("buyer", "那你退款"),
            ("seller", "没收到怎么退"),
            ("buyer", "申诉了"),
        ],
    ],
    "ru": [
        [
            ("buyer", "Добрый день, оплачиваю"),
            ("seller", "Жду"),
            ("buyer", "Перевёл {money}"),
            ("system", "@paid"),
            ("buyer", "Отпустите, пожалуйста"),
            ("seller", "Денег нет"),
            ("buyer", "Банк пишет, что перевод выполнен"),
            ("seller", "Не вижу"),
            ("buyer", "Прикрепил чек"),
            ("seller", "Пусть поддержка разбирается"),
            ("buyer", "Открываю апелляцию"),
        ],
        [
            ("buyer", "Привет"),
            ("seller", "Оплачивайте по реквизитам"),
            ("buyer", "Оплатил"),
            ("system", "@paid"),
            ("seller", "Пришло не от вас"),
            ("buyer", "Это карта жены"),
            ("seller", "Верну отправителю"),
            ("buyer", "Отпускайте"),
            ("seller", "Нет"),
            ("buyer", "Апелляция"),
        ],
        [
            ("seller", "Пиши в телеграм, так быстрее"),
            ("buyer", "Давайте здесь"),
            ("buyer", "Перевёл {money}"),
            ("system", "@paid"),
            ("seller", "Не пришло"),
            ("buyer", "Проверьте ещё раз"),
            ("seller", "Дублируй на другую карту"),
            ("buyer", "Не буду"),
            ("buyer", "Открываю спор"),
            ("seller", "Ок"),
        ],
    ],
}
SYSTEM_LINES = {
    "en": {
        "created": "Order created. The crypto is held in escrow.",
        "@paid": "The buyer has marked the order as paid.",
        "appeal": "An appeal has been filed. The order is on hold.",
    },
    "zh": {
        "created": "订单已创建，数字资产已托管。",
        "@paid": "买家已标记为已付款。",
        "appeal": "已发起申诉，订单已冻结。",
    },
    "ru": {
        "created": "Ордер создан. Криптовалюта в эскроу.",
        "@paid": "Покупатель отметил ордер как оплаченный.",
        "appeal": "Подана апелляция. Ордер заморожен.",
    },
}
DESCRIPTIONS = {
    "en": {
        R.CRYPTO_NOT_RELEASED: "Paid in full, the seller does not release.",
        R.PAYMENT_NOT_RECEIVED: "Buyer marked paid, nothing arrived.",
        R.WRONG_AMOUNT: "The amount received differs from the order.",
        R.THIRD_PARTY_PAYMENT: "Payment came from someone who is not the buyer.",
        R.CHARGEBACK: "The payment was reversed after I released.",
        R.FRAUD_SCAM: "Fake receipt and pressure to move off the platform.",
        R.ACCOUNT_COMPROMISED: "I did not place this order; my account was taken over.",
        R.OTHER: "We could not settle the order between us.",
    },
    "zh": {
        R.CRYPTO_NOT_RELEASED: "已付款，卖家不放币。",
        R.PAYMENT_NOT_RECEIVED: "买家点了已付款，但没有到账。",
        R.WRONG_AMOUNT: "到账金额与订单不符。",
        R.THIRD_PARTY_PAYMENT: "付款人不是买家本人。",
        R.CHARGEBACK: "放币后款项被银行冻结扣划。",
        R.FRAUD_SCAM: "对方伪造付款截图并要求私下交易。",
        R.ACCOUNT_COMPROMISED: "账号被盗，订单不是我下的。",
        R.OTHER: "双方无法协商处理。",
    },
    "ru": {
        R.CRYPTO_NOT_RELEASED: "Оплатил, продавец не отпускает.",
        R.PAYMENT_NOT_RECEIVED: "Покупатель нажал «оплачено», денег нет.",
        R.WRONG_AMOUNT: "Пришла не та сумма.",
        R.THIRD_PARTY_PAYMENT: "Оплата от третьего лица.",
        R.CHARGEBACK: "Платёж оспорили после того, как я отпустил.",
        R.FRAUD_SCAM: "Поддельный чек и уговоры уйти в телеграм.",
        R.ACCOUNT_COMPROMISED: "Это не мой ордер, аккаунт взломали.",
        R.OTHER: "Не смогли договориться.",
    },
}
# reason: (weight, share opened by the buyer, [(outcome, responsible, rule, weight)])
OUT, P = Verdict.Outcome, Verdict.ResponsibleParty
REASONS = {
    R.CRYPTO_NOT_RELEASED: (
        28,
        0.95,
        [
            (OUT.RELEASE_TO_BUYER, P.SELLER, "P2P-1.2", 3),
            (OUT.RELEASE_TO_BUYER, P.NONE, "P2P-1.1", 5),
            (OUT.RETURN_TO_SELLER, P.BUYER, "P2P-2.1", 2),
        ],
    ),
    R.PAYMENT_NOT_RECEIVED: (
        24,
        0.05,
        [
            (OUT.RETURN_TO_SELLER, P.BUYER, "P2P-2.1", 6),
            (OUT.RETURN_TO_SELLER, P.BUYER, "P2P-2.2", 2),
            (OUT.RELEASE_TO_BUYER, P.NONE, "P2P-1.1", 2),
        ],
    ),
    R.WRONG_AMOUNT: (
        8,
        0.4,
        [
            (OUT.RELEASE_TO_BUYER, P.NONE, "P2P-3.1", 5),
            (OUT.RETURN_TO_SELLER, P.BUYER, "P2P-3.1", 3),
        ],
    ),
    R.THIRD_PARTY_PAYMENT: (10, 0.1, [(OUT.RETURN_TO_SELLER, P.BUYER, "P2P-4.1", 1)]),
    R.CHARGEBACK: (5, 0.0, [(OUT.NO_ACTION, P.BUYER, "P2P-5.1", 1)]),
    R.FRAUD_SCAM: (
        12,
        0.5,
        [
            (OUT.RETURN_TO_SELLER, P.BUYER, "P2P-6.2", 3),
            (OUT.RELEASE_TO_BUYER, P.SELLER, "P2P-6.1", 2),
        ],
    ),
    R.ACCOUNT_COMPROMISED: (4, 0.5, [(OUT.RETURN_TO_SELLER, P.BUYER, "P2P-7.1", 1)]),
    R.OTHER: (
        9,
        0.5,
        [(OUT.NO_ACTION, P.NONE, "P2P-8.1", 2), (OUT.RETURN_TO_SELLER, P.NONE, "P2P-9.1", 1)],
    ),
}
# Which chat script of CHATS fits a reason (0: payment dispute, 1: third-party payer,
# 2: off-platform pressure).
SCRIPT_FOR = {R.THIRD_PARTY_PAYMENT: 1, R.FRAUD_SCAM: 2}
RATIONALES = {
    OUT.RELEASE_TO_BUYER: "The buyer proved the payment; crypto released to the buyer.",
    OUT.RETURN_TO_SELLER: "No valid payment was proven; order cancelled, crypto returned to "
    "the seller.",
    OUT.NO_ACTION: "Nothing left in escrow to move; closed with no fund movement.",
}
ESCALATIONS = (
    "High value and conflicting evidence; needs a senior.",
    "Possible linked accounts; senior to review with risk.",
)
# Status mix by the appeal's age: recent ones are still being worked, old ones are done.
STATUS_BY_AGE = (
    (3 * 3600, {S.OPEN: 55, S.IN_REVIEW: 30, S.AWAITING_EVIDENCE: 5, S.ESCALATED: 10}),
    (
        24 * 3600,
        {
            S.OPEN: 10,
            S.IN_REVIEW: 30,
            S.AWAITING_EVIDENCE: 25,
            S.ESCALATED: 12,
            S.PENDING_APPROVAL: 8,
            S.RESOLVED: 10,
            S.CANCELLED: 5,
        },
    ),
    (
        72 * 3600,
        {
            S.OPEN: 3,
            S.IN_REVIEW: 12,
            S.AWAITING_EVIDENCE: 15,
            S.ESCALATED: 8,
            S.PENDING_APPROVAL: 7,
            S.RESOLVED: 45,
            S.CANCELLED: 10,
        },
    ),
    (
        10**12,
        {S.RESOLVED: 85, S.CANCELLED: 12, S.AWAITING_EVIDENCE: 1, S.IN_REVIEW: 1, S.ESCALATED: 1},
    ),
)


def _table(weights: dict[Any, int], size: int = 1000) -> list[Any]:
    """A list to rng.choice() from, in proportion to the weights: cheaper than choices()."""
    total = sum(weights.values())
    out: list[Any] = []
    for value, weight in weights.items():
        out += [value] * max(1, round(size * weight / total))
    return out


# --- the generator ------------------------------------------------------------------------


@dataclass
class BulkResult:
    run: int
    orders: int
    traders: int
    messages: int
    status_changes: int
    verdicts: int
    seconds: float

    def describe(self) -> str:
        rate = self.orders / self.seconds if self.seconds else 0
        return (
            f"Bulk load SC{self.run}: {self.orders:,} orders and appeals, {self.traders:,} "
            f"traders, {self.messages:,} chat messages, {self.status_changes:,} status "
            f"changes, {self.verdicts:,} verdicts in {self.seconds:.1f} s "
            f"({rate:,.0f} appeals/s). Benchmark data: no audit entries, outbox events or "
            "evidence files were written for it."
        )


class Generator:
    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        run: int,
        staff: dict[str, AbstractBaseUser],
        rules: dict[str, int],
    ) -> None:
        self.rng = random.Random(seed)
        self.run = run
        self.now = int(now.timestamp())
        # Timestamps are formatted by table lookup: a day part and a time-of-day part.
        self.epoch_day = (self.now - 1600 * 86400) // 86400 * 86400  # covers registrations
        days = (self.now - self.epoch_day) // 86400 + 3
        self.days = [
            (datetime.fromtimestamp(self.epoch_day + d * 86400, UTC)).strftime("%Y-%m-%d ")
            for d in range(days)
        ]
        self.tod = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}+00" for s in range(86400)]
        self.staff = {name: str(user.pk) for name, user in staff.items()}
        self.language_of: dict[int, str] = {}
        # What a verdict records of its rule: the id, and the code, title and text it cited.
        self.rules = {
            code: (str(pk), copy_text(code), copy_text(title), copy_text(text))
            for code, (pk, title, text) in rules.items()
        }
        self.sla_first = settings.SLA_FIRST_RESPONSE_MINUTES * 60
        self.sla_resolution = settings.SLA_RESOLUTION_HOURS * 3600
        self.sla_evidence = settings.SLA_EVIDENCE_HOURS * 3600
        self.reasons = _table({reason: spec[0] for reason, spec in REASONS.items()})
        self.languages = _table({"zh": 40, "ru": 25, "en": 35})
        self.en_currencies = _table({"EUR": 45, "USD": 25, "GBP": 12, "BRL": 18})
        self.rails = {
            cur: _table({rail.method: w for rail, w in rails}) for cur, rails in RAILS.items()
        }
        self.assets = _table({"USDT": 80, "BTC": 12, "ETH": 8})
        self.channels = _table({"in_app": 85, "email": 8, "live_chat": 7})
        self.status_tables = [(limit, _table(weights)) for limit, weights in STATUS_BY_AGE]
        self.outcomes = {
            reason: _table({(o, p, rule): w for o, p, rule, w in spec[2]})
            for reason, spec in REASONS.items()
        }
        self.thresholds = {a: float(threshold_for(a) or 0) for a in ASSET_IN_USDT}
        self.prices = {
            (asset, cur): [
                float(ASSET_IN_USDT[asset]) * (float(low) + (float(high) - float(low)) * i / 9)
                for i in range(10)
            ]
            for asset in ASSET_IN_USDT
            for cur, (low, high) in USDT_PRICE.items()
        }
        self.decimals = {"USDT": 2, "BTC": 6, "ETH": 5}
        # Offsets (seconds after the order's creation) of a chat's lines, pre-drawn.
        self.offsets = []
        for _ in range(500):
            t, line_times = 20, []
            for _ in range(12):
                line_times.append(t)
                t += self.rng.randint(15, 240)
            self.offsets.append(line_times)

    def ts(self, t: int) -> str:
        return self.days[(t - self.epoch_day) // 86400] + self.tod[t % 86400]

    # -- traders -------------------------------------------------------------------------

    def traders(
        self, ids: list[int]
    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], dict[str, list[int]]]:
        """Trader rows, their device/IP signals, and the trader ids by language."""
        rng, rows, signals = self.rng, [], []
        by_lang: dict[str, list[int]] = {"zh": [], "ru": [], "en": []}
        intl = [(p.country, p.language) for p in INTERNATIONAL]
        zh_names = ONE_OFF_NAMES["CN"]
        ru_names = ONE_OFF_NAMES["RU"]
        en_names = [p.native for p in INTERNATIONAL]
        cn_given = [p.native[1:] for p in CHINESE] + [g for g, _l in zh_names[1]]
        ru_pool = [p.native for p in RUSSIAN]
        shared_ip = None
        for n, pk in enumerate(ids):
            lang = rng.choice(self.languages)
            if lang == "zh":
                kyc = rng.choice(zh_names[0])[0] + rng.choice(cn_given)
                country, language, display = "CN", "zh", f"币友{rng.randint(10000, 999999)}"
            elif lang == "ru":
                kyc = (
                    f"{rng.choice(ru_names[1])[0]} {rng.choice(ru_names[0])[0]}"
                    if rng.random() < 0.5
                    else rng.choice(ru_pool)
                )
                country, language, display = "RU", "ru", f"trader{rng.randint(10000, 999999)}"
            else:
                kyc = rng.choice(en_names)
                country, language = rng.choice(intl)
                display = f"user_{rng.getrandbits(24):06x}"
            registered = self.now - rng.randint(60, 1500) * 86400
            created = self.now - rng.randint(57, 70) * 86400
            rows.append(
                (
                    str(pk),
                    f"ST{self.run}-{n:07d}",
                    display,
                    kyc,
                    country,
                    language,
                    self.ts(registered),
                    NULL,
                    "f",
                    self.ts(created),
                    self.ts(created),
                )
            )
            by_lang[lang].append(pk)
            self.language_of[pk] = language
            device = f"{rng.choice(('android', 'ios'))}-{rng.getrandbits(64):016x}"
            ip = (
                f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                f"{rng.randint(1, 254)}"
            )
            # About 2% of accounts come in pairs sharing an IP: linked accounts to find.
            if shared_ip and rng.random() < 0.5:
                ip, shared_ip = shared_ip, None
            elif rng.random() < 0.02:
                shared_ip = ip
            seen = self.ts(created)
            signals.append((str(pk), "device", device, seen, seen))
            signals.append((str(pk), "ip", ip, seen, seen))
        return rows, signals, by_lang

    # -- one batch of orders -------------------------------------------------------------

    def batch(
        self, first: int, order_ids: list[int], appeal_ids: list[int], traders: dict[str, list[int]]
    ) -> dict[str, list[tuple[str, ...]]]:
        rng, now, ts = self.rng, self.now, self.ts
        prefix = f"SC{self.run}-"
        orders, messages, appeals, changes, verdicts = [], [], [], [], []
        staff = self.staff
        day_shift = (staff["arbitrator"], staff["arbitrator2"], staff["arbitrator3"])
        seniors = (staff["senior"], staff["senior2"])
        approvers = (staff["senior"], staff["senior2"], staff["lead"])
        span = HISTORY_DAYS * 86400
        everyone = [pk for ids in traders.values() for pk in ids]
        for i, (order_id, appeal_id) in enumerate(zip(order_ids, appeal_ids, strict=True)):
            number = first + i
            oid, aid = str(order_id), str(appeal_id)
            ext = f"{prefix}{number:07d}"
            lang = rng.choice(self.languages)
            # A language with fewer than two traders (tiny loads) borrows everyone.
            pool = traders[lang] if len(traders[lang]) >= 2 else everyone
            buyer = rng.choice(pool)
            seller = rng.choice(pool)
            while seller == buyer:
                seller = rng.choice(pool)
            currency = (
                "CNY" if lang == "zh" else "RUB" if lang == "ru" else rng.choice(self.en_currencies)
            )
            rail = rng.choice(self.rails[currency])
            asset = rng.choice(self.assets)
            reason = rng.choice(self.reasons)
            # Appeals over eight weeks, a little busier lately.
            age = int(span * rng.random() ** 1.2) + 60
            opened = now - age
            status = rng.choice(next(t for limit, t in self.status_tables if age < limit))
            high = status == S.PENDING_APPROVAL or rng.random() < 0.05
            # Amount: value in USDT, capped below the four-eyes threshold unless high.
            threshold = self.thresholds[asset] * float(ASSET_IN_USDT[asset])
            value = rng.uniform(30, 300) if rng.random() < 0.4 else rng.uniform(300, 6000)
            if high:
                value = threshold * rng.uniform(1.1, 4) if threshold else value
            elif threshold:
                value = min(value, threshold * 0.9)
            price = rng.choice(self.prices[(asset, currency)])
            places = self.decimals[asset]
            crypto = round(value / float(ASSET_IN_USDT[asset]), places)
            if crypto <= 0:
                crypto = 10**-places
            fiat = round(crypto * price, 2) or 0.01
            order_created = opened - rng.randint(300, 7200)
            paid = order_created + rng.randint(120, 900)
            opened_by = "buyer" if rng.random() < REASONS[reason][1] else "seller"
            # The story of the appeal, as timestamps.
            fr = rng.randint(60, 1500) if rng.random() < 0.9 else rng.randint(1800, 9000)
            claimed = opened + fr
            assignee = NULL
            first_response = NULL
            resolved_at = NULL
            evidence_due = NULL
            evidence_from = ""
            escalated_at = NULL
            escalation_reason = ""
            updated = opened
            chain = [("", S.OPEN, NULL, opened)]
            verdict = None
            if status != S.OPEN and claimed >= now - 30:
                status = S.OPEN  # too recent for anyone to have picked it up
            elif status not in (S.OPEN, S.IN_REVIEW) and claimed >= now - 900:
                status = S.IN_REVIEW  # picked up, but nothing more has happened yet
            if status in (
                S.IN_REVIEW,
                S.AWAITING_EVIDENCE,
                S.PENDING_APPROVAL,
                S.RESOLVED,
                S.ESCALATED,
            ) or (status == S.CANCELLED and rng.random() < 0.5):
                worker = (
                    rng.choice(seniors)
                    if rng.random() < 0.1
                    else day_shift[((opened + 8 * 3600) // 3600 % 24 - 6) % 24 // 8]
                )
                assignee, first_response, updated = worker, ts(claimed), claimed
                chain.append((S.OPEN, S.IN_REVIEW, worker, claimed))
                t = claimed
                if status == S.AWAITING_EVIDENCE:
                    t += rng.randint(300, 3600)
                    if t < now:
                        evidence_due = ts(t + self.sla_evidence)
                        evidence_from = "seller" if opened_by == "buyer" else "buyer"
                        chain.append((S.IN_REVIEW, S.AWAITING_EVIDENCE, worker, t))
                        updated = t
                    else:
                        status = S.IN_REVIEW
                elif status == S.ESCALATED:
                    t += rng.randint(300, 7200)
                    if t < now:
                        escalated_at, escalation_reason = ts(t), rng.choice(ESCALATIONS)
                        assignee = NULL
                        chain.append((S.IN_REVIEW, S.ESCALATED, worker, t))
                        updated = t
                    else:
                        status = S.IN_REVIEW
                elif status in (S.RESOLVED, S.PENDING_APPROVAL):
                    slow = rng.random() < 0.08
                    t += rng.randint(50 * 3600, 90 * 3600) if slow else rng.randint(1800, 40 * 3600)
                    limit = now - 120
                    if t >= limit:
                        t = claimed + (limit - claimed) * 2 // 3
                    decider = worker
                    if rng.random() < 0.1:
                        # Escalated on the way, decided by a senior.
                        up = claimed + (t - claimed) // 3
                        escalated_at, escalation_reason = ts(up), rng.choice(ESCALATIONS)
                        decider = rng.choice(seniors)
                        chain.append((S.IN_REVIEW, S.ESCALATED, worker, up))
                        chain.append((S.ESCALATED, S.IN_REVIEW, decider, up + 600))
                        assignee = decider
                    outcome, responsible, rule = rng.choice(self.outcomes[reason])
                    proposed = t
                    approver = NULL
                    if high:
                        chain.append((S.IN_REVIEW, S.PENDING_APPROVAL, decider, proposed))
                        if status == S.RESOLVED:
                            t = proposed + rng.randint(600, 6 * 3600)
                            if t >= now:
                                t = proposed + (now - proposed) // 2
                            approver = rng.choice([a for a in approvers if a != decider])
                            chain.append((S.PENDING_APPROVAL, S.RESOLVED, approver, t))
                    else:
                        status = S.RESOLVED
                        chain.append((S.IN_REVIEW, S.RESOLVED, decider, t))
                    state = "effective" if status == S.RESOLVED else "pending"
                    if status == S.RESOLVED:
                        resolved_at = ts(t)
                    verdict = (
                        aid,
                        outcome,
                        responsible,
                        *self.rules[rule],
                        RATIONALES[outcome],
                        state,
                        "t" if high else "f",
                        decider,
                        approver,
                        "",
                        "{}",
                        ts(proposed),
                        ts(t) if state == "effective" else NULL,
                        ts(t) if approver != NULL else NULL,
                    )
                    updated = t
            if status == S.CANCELLED:
                t = max(claimed if assignee != NULL else opened, opened) + rng.randint(600, 20000)
                if t >= now:
                    t = opened + (now - opened) // 2
                chain.append((chain[-1][1], S.CANCELLED, NULL, t))
                resolved_at, updated = ts(t), t
            # The order as the exchange sees it now.
            if status == S.RESOLVED:
                order_status = (
                    "released"
                    if verdict[1] == OUT.RELEASE_TO_BUYER
                    else "cancelled"
                    if verdict[1] == OUT.RETURN_TO_SELLER
                    else "released"
                )
            elif status == S.CANCELLED:
                order_status = "released" if rng.random() < 0.6 else "cancelled"
            else:
                order_status = "appealed"
            released = ts(min(updated + 120, now)) if order_status == "released" else NULL
            priority = (
                "3" if reason in (R.ACCOUNT_COMPROMISED, R.FRAUD_SCAM) else "2" if high else "1"
            )
            orders.append(
                (
                    oid,
                    ext,
                    str(buyer),
                    str(seller),
                    asset,
                    f"{crypto:.{places}f}",
                    currency,
                    f"{fiat:.2f}",
                    f"{price:.2f}",
                    rail,
                    order_status,
                    ts(order_created),
                    ts(paid),
                    released,
                    ts(order_created),
                    ts(max(updated, order_created)),
                )
            )
            # Chat: the order's own log up to the appeal (~10 lines).
            script = CHATS[lang][SCRIPT_FOR.get(reason, 0)]
            lines = rng.choice(self.offsets)
            system = SYSTEM_LINES[lang]
            money = f"{fiat:,.2f} {currency}"
            messages.append((oid, f"{ext}-00", "system", ts(order_created), system["created"]))
            count = min(len(script), rng.randint(7, 10))
            last_party = order_created
            for k in range(count):
                sender, text = script[k]
                at = min(order_created + lines[k], opened - 10 + k)
                if text.startswith("@"):
                    text = system[text]
                elif "{" in text:
                    text = text.replace("{money}", money)
                messages.append((oid, f"{ext}-{k + 1:02d}", sender, ts(at), text))
                if sender != "system":
                    last_party = at
            messages.append((oid, f"{ext}-{count + 1:02d}", "system", ts(opened), system["appeal"]))
            appeals.append(
                (
                    aid,
                    oid,
                    opened_by,
                    reason,
                    DESCRIPTIONS[lang][reason],
                    rng.choice(self.channels),
                    status,
                    assignee,
                    priority,
                    ts(opened),
                    ts(updated),
                    ts(opened + self.sla_first),
                    ts(opened + self.sla_resolution),
                    evidence_due,
                    evidence_from,
                    first_response,
                    resolved_at,
                    escalated_at,
                    escalation_reason,
                    NULL,
                    "[]",
                    f"{crypto:.{places}f}",
                    asset,
                    rail,
                    self.language_of.get(buyer, ""),
                    self.language_of.get(seller, ""),
                    ts(last_party),
                    first_response if assignee != NULL else NULL,
                    "",
                    "0",
                    "",
                    "senior_arbitrator" if escalated_at != NULL else "",
                )
            )
            for from_status, to_status, actor, at in chain:
                changes.append((aid, from_status, to_status, actor, "", ts(at)))
            if verdict:
                verdicts.append(verdict)
        return {
            "order": orders,
            "message": messages,
            "appeal": appeals,
            "change": changes,
            "verdict": verdicts,
        }


# --- writing ------------------------------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys from the table's own sequence, so later inserts never collide."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the loader runs in one write transaction (IMMEDIATE), so max+1 is ours.
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _copy(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    if not rows:
        return
    if _is_postgres():
        columns = ", ".join(f'"{c}"' for c in _columns(model, fields))
        data = io.StringIO("\n".join(["\t".join(row) for row in rows]) + "\n")
        sql = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, data, size=1 << 20)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(data.getvalue())
        return
    # SQLite (small loads, e.g. the tests): each value through its field's own conversion.
    # Not bulk_create: it would stamp auto_now fields (updated_at...) with today.
    field_objects = [model._meta.get_field(name) for name in fields]

    def convert(field: models.Field, value: str) -> Any:
        if value == NULL:
            return None
        if "\\" in value:
            value = _copy_unescape(value)
        if isinstance(field, models.JSONField):
            return field.get_db_prep_save(json.loads(value), connection)
        return field.get_db_prep_save(field.to_python(value), connection)

    columns = ", ".join(f'"{c}"' for c in _columns(model, fields))
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})',  # noqa: S608
            [[convert(f, v) for f, v in zip(field_objects, row, strict=True)] for row in rows],
        )


def _next_run() -> int:
    run = 1
    while (
        Order.objects.filter(external_id=f"SC{run}-{0:07d}").exists()
        or Trader.objects.filter(external_id=f"ST{run}-{0:07d}").exists()
    ):
        run += 1
    return run


def bulk_load(
    *,
    count: int,
    seed: int,
    now: datetime,
    staff: dict[str, AbstractBaseUser],
    stdout: Any,
    progress: bool = True,
) -> BulkResult:
    started = time.monotonic()
    for model, fields in [*TABLES, (Trader, TRADER_FIELDS), (AccountSignal, SIGNAL_FIELDS)]:
        _check_columns(model, fields)
    rules = {
        code: (pk, title, text)
        for code, pk, title, text in Rule.objects.filter(active=True).values_list(
            "code", "id", "title", "text"
        )
    }
    needed = {rule for spec in REASONS.values() for _o, _p, rule, _w in spec[2]}
    if needed - set(rules):
        raise CommandError(
            f"Rules missing from the rulebook: {', '.join(sorted(needed - set(rules)))}"
        )
    run = _next_run()
    gen = Generator(seed=seed + run, now=now, run=run, staff=staff, rules=rules)
    postgres = _is_postgres()
    trader_count = max(10, count // 5)
    if not postgres:
        # On SQLite the whole load is one write transaction (see _reserve_ids).
        with transaction.atomic():
            return _load(gen, count, trader_count, run, started, postgres, stdout, progress)
    with connection.cursor() as cursor:
        # Benchmark data: a crash may lose the last batches, nothing else; no fsync wait.
        cursor.execute("SET synchronous_commit TO off")
    try:
        return _load(gen, count, trader_count, run, started, postgres, stdout, progress)
    finally:
        if not connection.needs_rollback:  # else an error is on its way up: let it through
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _load(
    gen: Generator,
    count: int,
    trader_count: int,
    run: int,
    started: float,
    postgres: bool,
    stdout: Any,
    progress: bool,
) -> BulkResult:
    stdout.write(
        f"Bulk loading run SC{run}: {count:,} orders/appeals, {trader_count:,} traders "
        f"({'COPY' if postgres else 'INSERT'}, batches of {BATCH:,})..."
    )
    with transaction.atomic():
        trader_ids = _reserve_ids(Trader, trader_count)
        trader_rows, signal_rows, by_lang = gen.traders(trader_ids)
        _copy(Trader, TRADER_FIELDS, trader_rows)
        _copy(AccountSignal, SIGNAL_FIELDS, signal_rows)

    totals = {"message": 0, "change": 0, "verdict": 0}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=count,
            unit="appeal",
            unit_scale=True,
            file=getattr(stdout, "_out", None),
            disable=None,
        )
    batches = [(start, min(BATCH, count - start)) for start in range(0, count, BATCH)]

    def produce(start: int, size: int) -> dict[str, list[tuple[str, ...]]]:
        with transaction.atomic():
            order_ids = _reserve_ids(Order, size)
            appeal_ids = _reserve_ids(Appeal, size)
        return gen.batch(start, order_ids, appeal_ids, by_lang)

    def write(rows: dict[str, list[tuple[str, ...]]]) -> None:
        with transaction.atomic():
            for (model, fields), key in zip(
                TABLES, ("order", "message", "appeal", "change", "verdict"), strict=True
            ):
                _copy(model, fields, rows[key])
        for key in totals:
            totals[key] += len(rows[key])

    try:
        if postgres and len(batches) > 1:
            # Python makes the next batch while PostgreSQL swallows this one (two cores).
            for rows, size in _pipelined(batches, produce):
                write(rows)
                if bar:
                    bar.update(size)
        else:
            for start, size in batches:
                write(produce(start, size))
                if bar:
                    bar.update(size)
    finally:
        if bar:
            bar.close()
    if postgres:
        stdout.write("ANALYZE...")
        with connection.cursor() as cursor:
            for model in (
                Trader,
                AccountSignal,
                Order,
                ChatMessage,
                Appeal,
                AppealStatusChange,
                Verdict,
            ):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return BulkResult(
        run=run,
        orders=count,
        traders=trader_count,
        messages=totals["message"],
        status_changes=totals["change"],
        verdicts=totals["verdict"],
        seconds=time.monotonic() - started,
    )


def _pipelined(
    batches: list[tuple[int, int]], produce: Callable[[int, int], dict]
) -> Iterator[tuple[dict, int]]:
    """Yield produced batches in order, producing the next one in a thread meanwhile."""
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def worker() -> None:
        try:
            for start, size in batches:
                if stop.is_set():
                    return
                ready.put((produce(start, size), size))
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put((exc, 0))
        finally:
            connection.close()  # the thread's own connection
            ready.put((None, 0))

    thread = threading.Thread(target=worker, name="seed-bulk-producer", daemon=True)
    thread.start()
    try:
        while True:
            item, size = ready.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item, size
    finally:
        # On an error downstream, let the producer finish its current batch and quit.
        stop.set()
        while thread.is_alive():
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
