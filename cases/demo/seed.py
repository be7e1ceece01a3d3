"""The story demo: about 150 appeals over the last eight weeks, made through the real
services so the audit chain, status-change rows and outbox events all agree.

How it works: every case is planned first as a list of timed steps (the order is created,
paid, appealed; an arbitrator claims it minutes later, asks for evidence, a party answers,
a verdict is proposed and approved...). All steps of all cases are then sorted by time and
run one by one inside `time_machine.travel(step time)`, so every `timezone.now()` default
(audit entries, outbox events, evidence upload times, status changes) lands at that
moment in history, and the audit log's order is also the order of time. Steps that would
fall after "now" are never planned: a case opened an hour ago is still open or in review.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cases import lifecycle
from cases.lifecycle import ProposedAction
from cases.models import Appeal, Order, Trader, Verdict
from cases.services import chat_ingest, order_upsert, signals_ingest
from evidence.models import Evidence
from evidence.services import evidence_add

from . import documents
from .people import (
    ASSET_DECIMALS,
    ASSET_IN_USDT,
    COMPANIES,
    COUNTRY_CURRENCY,
    EMAIL_DOMAINS,
    POOLS,
    RAILS,
    RING,
    THIRD_PARTIES,
    TIME_ZONES,
    USDT_PRICE,
    Bank,
    Person,
    Rail,
    format_money,
    one_off_person,
)
from .stories import (
    BUYER,
    GENERIC_ESCALATIONS,
    GENERIC_REQUESTS,
    RING_STORY,
    SELLER,
    SIDE_NAMES,
    STORIES,
    SYSTEM,
    SYSTEM_TEXTS,
    WITHDRAWALS,
    Decision,
    Doc,
    Story,
)

S = Appeal.Status
HISTORY_DAYS = 56
# Where the demo's account takeovers log in from: never the owner's own country.
INTRUDER_COUNTRIES = ("NG", "VN")
# The trader ids never depend on --seed: they are how a re-run recognises a loaded demo.
TRADER_ID_BASE = 70_100_000
SERVICE_NAME = "p2p-order-service"


# --- planning records ---------------------------------------------------------------------


@dataclass
class TraderInfo:
    person: Person
    external_id: str
    ip: str
    device: str
    email: str
    bank_pick: int
    registered_at: datetime
    # A payment account the exchange saw on them, reported as a signal when set.
    payment_account: str = ""

    @property
    def currency(self) -> str:
        return COUNTRY_CURRENCY[self.person.country]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(TIME_ZONES.get(self.person.country, "UTC"))

    def payload(self) -> dict[str, str]:
        return {
            "external_id": self.external_id,
            "display_name": self.person.display,
            "kyc_name": self.person.native,
            "country": self.person.country,
            "language": self.person.language,
        }

    def bank(self, rail: Rail) -> Bank:
        return rail.banks[self.bank_pick % len(rail.banks)]


@dataclass
class OrderPlan:
    buyer: TraderInfo
    seller: TraderInfo
    asset: str
    crypto: Decimal
    currency: str
    fiat: Decimal
    price: Decimal
    rail: Rail
    created_at: datetime
    external_id: str = ""
    order: Order | None = None

    def fields(
        self, status: str, *, paid_at: datetime | None = None, released_at: datetime | None = None
    ) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "crypto_amount": self.crypto,
            "fiat_currency": self.currency,
            "fiat_amount": self.fiat,
            "price": self.price,
            "payment_method": self.rail.method,
            "status": status,
            "created_at": self.created_at,
            "paid_at": paid_at,
            "released_at": released_at,
        }


@dataclass
class Case:
    story: Story
    plan: OrderPlan
    opened_at: datetime
    target: str
    ctx: dict[str, str] = field(default_factory=dict)
    high_value: bool = False
    send_back: bool = False
    slow: bool = False
    always_escalate: bool = False
    decision: Decision | None = None
    escalate: str = ""
    paid_at: datetime | None = None
    released_at: datetime | None = None
    timed_out_at: datetime | None = None
    payer: tuple[str, str] = ("", "")  # (native, latin) name on the payment
    paid_amount: Decimal | None = None
    diff_amount: Decimal | None = None
    appeal: Appeal | None = None
    verdict: Verdict | None = None
    # Planted-pattern hooks: a fixed voucher image instead of a rendered one.
    voucher_bytes: Callable[[], tuple[bytes, str]] | None = None
    notes: tuple[str, ...] = ()

    @property
    def appellant(self) -> TraderInfo:
        return self.plan.buyer if self.story.opened_by == BUYER else self.plan.seller

    def text(self, template: str) -> str:
        return template.format_map(self.ctx)


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    run: Callable[[], Any] = field(compare=False)


# --- the seeder ---------------------------------------------------------------------------


class DemoSeeder:
    def __init__(self, *, seed: int, now: datetime, staff: dict[str, AbstractBaseUser]) -> None:
        self.rng = random.Random(seed)
        self.now = now.replace(microsecond=0)
        self.start = self.now - timedelta(days=HISTORY_DAYS)
        self.staff = staff
        self.steps: list[Step] = []
        self._seq = itertools.count()
        self.orders: list[OrderPlan] = []
        self.cases: list[Case] = []
        self.traders: dict[str, list[TraderInfo]] = {}
        self.ring: list[TraderInfo] = []
        self.one_offs: list[TraderInfo] = []
        self.service: AbstractBaseUser | None = None
        self._order_ids: set[str] = set()
        self._signalled: set[str] = set()
        self.ops_tz = ZoneInfo(settings.OPERATIONS_TIME_ZONE)

    # -- entry points --------------------------------------------------------------------

    @staticmethod
    def already_loaded() -> bool:
        return (
            Trader.objects.filter(
                external_id=f"usr-{TRADER_ID_BASE + 1}", buy_orders__isnull=False
            ).exists()
            or Trader.objects.filter(
                external_id=f"usr-{TRADER_ID_BASE + 1}", sell_orders__isnull=False
            ).exists()
        )

    def plan(self, *, cases: int = 150) -> None:
        self._plan_traders()
        self._plan_story_cases(cases)
        self._plan_ring()
        self._plan_plain_orders()
        self._assign_order_ids()

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run every planned step at its time, in one transaction: all or nothing."""
        self.steps.sort()
        with transaction.atomic():
            self.service = self._service_account()
            for step in self.steps:
                with time_machine.travel(step.at, tick=False):
                    step.run()
                if progress:
                    progress(1)
            self._loss_spike()
            self._set_registration_dates()
            self._plant_restrictions()

    def _loss_spike(self) -> None:
        """Recent chargebacks and scams lost on one payment method (cases.demo.losses)."""
        from cases.demo.losses import loss_spike

        ids = [t.external_id for group in self.traders.values() for t in group][:40]
        traders = list(Trader.objects.filter(external_id__in=ids))
        if len(traders) >= 2:
            loss_spike(rng=self.rng, now=self.now, decider=self.staff["senior"], traders=traders)

    def _service_account(self) -> AbstractBaseUser:
        """The P2P order service pushes orders, chat, appeals and evidence: it is the actor
        of those audit entries, as it would be through the API."""
        from django.contrib.auth import get_user_model

        from cases.services import service_account_issue_token

        user = get_user_model().objects.filter(username=f"svc-{SERVICE_NAME}").first()
        if user is None:
            with time_machine.travel(self.start - timedelta(days=3), tick=False):
                token, _created = service_account_issue_token(name=SERVICE_NAME)
            user = token.user
        return user

    def _set_registration_dates(self) -> None:
        # The contract's trader fields leave out the registration date, so trader_upsert
        # never sets it; the demo fills it in directly so account age means something.
        for info in itertools.chain(*self.traders.values(), self.ring, self.one_offs):
            Trader.objects.filter(external_id=info.external_id, registered_at__isnull=True).update(
                registered_at=info.registered_at
            )

    def _plant_restrictions(self) -> None:
        """The ring's accounts on the trader page: one restricted until a date, one whose
        restriction was lifted, one proposed by the risk analyst for a team lead, through
        the lifecycle (audit entries and events included). Now, not at a step's time: an
        end in the past would be no restriction at all."""
        from cases import lifecycle

        held, lifted, proposed = (
            Trader.objects.get(external_id=info.external_id) for info in self.ring[:3]
        )
        lifecycle.restriction_add(
            actor=self.staff["lead"],
            trader=held,
            functions=["withdrawal", "p2p"],
            reason="One device behind three accounts; withdrawals held while compliance "
            "reviews the KYC documents.",
            until=timezone.now() + timedelta(days=14),
        )
        mistaken = lifecycle.restriction_add(
            actor=self.staff["senior"],
            trader=lifted,
            functions=["login"],
            reason="Suspected account takeover: logins from a new country.",
        )
        lifecycle.restriction_lift(
            actor=self.staff["lead"],
            restriction_id=mistaken.pk,
            reason="The owner confirmed the trip by video call.",
        )
        lifecycle.restriction_propose(
            actor=self.staff["risk"],
            trader=proposed,
            functions=["p2p"],
            reason="Shares a device and an IP with two accounts already restricted.",
        )

    # -- scheduling ----------------------------------------------------------------------

    def at(self, when: datetime, run: Callable[[], Any]) -> None:
        if when > self.now:
            raise AssertionError(f"planned a step in the future: {when}")
        self.steps.append(Step(when, next(self._seq), run))

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=int(self.rng.uniform(low, high) * 60))

    # -- people --------------------------------------------------------------------------

    def _plan_traders(self) -> None:
        number = itertools.count(TRADER_ID_BASE + 1)
        for lang, people in POOLS.items():
            self.traders[lang] = [self._trader(person, next(number), lang) for person in people]
        self.ring = [self._trader(person, next(number), "en") for person in RING]
        # The ring (one person, three accounts) shares a device; two share an IP as well.
        # Planted for the risk engine's `linked_accounts` signal.
        shared_device = "android-3f9c1e7a52d04b8e"
        for info in self.ring:
            info.device = shared_device
        self.ring[1].ip = self.ring[0].ip = "203.0.113.77"
        # The first and the last pay from one IBAN: a cluster by payment account as well.
        self.ring[0].payment_account = self.ring[2].payment_account = "IT60X0542811101000000123456"

    def _trader(self, person: Person, number: int, lang: str) -> TraderInfo:
        rng = self.rng
        local = person.latin.lower().replace(" ", rng.choice([".", "_", ""]))
        local = "".join(ch for ch in local if ch.isalnum() or ch in "._")
        if lang == "zh":
            local = f"{local}{rng.randint(10, 99)}"
        platform = rng.choice(["android", "ios", "ios", "web"])
        return TraderInfo(
            person=person,
            external_id=f"usr-{number}",
            ip=f"{rng.choice([31, 46, 77, 85, 91, 101, 112, 178, 185, 188])}."
            f"{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
            device=f"{platform}-{rng.getrandbits(64):016x}",
            email=f"{local}@{rng.choice(EMAIL_DOMAINS[lang])}",
            bank_pick=rng.randrange(12),
            registered_at=self.start - timedelta(days=rng.randint(20, 900)),
        )

    def _one_off(self, currency: str, first_order: datetime) -> TraderInfo:
        number = TRADER_ID_BASE + 500 + len(self.one_offs)
        info = self._trader(
            one_off_person(self.rng, currency),
            number,
            {"CNY": "zh", "RUB": "ru"}.get(currency, "en"),
        )
        info.registered_at = first_order - timedelta(days=self.rng.uniform(0.5, 25))
        self.one_offs.append(info)
        return info

    def _pick_pair(self, lang: str, currency: str | None) -> tuple[TraderInfo, TraderInfo]:
        pool = self.traders[lang]
        if currency:
            pool = [t for t in pool if t.currency == currency]
        merchants = [t for t in pool if t.person.merchant]
        seller = self.rng.choice(merchants if merchants and self.rng.random() < 0.7 else pool)
        buyer = self.rng.choice(
            [t for t in pool if t is not seller and not t.person.merchant]
            or [t for t in pool if t is not seller]
        )
        return buyer, seller

    # -- orders --------------------------------------------------------------------------

    def _order_plan(
        self,
        buyer: TraderInfo,
        seller: TraderInfo,
        currency: str,
        created_at: datetime,
        *,
        high_value: bool = False,
        asset: str | None = None,
    ) -> OrderPlan:
        rng = self.rng
        asset = asset or rng.choices(["USDT", "BTC", "ETH"], weights=[80, 12, 8])[0]
        low, high = USDT_PRICE[currency]
        usdt_price = low + (high - low) * Decimal(rng.random())
        price = ASSET_IN_USDT[asset] * usdt_price * Decimal(rng.uniform(0.985, 1.015))
        price = price.quantize(Decimal("0.01"))
        threshold = lifecycle.threshold_for(asset) or Decimal(0)
        if high_value:
            value = float(threshold * ASSET_IN_USDT[asset]) * rng.uniform(1.1, 4.5)
        else:
            bucket = rng.choices(
                [(50, 300), (300, 1500), (1500, 6000), (6000, 9500)], weights=[30, 40, 25, 5]
            )[0]
            value = rng.uniform(*bucket)
            if threshold:
                value = min(value, float(threshold * ASSET_IN_USDT[asset]) * 0.9)
        fiat = Decimal(value) * usdt_price
        if rng.random() < 0.6:
            step = Decimal(10) if fiat < 2000 else Decimal(100)
            fiat = (fiat / step).quantize(Decimal(1)) * step
        fiat = fiat.quantize(Decimal("0.01"))
        places = Decimal(1).scaleb(-ASSET_DECIMALS[asset])
        crypto = (fiat / price).quantize(places, rounding=ROUND_DOWN)
        if high_value and threshold and crypto <= threshold:
            crypto = (threshold * Decimal("1.2")).quantize(places)
            fiat = (crypto * price).quantize(Decimal("0.01"))
        rails, weights = zip(*RAILS[currency], strict=True)
        rail = rng.choices(rails, weights=weights)[0]
        plan = OrderPlan(buyer, seller, asset, crypto, currency, fiat, price, rail, created_at)
        self.orders.append(plan)
        return plan

    def _assign_order_ids(self) -> None:
        # Order numbers look like the exchange's: date and time of creation plus a counter.
        for plan in sorted(self.orders, key=lambda p: p.created_at):
            while True:
                candidate = f"P2P-{plan.created_at:%y%m%d%H%M}{self.rng.randint(0, 9999):04d}"
                if candidate not in self._order_ids:
                    break
            self._order_ids.add(candidate)
            plan.external_id = candidate

    def order_ids(self) -> set[str]:
        return set(self._order_ids)

    def _upsert(self, plan: OrderPlan, status: str, **times: datetime | None) -> Callable:
        def run() -> None:
            plan.order, _created = order_upsert(
                external_id=plan.external_id,
                buyer=plan.buyer.payload(),
                seller=plan.seller.payload(),
                actor=self.service,
                **plan.fields(status, **times),
            )

        return run

    def _signals(self, plan: OrderPlan) -> Callable:
        """The devices, IPs and e-mails the exchange saw on the parties, sent the first time
        a trader shows up (once is enough to link accounts, and it keeps `make run` fast)."""

        def run() -> None:
            for info in (plan.buyer, plan.seller):
                if info.external_id in self._signalled:
                    continue
                self._signalled.add(info.external_id)
                trader = plan.order.buyer if info is plan.buyer else plan.order.seller
                seen, home = plan.created_at, info.person.country
                signals = [
                    {"kind": "ip", "value": info.ip, "seen_at": seen, "country": home},
                    {"kind": "device", "value": info.device, "seen_at": seen, "event": "trade"},
                    {"kind": "email", "value": info.email, "seen_at": seen},
                ]
                if info.payment_account:
                    signals.append(
                        {"kind": "payment_account", "value": info.payment_account, "seen_at": seen}
                    )
                signals_ingest(trader=trader, signals=signals, actor=self.service)

        return run

    def _takeover(self, plan: OrderPlan, side: str) -> Callable:
        """The owner's weeks of logins from their usual phone at home, then an intruder's
        login from a new device in another country and a password change, under an hour
        before the order. Planted for `new_device_before_trade` and the case page's
        account-security timeline (the appellant is the owner reporting it)."""
        info = plan.buyer if side == BUYER else plan.seller
        home = info.person.country
        abroad = next(c for c in INTRUDER_COUNTRIES if c != home)
        rng, created = self.rng, plan.created_at
        intruder_ip = f"102.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"
        intruder_device = f"android-{rng.getrandbits(64):016x}"

        def run() -> None:
            usual = [
                {
                    "kind": kind,
                    "value": value,
                    "seen_at": created - timedelta(days=days, minutes=rng.randint(0, 600)),
                    "country": home,
                    "event": "login",
                }
                for days in (30, 21, 12, 6, 3)
                for kind, value in (("device", info.device), ("ip", info.ip))
            ]
            intruder = [
                {
                    "kind": kind,
                    "value": value,
                    "seen_at": created - timedelta(minutes=minutes),
                    "country": abroad,
                    "event": event,
                }
                for minutes, event in ((52, "login"), (40, "password_change"), (1, "trade"))
                for kind, value in (("device", intruder_device), ("ip", intruder_ip))
            ]
            trader = plan.order.buyer if side == BUYER else plan.order.seller
            signals_ingest(trader=trader, signals=usual + intruder, actor=self.service)

        return run

    def _chat(
        self, plan: OrderPlan, messages: list[tuple[datetime, str, str]], first: int
    ) -> Callable:
        def run() -> None:
            chat_ingest(
                order=plan.order,
                messages=[
                    {
                        "external_id": f"{plan.external_id}-{first + i:03d}",
                        "sender": sender,
                        "sent_at": sent_at,
                        "text": text,
                    }
                    for i, (sent_at, sender, text) in enumerate(messages)
                ],
                actor=self.service,
            )

        return run

    # -- plain orders: the traders' history ----------------------------------------------

    PLAIN_CHAT = {
        "en": [
            ["Hi, paying now", "Received, releasing", "Thanks, smooth trade!"],
            ["hello", "sent", "got it, releasing now"],
            ["Paying via {method}", "Payment received", "thx"],
        ],
        "zh": [
            ["你好，马上付款", "收到，已放币", "谢谢老板"],
            ["在吗", "在的，直接付款就行", "已付", "收到了，放了"],
            ["付了，请查收", "到账了，放币", "合作愉快"],
        ],
        "ru": [
            ["Добрый день, оплачиваю", "Пришло, отпускаю", "Спасибо!"],
            ["Привет, перевёл", "Вижу, отпускаю"],
            ["Оплатил по {method}", "Получил, спасибо"],
        ],
    }

    def _plan_plain_orders(self) -> None:
        """Completed and expired orders without appeals, so every trader has a history."""
        for lang, infos in self.traders.items():
            for info in infos:
                for _ in range(self.rng.randint(1, 3) + (2 if info.person.merchant else 0)):
                    partners = [t for t in infos if t is not info and t.currency == info.currency]
                    partner = self.rng.choice(partners)
                    buyer, seller = (
                        (partner, info)
                        if info.person.merchant or self.rng.random() < 0.5
                        else (info, partner)
                    )
                    created = self.start + timedelta(
                        minutes=self.rng.uniform(
                            0, (self.now - self.start).total_seconds() / 60 - 90
                        )
                    )
                    self._plan_plain_order(lang, buyer, seller, created)

    def _plan_plain_order(
        self, lang: str, buyer: TraderInfo, seller: TraderInfo, created: datetime
    ) -> None:
        plan = self._order_plan(buyer, seller, buyer.currency, created)
        rng = self.rng
        ctx = {
            "method": plan.rail.names.get(lang, plan.rail.method),
            "crypto": f"{plan.crypto:f}",
            "asset": plan.asset,
        }
        # Orders that never went wrong are pushed once, when complete (appealed ones at
        # every change, see _plan_order_events).
        messages = [(created, SYSTEM, SYSTEM_TEXTS["@created"][lang].format_map(ctx))]
        if rng.random() < 0.12:
            expired = created + timedelta(minutes=15)
            messages.append(
                (
                    created + self._minutes(1, 5),
                    BUYER,
                    {
                        "en": "sorry, wrong amount, I'll make a new order",
                        "zh": "不好意思，下错单了",
                        "ru": "Извините, ошиблся, отменю",
                    }[lang],
                )
            )
            messages.append((expired, SYSTEM, SYSTEM_TEXTS["@timeout"][lang]))
            self.at(expired, self._upsert(plan, Order.Status.CANCELLED))
            self.at(expired, self._signals(plan))
            self.at(expired, self._chat(plan, messages, 0))
            return
        paid = created + self._minutes(3, 12)
        released = paid + self._minutes(3, 25)
        script = rng.choice(self.PLAIN_CHAT[lang])
        speakers = itertools.cycle([BUYER, SELLER])
        times = sorted(
            created + self._minutes(0.5, (released - created).total_seconds() / 60) for _ in script
        )
        messages += [
            (t, next(speakers), line.format_map(ctx)) for t, line in zip(times, script, strict=True)
        ]
        messages.append((paid, SYSTEM, SYSTEM_TEXTS["@paid"][lang]))
        messages.append((released, SYSTEM, SYSTEM_TEXTS["@released"][lang].format_map(ctx)))
        messages.sort(key=lambda m: m[0])
        self.at(
            released, self._upsert(plan, Order.Status.RELEASED, paid_at=paid, released_at=released)
        )
        self.at(released, self._signals(plan))
        self.at(released, self._chat(plan, messages, 0))

    # -- story cases ---------------------------------------------------------------------

    def _plan_story_cases(self, count: int) -> None:
        rng = self.rng
        ages = self._ages(count)
        order = list(range(len(STORIES)))
        rng.shuffle(order)
        cases: list[Case] = []
        for i, age in enumerate(sorted(ages)):
            story = STORIES[order[i % len(order)]]
            opened = self.now - age
            cases.append(
                Case(
                    story=story,
                    plan=None,
                    opened_at=opened,  # type: ignore[arg-type]
                    target=self._target(age),
                )
            )
        self._ensure_mix(cases)
        for case in cases:
            self._plan_case(case)
        self.cases.extend(cases)

    def _ages(self, count: int) -> list[timedelta]:
        """Appeals opened over eight weeks, busier lately; enough recent ones for a queue."""
        rng, ages = self.rng, []
        for _ in range(count):
            bucket = rng.random()
            if bucket < 0.16:
                minutes = rng.uniform(8, 24 * 60)
            elif bucket < 0.30:
                minutes = rng.uniform(24 * 60, 72 * 60)
            else:
                # Triangular: more cases in recent weeks than eight weeks ago.
                minutes = rng.triangular(72 * 60, (HISTORY_DAYS - 4) * 24 * 60, 72 * 60)
            ages.append(timedelta(minutes=minutes))
        return ages

    def _target(self, age: timedelta) -> str:
        hours = age.total_seconds() / 3600
        if hours < 3:
            table = {S.OPEN: 55, S.IN_REVIEW: 30, S.AWAITING_EVIDENCE: 5, S.ESCALATED: 10}
        elif hours < 24:
            table = {
                S.OPEN: 10,
                S.IN_REVIEW: 30,
                S.AWAITING_EVIDENCE: 25,
                S.ESCALATED: 12,
                S.PENDING_APPROVAL: 8,
                S.RESOLVED: 10,
                S.CANCELLED: 5,
            }
        elif hours < 72:
            table = {
                S.OPEN: 3,
                S.IN_REVIEW: 12,
                S.AWAITING_EVIDENCE: 15,
                S.ESCALATED: 8,
                S.PENDING_APPROVAL: 7,
                S.RESOLVED: 45,
                S.CANCELLED: 10,
            }
        else:
            table = {S.RESOLVED: 84, S.CANCELLED: 12, S.AWAITING_EVIDENCE: 2, S.IN_REVIEW: 2}
        return self.rng.choices(list(table), weights=list(table.values()))[0]

    def _ensure_mix(self, cases: list[Case]) -> None:
        """At least a few cases in every status, and the special flows the demo shows."""
        counts = Counter(case.target for case in cases)
        minimum = {
            S.OPEN: 4,
            S.IN_REVIEW: 4,
            S.AWAITING_EVIDENCE: 3,
            S.ESCALATED: 3,
            S.PENDING_APPROVAL: 3,
            S.CANCELLED: 4,
        }
        recent = [
            c
            for c in cases
            if self.now - c.opened_at > timedelta(hours=4)
            and self.now - c.opened_at < timedelta(hours=60)
        ]
        for status, need in minimum.items():
            for case in recent:
                if counts[status] >= need:
                    break
                if counts[case.target] > need + 2 and case.target != status:
                    counts[case.target] -= 1
                    case.target = status
                    counts[status] += 1
        for case in cases:
            if case.target == S.PENDING_APPROVAL or case.story.high_value:
                case.high_value = True
            elif case.target in (S.RESOLVED, S.ESCALATED) and self.rng.random() < 0.12:
                case.high_value = True
        # One high-value verdict sent back by the second reviewer, then renewed and approved.
        candidates = [
            c
            for c in cases
            if c.story.decision.outcome == Verdict.Outcome.RELEASE_TO_BUYER
            and c.story.request
            and c.story.request[0] == SELLER
            and self.now - c.opened_at > timedelta(days=5)
        ]
        if candidates:
            chosen = candidates[len(candidates) // 2]
            chosen.target, chosen.high_value, chosen.send_back = S.RESOLVED, True, True
        # Some cases breach the 48 h resolution SLA on purpose.
        for case in cases:
            if case.target == S.RESOLVED and self.rng.random() < 0.1:
                case.slow = True

    def _story_currency(self, story: Story) -> str:
        if story.currencies:
            return self.rng.choice(story.currencies)
        if story.lang == "zh":
            return "CNY"
        if story.lang == "ru":
            return "RUB"
        return self.rng.choices(["EUR", "GBP", "USD", "BRL"], weights=[40, 15, 25, 20])[0]

    def _contacts(self, lang: str) -> dict[str, str]:
        rng = self.rng
        handle = (
            f"@{rng.choice(['fast', 'easy', 'best', 'vip', 'otc', 'p2p', 'king'])}_"
            f"{rng.choice(['usdt', 'crypto', 'rate', 'swap', 'deal'])}{rng.randint(10, 99)}"
        )
        if lang == "ru":
            phone = (
                f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                f"{rng.randint(10, 99)}"
            )
        elif lang == "zh":
            phone = f"+86 13{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        else:
            phone = f"+44 7700 900{rng.randint(100, 999)}"
        return {
            "tg": handle,
            "phone": phone,
            "wx": f"wx_{rng.choice(['kuaibi', 'usdt', 'huilv', 'otc', 'laowang'])}"
            f"{rng.randint(100, 999)}",
            "card4": f"{rng.randint(1000, 9999)}",
        }

    def _plan_case(
        self,
        case: Case,
        *,
        buyer: TraderInfo | None = None,
        seller: TraderInfo | None = None,
        currency: str | None = None,
        asset: str | None = None,
    ) -> None:
        story, rng = case.story, self.rng
        currency = currency or self._story_currency(story)
        created = case.opened_at - self._minutes(*story.open_after)
        if buyer is None or seller is None:
            buyer, seller = self._pick_pair(story.lang, currency if story.lang == "en" else None)
            decision = case.decision or story.decision
            if decision.action and decision.action[0] != "warning":
                # Whoever gets restricted or frozen is a fresh account, not a regular.
                fresh = self._one_off(currency, created)
                if decision.responsible == BUYER:
                    buyer = fresh
                elif decision.responsible == SELLER:
                    seller = fresh
        if story.reason == Appeal.Reason.ACCOUNT_COMPROMISED:
            # A takeover needs an account with a past: the owner's years, not a fresh one.
            owner = buyer if story.opened_by == BUYER else seller
            owner.registered_at = min(owner.registered_at, created - timedelta(days=400))
        plan = self._order_plan(
            buyer, seller, currency, created, high_value=case.high_value, asset=asset
        )
        case.plan = plan
        case.decision = case.decision or story.decision
        case.escalate = case.escalate or story.escalate
        case.notes = case.notes or story.notes
        # Amounts actually paid.
        if story.amounts == "short":
            if story.lang == "zh":
                diff = Decimal(10 ** max(1, len(str(int(plan.fiat))) - 2))
            else:
                diff = (plan.fiat * Decimal(rng.uniform(0.006, 0.02))).quantize(Decimal("0.01"))
            case.paid_amount, case.diff_amount = plan.fiat - diff, diff
        elif story.amounts == "double":
            case.paid_amount, case.diff_amount = plan.fiat * 2, plan.fiat
        else:
            case.paid_amount, case.diff_amount = (
                plan.fiat,
                ((plan.fiat * Decimal("0.03")).quantize(Decimal("0.01"))),
            )
        # Who the money came from.
        payers = {doc.payer for doc in story.docs}
        if "company" in payers:
            case.payer = rng.choice(COMPANIES[story.lang])
        elif "third" in payers:
            case.payer = rng.choice(THIRD_PARTIES[story.lang])
        else:
            case.payer = (buyer.person.native, buyer.person.latin)
        # Chat times; the order's own events come from its system lines.
        chat: list[tuple[datetime, str, str]] = []
        for minute, sender, text in story.chat:
            when = (
                created + timedelta(minutes=minute, seconds=rng.randint(0, 50))
                if minute >= 0
                else case.opened_at + timedelta(minutes=minute, seconds=rng.randint(0, 50))
            )
            chat.append((when, sender, text))
            if text == "@paid":
                case.paid_at = when
            elif text == "@released":
                case.released_at = when
            elif text == "@timeout":
                case.timed_out_at = when
        chat.sort(key=lambda m: m[0])
        pay_time = case.paid_at or created + timedelta(minutes=3)
        local = pay_time.astimezone(buyer.tz)
        rail_name = plan.rail.names.get(story.lang, plan.rail.names.get("en", plan.rail.method))
        case.ctx = {
            "buyer": buyer.person.display,
            "seller": seller.person.display,
            "buyer_name": buyer.person.native,
            "seller_name": seller.person.native,
            "money": format_money(plan.fiat, currency),
            "paid_money": format_money(case.paid_amount, currency),
            "diff_money": format_money(case.diff_amount, currency),
            "crypto": f"{plan.crypto:f}",
            "asset": plan.asset,
            "method": rail_name,
            "bank": buyer.bank(plan.rail).native,
            "ref": self._reference(story.lang),
            "time": local.strftime("%H:%M"),
            "date": local.strftime("%Y-%m-%d"),
            "payer": case.payer[0],
            "days": str(max(1, (case.opened_at - (case.released_at or created)).days)),
            "order": "",  # filled once order numbers are assigned
            **self._contacts(story.lang),
        }
        self._plan_order_events(case, chat)
        self._plan_flow(case)

    def _reference(self, lang: str) -> str:
        rng = self.rng
        if lang == "zh":
            return rng.choice(["", "", f"{rng.randint(1000, 9999)}", "货款"])
        if lang == "ru":
            return rng.choice(["", f"{rng.randint(100000, 999999)}", "Перевод"])
        return rng.choice(
            [
                f"INV{rng.randint(10000, 99999)}",
                f"{rng.randint(100000, 999999)}",
                "payment",
                "Order",
            ]
        )

    def _plan_order_events(self, case: Case, chat: list[tuple[datetime, str, str]]) -> None:
        plan, story = case.plan, case.story
        lang = story.lang
        self.at(plan.created_at, self._upsert(plan, Order.Status.CREATED))
        self.at(plan.created_at, self._signals(plan))
        if story.reason == Appeal.Reason.ACCOUNT_COMPROMISED:
            self.at(plan.created_at, self._takeover(plan, story.opened_by))
        if case.paid_at:
            self.at(case.paid_at, self._upsert(plan, Order.Status.PAID, paid_at=case.paid_at))
        if case.released_at:
            self.at(
                case.released_at,
                self._upsert(
                    plan, Order.Status.RELEASED, paid_at=case.paid_at, released_at=case.released_at
                ),
            )
        if case.timed_out_at:
            self.at(case.timed_out_at, self._upsert(plan, Order.Status.CANCELLED))
        side = SIDE_NAMES[lang][story.opened_by]
        # The chat service hands the whole log over when the appeal opens; what the parties
        # write afterwards arrives message by message.
        messages = [(t, s, self._system_text(case, text)) for t, s, text in chat]
        messages.append((case.opened_at, SYSTEM, SYSTEM_TEXTS["@appeal"][lang].format(side=side)))
        opened = case.opened_at

        def open_appeal() -> None:
            case.ctx["order"] = plan.external_id
            final = [(t, s, text.format_map(case.ctx)) for t, s, text in messages]
            self._chat(plan, final, 0)()
            case.appeal = lifecycle.appeal_open(
                order=plan.order,
                opened_by=story.opened_by,
                reason=story.reason,
                description=case.text(story.description),
                channel=story.channel,
                actor=self.service,
                at=opened,
            )
            order_upsert(
                external_id=plan.external_id,
                buyer=plan.buyer.payload(),
                seller=plan.seller.payload(),
                actor=self.service,
                **plan.fields(
                    Order.Status.APPEALED, paid_at=case.paid_at, released_at=case.released_at
                ),
            )

        self.at(opened, open_appeal)
        for i, (minute, sender, text) in enumerate(story.after):
            when = opened + timedelta(minutes=minute, seconds=self.rng.randint(0, 50))
            if when <= self.now:
                self.at(when, self._late_message(case, when, sender, text, len(messages) + i))

    def _system_text(self, case: Case, text: str) -> str:
        if text.startswith("@"):
            return SYSTEM_TEXTS[text][case.story.lang]
        return text

    def _late_message(
        self, case: Case, when: datetime, sender: str, text: str, number: int
    ) -> Callable:
        def run() -> None:
            self._chat(case.plan, [(when, sender, case.text(text))], number)()

        return run

    # -- working the case ----------------------------------------------------------------

    def _shift_arbitrator(self, when: datetime) -> AbstractBaseUser:
        hour = when.astimezone(self.ops_tz).hour
        if 6 <= hour < 14:
            return self.staff["arbitrator"]
        if 14 <= hour < 22:
            return self.staff["arbitrator2"]
        return self.staff["arbitrator3"]

    def _first_response(self, when: datetime) -> float:
        """Minutes to first response: the night shift is thin, so it breaches more."""
        night = not 6 <= when.astimezone(self.ops_tz).hour < 22
        if self.rng.random() < (0.3 if night else 0.08):
            return self.rng.uniform(35, 160)  # SLA breach (30 min)
        return self.rng.uniform(2, 25)

    def _plan_flow(self, case: Case) -> None:
        """The staff's work on the case, up to its target status, as timed steps."""
        story, rng, target = case.story, self.rng, case.target
        flow: list[tuple[float, bool, Callable]] = []  # (minutes after previous, fixed, step)
        other = SELLER if story.opened_by == BUYER else BUYER

        for doc in story.docs:
            if doc.when == "open":
                flow.append((rng.uniform(0.5, 4), False, self._evidence_step(case, doc)))
        later = [doc for doc in story.docs if doc.when == "later"]
        replies = [doc for doc in story.docs if doc.when == "reply"]

        if target == S.OPEN:
            if later and rng.random() < 0.5:
                flow += [(rng.uniform(10, 60), False, self._evidence_step(case, d)) for d in later]
            return self._fit(case, flow)

        handler = self._shift_arbitrator(case.opened_at)
        if rng.random() < 0.1:
            handler = self.staff[rng.choice(["senior", "senior2"])]
        if target == S.CANCELLED:
            if rng.random() < 0.5:
                flow.append(
                    (self._first_response(case.opened_at), False, self._claim(case, handler))
                )
            flow.append((rng.uniform(20, 480), False, self._cancel(case)))
            return self._fit(case, flow, scalable=True)

        urgent_escalation = (
            story.reason == Appeal.Reason.ACCOUNT_COMPROMISED
            and target == S.ESCALATED
            and rng.random() < 0.5
        )
        if urgent_escalation:
            # Triage: takeovers go straight to the senior queue without a claim.
            flow.append(
                (
                    self._first_response(case.opened_at),
                    False,
                    self._escalate(case, handler, story.escalate),
                )
            )
            return self._fit(case, flow, scalable=True)

        if rng.random() < 0.08:
            flow.append(
                (
                    self._first_response(case.opened_at),
                    False,
                    self._assign(case, self.staff["lead"], handler),
                )
            )
        else:
            flow.append((self._first_response(case.opened_at), False, self._claim(case, handler)))
        flow += [(rng.uniform(10, 90), False, self._evidence_step(case, d)) for d in later]
        notes = list(case.notes)
        if notes and (target != S.IN_REVIEW or rng.random() < 0.6):
            flow.append((rng.uniform(4, 30), False, self._note(case, handler, notes.pop(0))))
        if target == S.IN_REVIEW:
            return self._fit(case, flow, scalable=True)

        request = story.request or (other, GENERIC_REQUESTS[story.lang])
        flow.append(
            (rng.uniform(8, 50), False, self._request(case, handler, request[0], request[1]))
        )
        if target == S.AWAITING_EVIDENCE:
            return self._fit(case, flow, scalable=True)

        if replies:
            wait = rng.uniform(45, 16 * 60)
            flow.append((wait, False, self._evidence_step(case, replies[0])))
            flow += [(rng.uniform(1, 6), False, self._evidence_step(case, d)) for d in replies[1:]]
        else:
            # Nobody answered: the decision waits for the evidence deadline to pass (the
            # other targets only need some time to go by).
            wait = settings.SLA_EVIDENCE_HOURS * 60 + rng.uniform(15, 240)
            flow.append((wait, target == S.RESOLVED, lambda: None))
        if case.slow and replies:
            # The desk sat on it after the party answered: the resolution clock ran on
            # (waiting on a party pauses it, so only the desk's own delay breaches).
            flow.append((rng.uniform(50 * 60, 60 * 60), False, lambda: None))
        if notes:
            flow.append((rng.uniform(10, 60), False, self._note(case, handler, notes.pop(0))))

        escalate = target == S.ESCALATED or (
            target in (S.RESOLVED, S.PENDING_APPROVAL)
            and (
                case.always_escalate or case.escalate and rng.random() < 0.8 or rng.random() < 0.06
            )
        )
        decider = handler
        if escalate:
            reason = case.escalate or rng.choice(GENERIC_ESCALATIONS)
            flow.append((rng.uniform(10, 120), False, self._escalate(case, handler, reason)))
            if target == S.ESCALATED:
                return self._fit(case, flow, scalable=True)
            decider = self.staff[rng.choice(["senior", "senior2"])]
            if rng.random() < 0.85:
                flow.append((rng.uniform(20, 300), False, self._claim(case, decider)))
                if rng.random() < 0.5:
                    flow.append(
                        (
                            rng.uniform(10, 90),
                            False,
                            self._note(
                                case,
                                decider,
                                "Senior review: evidence checked against the rulebook.",
                            ),
                        )
                    )

        flow.append((rng.uniform(15, 200), False, self._propose(case, decider)))
        four_eyes = case.high_value
        if four_eyes and target != S.PENDING_APPROVAL:
            approver = self._approver(decider)
            if case.send_back:
                flow += self._send_back_flow(case, decider, approver)
                approver = self._approver(decider, not_=approver)
            flow.append((rng.uniform(25, 400), False, self._approve(case, approver)))
        if target == S.RESOLVED:
            flow.append((rng.uniform(2, 10), False, self._final_order_update(case)))
        self._fit(case, flow, scalable=target != S.RESOLVED)

    def _approver(
        self, decider: AbstractBaseUser, not_: AbstractBaseUser | None = None
    ) -> AbstractBaseUser:
        choices = [self.staff[n] for n in ("senior", "senior2", "lead")]
        choices = [u for u in choices if u.pk != decider.pk and (not_ is None or u.pk != not_.pk)]
        return self.rng.choice(choices)

    def _send_back_flow(
        self, case: Case, decider: AbstractBaseUser, reviewer: AbstractBaseUser
    ) -> list[tuple[float, bool, Callable]]:
        rng = self.rng
        comment = (
            "Rationale rests on the buyer's screenshot alone. For a release of this "
            "size get the buyer's bank statement with the debit, then propose again."
        )
        statement = Doc(BUYER, "statement", "reply")
        ask = {
            "en": GENERIC_REQUESTS["en"],
            "zh": GENERIC_REQUESTS["zh"],
            "ru": GENERIC_REQUESTS["ru"],
        }[case.story.lang]
        return [
            (rng.uniform(30, 200), False, self._send_back(case, reviewer, comment)),
            (
                rng.uniform(10, 60),
                False,
                self._note(
                    case,
                    decider,
                    "Sent back by the second reviewer: asking the buyer for the "
                    "bank statement before renewing the proposal.",
                ),
            ),
            (rng.uniform(5, 30), False, self._request(case, decider, BUYER, ask)),
            (rng.uniform(90, 600), False, self._evidence_step(case, statement)),
            (
                rng.uniform(15, 90),
                False,
                self._note(
                    case,
                    decider,
                    "Buyer's statement shows the debit from their own account; "
                    "renewing the proposal.",
                ),
            ),
            (rng.uniform(5, 40), False, self._propose(case, decider)),
        ]

    def _fit(
        self, case: Case, flow: list[tuple[float, bool, Callable]], *, scalable: bool = False
    ) -> None:
        """Lay the flow out after the opening; squeeze it into the time left before now
        when allowed, else stop where "now" cuts it (the case is simply not done yet)."""
        available = (self.now - timedelta(minutes=3) - case.opened_at).total_seconds() / 60
        total = sum(minutes for minutes, _fixed, _step in flow)
        if scalable and total > available > 0:
            squeeze = (available * 0.9 - sum(m for m, fixed, _s in flow if fixed)) / max(
                1.0, sum(m for m, fixed, _s in flow if not fixed)
            )
            if squeeze > 0:
                flow = [(m if fixed else max(0.2, m * squeeze), fixed, s) for m, fixed, s in flow]
        when = case.opened_at
        for minutes, _fixed, step in flow:
            when += timedelta(seconds=max(5, int(minutes * 60)))
            if when > self.now - timedelta(minutes=1):
                break
            self.at(when, step)

    # -- steps (closures run at their time) ----------------------------------------------

    def _claim(self, case: Case, actor: AbstractBaseUser) -> Callable:
        return lambda: lifecycle.appeal_claim(appeal_id=case.appeal.pk, actor=actor)

    def _assign(self, case: Case, lead: AbstractBaseUser, assignee: AbstractBaseUser) -> Callable:
        return lambda: lifecycle.appeal_assign(
            appeal_id=case.appeal.pk, assignee=assignee, actor=lead
        )

    def _note(self, case: Case, actor: AbstractBaseUser, text: str) -> Callable:
        return lambda: lifecycle.note_add(
            appeal_id=case.appeal.pk, actor=actor, text=case.text(text)
        )

    def _request(self, case: Case, actor: AbstractBaseUser, party: str, text: str) -> Callable:
        return lambda: lifecycle.appeal_request_evidence(
            appeal_id=case.appeal.pk,
            actor=actor,
            party=party,
            text=case.text(text),
            language=case.story.lang,
        )

    def _escalate(self, case: Case, actor: AbstractBaseUser, reason: str) -> Callable:
        return lambda: lifecycle.appeal_escalate(
            appeal_id=case.appeal.pk, actor=actor, reason=case.text(reason)
        )

    def _cancel(self, case: Case) -> Callable:
        def run() -> None:
            lifecycle.appeal_cancel(
                appeal_id=case.appeal.pk,
                actor=self.service,
                reason=case.story.cancel or WITHDRAWALS[case.story.lang],
            )
            settled = case.decision.outcome == Verdict.Outcome.RELEASE_TO_BUYER
            self._order_final(case, Order.Status.RELEASED if settled else Order.Status.CANCELLED)

        return run

    def _propose(self, case: Case, actor: AbstractBaseUser) -> Callable:
        decision = case.decision

        def run() -> None:
            action = ProposedAction(*decision.action) if decision.action else None
            case.verdict = lifecycle.verdict_propose(
                appeal_id=case.appeal.pk,
                actor=actor,
                outcome=decision.outcome,
                responsible_party=decision.responsible,
                rule_code=decision.rule,
                rationale=case.text(decision.rationale),
                account_action=action,
            )

        return run

    def _approve(self, case: Case, actor: AbstractBaseUser) -> Callable:
        return lambda: lifecycle.verdict_approve(verdict_id=case.verdict.pk, actor=actor)

    def _send_back(self, case: Case, actor: AbstractBaseUser, comment: str) -> Callable:
        return lambda: lifecycle.verdict_send_back(
            verdict_id=case.verdict.pk, actor=actor, comment=comment
        )

    def _final_order_update(self, case: Case) -> Callable:
        """The P2P service moves the order once the verdict.issued event reached it."""

        def run() -> None:
            outcome = case.decision.outcome
            if outcome == Verdict.Outcome.RELEASE_TO_BUYER:
                self._order_final(case, Order.Status.RELEASED)
            elif outcome == Verdict.Outcome.RETURN_TO_SELLER:
                self._order_final(case, Order.Status.CANCELLED)
            else:
                done = Order.Status.RELEASED if case.released_at else Order.Status.CANCELLED
                self._order_final(case, done)

        return run

    def _order_final(self, case: Case, status: str) -> None:
        from django.utils import timezone

        plan = case.plan
        released_at = case.released_at
        if status == Order.Status.RELEASED and released_at is None:
            released_at = timezone.now()
        order_upsert(
            external_id=plan.external_id,
            buyer=plan.buyer.payload(),
            seller=plan.seller.payload(),
            actor=self.service,
            **plan.fields(status, paid_at=case.paid_at, released_at=released_at),
        )

    # -- evidence ------------------------------------------------------------------------

    def _evidence_step(self, case: Case, doc: Doc) -> Callable:
        def run() -> None:
            from django.utils import timezone

            now = timezone.now()
            if doc.kind == "voucher":
                content, name, payer_name = self._voucher(case, doc, now)
                kind = Evidence.Kind.PAYMENT_VOUCHER
            else:
                content, name, payer_name = self._statement(case, doc, now)
                kind = Evidence.Kind.BANK_STATEMENT
            evidence_add(
                appeal_id=case.appeal.pk,
                upload=ContentFile(content, name=name),
                party=doc.party,
                kind=kind,
                actor=self.service,
                original_name=name,
                note=case.text(doc.note),
                payer_name=payer_name,
            )

        return run

    def _amount(self, case: Case, doc: Doc) -> Decimal:
        if doc.amount == "paid":
            return case.paid_amount
        if doc.amount == "diff":
            return case.diff_amount
        return case.plan.fiat

    def _voucher(self, case: Case, doc: Doc, now: datetime) -> tuple[bytes, str, str]:
        if case.voucher_bytes is not None and doc.party == BUYER:
            content, name = case.voucher_bytes()
            return content, name, case.payer[0]
        return self._render_voucher(case, doc, now)

    def _render_voucher(self, case: Case, doc: Doc, now: datetime) -> tuple[bytes, str, str]:
        plan, story, rng = case.plan, case.story, self.rng
        refund = doc.payer == SELLER
        payer_info, payee_info = (plan.seller, plan.buyer) if refund else (plan.buyer, plan.seller)
        if refund:
            payer = (plan.seller.person.native, plan.seller.person.latin)
        else:
            payer = case.payer
        bank = (
            payer_info.bank(plan.rail)
            if doc.payer in (BUYER, SELLER)
            else rng.choice(plan.rail.banks)
        )
        when = case.paid_at or plan.created_at + timedelta(minutes=3)
        if doc.amount == "diff" or refund:
            when = now - self._minutes(2, 20)
        local = when.astimezone(payer_info.tz)
        lang = self._document_language(story, payer_info)
        content = documents.render_receipt_png(
            documents.Receipt(
                lang=lang,
                brand=bank.native,
                brand_latin=bank.latin,
                color=bank.color,
                amount=format_money(self._amount(case, doc), plan.currency),
                payer=payer[0],
                payer_latin=payer[1],
                payer_account=self._account(plan.rail, masked=True),
                payee=self._short_name(payee_info.person),
                payee_latin=self._short_name(payee_info.person, latin=True),
                payee_account=self._account(plan.rail, masked=True),
                when=local,
                reference=(
                    {"zh": "退款", "ru": "Возврат"}.get(story.lang, "Refund")
                    if refund
                    else case.ctx["ref"]
                ),
                method=plan.rail.names.get(lang, plan.rail.method),
                txn_id=f"{local:%Y%m%d}{rng.getrandbits(60):018d}"[:26],
                forged=doc.forged,
            ),
            # A forger's edit leaves the editor's name in the file (voucher_edited).
            software="Adobe Photoshop 25.0 (Windows)" if doc.forged else "",
        )
        name = {
            "zh": f"微信图片_{local:%Y%m%d%H%M%S}.png",
            "ru": f"IMG_{rng.randint(1000, 9999)}.png",
        }.get(story.lang, f"Screenshot_{local:%Y%m%d-%H%M%S}.png")
        # payer_name is what the voucher shows as the paying account, for buyer payments
        # (a seller's refund is not a payment for the order).
        return content, name, "" if refund else payer[0]

    def _document_language(self, story: Story, info: TraderInfo) -> str:
        if story.lang in ("zh", "ru"):
            return story.lang
        return "pt" if info.person.country == "BR" else "en"

    @staticmethod
    def _short_name(person: Person, *, latin: bool = False) -> str:
        """Bank apps show the payee partly masked: 李*, Иван П., Lukas B."""
        name = person.latin.title() if latin else person.native
        if not latin and documents.script_of(name) == "cjk":
            return name[0] + "*" * (len(name) - 1)
        first, *rest = name.split()
        return f"{first} {rest[-1][0]}." if rest else first

    def _account(self, rail: Rail, *, masked: bool) -> str:
        rng = self.rng
        tail = f"{rng.randint(0, 9999):04d}"
        return {
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 9)}****{tail}"
            if rail.currency == "CNY"
            else f"+7 9** ***-{tail[:2]}-{tail[2:]}",
            "wechat": f"wxid_****{tail}",
            "card": f"6222 **** **** {tail}" if rail.currency == "CNY" else f"•• {tail}",
            "iban": f"{rng.choice(['DE', 'FR', 'ES', 'NL', 'IT'])}{rng.randint(10, 99)} **** "
            f"**** {tail}",
            "revtag": f"@{rng.choice(['luk', 'ana', 'max', 'sofi', 'jan', 'leo'])}"
            f"{rng.randint(10, 99)}",
            "sortcode": f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)} "
            f"****{tail}",
            "account": f"****{tail}",
            "pix": f"CPF ***.{rng.randint(100, 999)}.{rng.randint(100, 999)}-**",
        }[rail.account]

    STATEMENT_FILLERS = {
        "en": [
            ("Salary", "Salary", 1, 900, 2600),
            ("Supermarket", "Supermarket", -1, 15, 120),
            ("Card payment AMZN Mktp", "Card payment AMZN Mktp", -1, 10, 150),
            ("Rent", "Rent", -1, 400, 1200),
            ("Uber *Trip", "Uber *Trip", -1, 6, 40),
            ("Electricity", "Electricity", -1, 30, 110),
        ],
        "zh": [
            ("工资", "Salary", 1, 900, 2600),
            ("美团外卖", "Meituan", -1, 4, 20),
            ("京东购物", "JD.com", -1, 10, 150),
            ("信用卡还款", "Credit card repayment", -1, 100, 600),
            ("水电费", "Utilities", -1, 20, 60),
            ("滴滴出行", "Didi", -1, 3, 15),
        ],
        "ru": [
            ("Зарплата", "Salary", 1, 700, 2200),
            ("Пятёрочка", "Pyaterochka", -1, 5, 60),
            ("Яндекс Такси", "Yandex Taxi", -1, 4, 20),
            ("ЖКУ", "Utilities", -1, 40, 120),
            ("Wildberries", "Wildberries", -1, 10, 90),
            ("Перевод с карты", "Card transfer", 1, 20, 200),
        ],
    }

    def _statement(self, case: Case, doc: Doc, now: datetime) -> tuple[bytes, str, str]:
        plan, story, rng = case.plan, case.story, self.rng
        owner = plan.seller if doc.party == SELLER else plan.buyer
        other = plan.buyer if doc.party == SELLER else plan.seller
        bank = owner.bank(plan.rail)
        lang = story.lang if story.lang in ("zh", "ru") else "en"
        fx = USDT_PRICE[plan.currency][0]
        pay_time = case.paid_at or plan.created_at + timedelta(minutes=3)
        period_from = pay_time - timedelta(days=4)
        period_to = min(now, max(pay_time + timedelta(days=1), now - timedelta(hours=1)))
        lines = []
        for _ in range(rng.randint(4, 8)):
            native, latin, sign, low, high = rng.choice(self.STATEMENT_FILLERS[lang])
            when = period_from + (period_to - period_from) * rng.random()
            amount = (Decimal(rng.uniform(low, high)) * fx).quantize(Decimal("0.01")) * sign
            lines.append(documents.StatementLine(when.astimezone(owner.tz), native, latin, amount))
        amount = self._amount(case, doc)
        payer_native, payer_latin = case.payer
        if doc.shows_payment:
            if doc.party == SELLER:
                details = {"zh": f"转账收入 {payer_native}", "ru": f"Перевод от {payer_native}"}
                lines.append(
                    documents.StatementLine(
                        pay_time.astimezone(owner.tz),
                        details.get(lang, f"Transfer from {payer_latin.title()}"),
                        f"Transfer from {payer_latin.title()}",
                        amount,
                    )
                )
            else:
                details = {
                    "zh": f"转账支出 {other.person.native}",
                    "ru": f"Перевод для {other.person.native}",
                }
                debit_latin = f"Transfer to {other.person.latin.title()}"
                debits = 2 if story.amounts == "double" else 1
                for i in range(debits):
                    lines.append(
                        documents.StatementLine(
                            (pay_time + timedelta(minutes=i)).astimezone(owner.tz),
                            details.get(lang, debit_latin),
                            debit_latin,
                            -(plan.fiat if debits == 2 else amount),
                        )
                    )
        if doc.reversal:
            if plan.currency == "BRL":
                when, native, latin = (
                    pay_time + timedelta(minutes=6),
                    "PIX devolvido (MED)",
                    "PIX devolvido (MED)",
                )
            else:
                when = case.opened_at - timedelta(hours=rng.uniform(2, 20))
                native = {"zh": "司法扣划 涉案资金", "ru": "Оспаривание операции"}.get(
                    lang, "Chargeback - payment disputed by payer"
                )
                latin = "Chargeback - payment disputed by payer"
            lines.append(documents.StatementLine(when.astimezone(owner.tz), native, latin, -amount))
        content = documents.render_statement_pdf(
            documents.Statement(
                lang=lang,
                brand=bank.native,
                brand_latin=bank.latin,
                color=bank.color,
                holder=owner.person.native,
                holder_latin=owner.person.latin,
                account=self._account(plan.rail, masked=True),
                currency=plan.currency,
                period_from=period_from.astimezone(owner.tz),
                period_to=period_to.astimezone(owner.tz),
                opening_balance=(Decimal(rng.uniform(200, 5000)) * fx).quantize(Decimal("0.01")),
                lines=tuple(lines),
            )
        )
        name = {
            "zh": f"交易明细_{period_to:%Y%m%d}.pdf",
            "ru": f"Выписка_{period_to:%d.%m.%Y}.pdf",
        }.get(lang, f"statement_{period_to:%Y-%m-%d}.pdf")
        payer_name = payer_native if doc.party == SELLER and doc.shows_payment else ""
        return content, name, payer_name

    # -- planted: the recycled voucher ring ----------------------------------------------

    def _plan_ring(self) -> None:
        """Three accounts of one person (shared device, two with a shared IP) recycle one
        payment screenshot: the exact same PNG on two orders of different buyers, and the
        same image re-saved as a slightly smaller JPEG on a third. Planted for the risk
        engine's `duplicate_voucher` (same sha256 / near-identical image hash),
        `linked_accounts` and `payer_name_mismatch` signals."""
        sellers = [t for t in self.traders["en"] if t.currency == "EUR" and t.person.merchant]
        ages = [timedelta(days=36, hours=5), timedelta(days=11, hours=3), timedelta(hours=20)]
        targets = [S.RESOLVED, S.RESOLVED, S.IN_REVIEW]
        original: dict[str, bytes] = {}
        cases = []
        for i, (buyer, age, target) in enumerate(zip(self.ring, ages, targets, strict=True)):
            case = Case(
                story=RING_STORY,
                plan=None,
                opened_at=self.now - age,  # type: ignore
                target=target,
            )
            if i == 1:
                case.decision = Decision(
                    Verdict.Outcome.RETURN_TO_SELLER,
                    Verdict.ResponsibleParty.BUYER,
                    "P2P-2.2",
                    "The buyer's voucher is a screenshot of a different payment: its date is "
                    "weeks before this order and the payee is another trader. No payment "
                    "arrived. Order cancelled, crypto returned to the seller; buyer's account "
                    "frozen.",
                    ("freeze", None),
                )
                case.notes = (
                    "Voucher date and transaction id predate this order by weeks; payee is not "
                    "this seller.",
                    "Payer name on the voucher is not the buyer's KYC name.",
                )
                case.escalate = (
                    "Recycled voucher suspected: the screenshot belongs to another order."
                )
                case.always_escalate = True
            seller = sellers[i % len(sellers)]
            self._plan_case(case, buyer=buyer, seller=seller, currency="EUR", asset="USDT")
            cases.append(case)
        first = cases[0]
        # The buyer of the first order made the screenshot; the other two reuse it.
        for case in cases[1:]:
            case.plan.fiat = first.plan.fiat
            case.plan.crypto = (first.plan.fiat / case.plan.price).quantize(
                Decimal("0.01"), rounding=ROUND_DOWN
            )
            case.payer = first.payer
            # The chat's "held in escrow" line must say this order's own amount, the one
            # the appeal freezes, not the amount planned before the fiat was copied.
            case.ctx.update(
                money=first.ctx["money"], payer=first.payer[0], crypto=f"{case.plan.crypto:f}"
            )

        def original_png() -> tuple[bytes, str]:
            if "png" not in original:
                # Drawn once, for the first order; later uploads get these very bytes.
                content, _name, _payer = self._render_voucher(
                    first, Doc(BUYER, "voucher", "later"), first.paid_at or first.opened_at
                )
                original["png"] = content
            return original["png"], "Screenshot_payment.png"

        def resaved_jpeg() -> tuple[bytes, str]:
            # Resized, re-encoded and cropped by a few pixels: found by the fingerprint.
            copy = documents.reencode_as_jpeg(original_png()[0], crop=6)
            return copy, "IMG_20240611_0931.jpg"

        first.voucher_bytes = lambda: (original_png()[0], "Screenshot_payment.png")
        cases[1].voucher_bytes = original_png
        cases[2].voucher_bytes = resaved_jpeg
        # Flows were planned before the hooks were set; the hooks are read at run time.
        self.cases.extend(cases)


def summary_counts() -> dict[str, Any]:
    from django.db.models import Count

    from cases.models import AccountAction, AuditEntry, ChatMessage, Note, OutboxEvent

    by_status = dict(
        Appeal.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "traders": Trader.objects.count(),
        "orders": Order.objects.count(),
        "chat messages": ChatMessage.objects.count(),
        "appeals": sum(by_status.values()),
        "by status": {s: by_status.get(s, 0) for s in S.values},
        "evidence files": Evidence.objects.count(),
        "notes": Note.objects.count(),
        "verdicts": Verdict.objects.count(),
        "account actions": AccountAction.objects.count(),
        "outbox events": OutboxEvent.objects.count(),
        "audit entries": AuditEntry.objects.count(),
    }
