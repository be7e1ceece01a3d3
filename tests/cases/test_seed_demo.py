"""`manage.py seed_demo`: a coherent demo desk, the planted fraud patterns, and --scale.

The story demo takes several seconds, so it is loaded once for TestStoryDemo (inside a
transaction rolled back after the class, with evidence in a temporary directory) and its
tests read it; tests that write get their own savepoint through the usual `db` fixture.
The tests after the class start from an empty desk.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone

from cases.audit import audit_verify
from cases.demo.staff import DEMO_LOGINS, DEMO_PASSWORD
from cases.models import (
    AccountAction,
    AccountSignal,
    Appeal,
    AppealStatusChange,
    ChatMessage,
    Order,
    OutboxEvent,
    Trader,
    Verdict,
)
from cases.roles import Role
from evidence.models import Evidence
from evidence.services import sniff_content_type

S = Appeal.Status
CJK = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@pytest.fixture(scope="class")
def demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The story demo, loaded once; rolled back (and its files left in a temp dir) after."""
    from django.conf import settings

    location = tmp_path_factory.mktemp("seed-demo-evidence")
    stores = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    field = Evidence._meta.get_field("file")
    original_storage = field.storage
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(STORAGES=stores):
        # Evidence.file resolved its storage at import; point it at the temporary one too.
        field.storage = storages["evidence"]
        try:
            with transaction.atomic():
                call_command("seed_demo", stdout=out, stderr=io.StringIO())
                yield {"output": out.getvalue(), "storage": FileSystemStorage(location)}
                transaction.set_rollback(True)
        finally:
            field.storage = original_storage


@pytest.fixture
def desk(demo: dict[str, Any], db: None) -> dict[str, Any]:
    return demo


class TestStoryDemo:
    """Read the demo loaded once for the class (see `demo`)."""

    # --- what the demo holds ------------------------------------------------------------------

    def test_it_covers_every_reason_code(self, desk):
        reasons = set(Appeal.objects.values_list("reason", flat=True))
        assert reasons == set(Appeal.Reason.values)

    def test_it_has_appeals_in_every_status(self, desk):
        counts = Counter(Appeal.objects.values_list("status", flat=True))
        for status in S.values:
            assert counts[status] >= 1, f"no {status} appeal"
        # Most cases are decided; a working queue remains.
        assert counts[S.RESOLVED] > counts[S.OPEN] + counts[S.IN_REVIEW]
        assert 120 <= sum(counts.values()) <= 200

    def test_recent_appeals_are_being_worked_and_old_ones_are_closed(self, desk):
        now = timezone.now()
        old = Appeal.objects.filter(created_at__lt=now - timedelta(days=7))
        recent = Appeal.objects.filter(created_at__gt=now - timedelta(hours=3))
        assert old.filter(status__in=Appeal.CLOSED_STATUSES).count() > 0.85 * old.count()
        assert not recent.filter(status=S.RESOLVED).exists()

    def test_history_spans_eight_weeks_and_nothing_is_in_the_future(self, desk):
        now = timezone.now()
        first = Appeal.objects.order_by("created_at").first().created_at
        assert now - first > timedelta(weeks=6)
        assert not Appeal.objects.filter(created_at__gt=now).exists()
        assert not AppealStatusChange.objects.filter(created_at__gt=now).exists()
        assert not Evidence.objects.filter(uploaded_at__gt=now).exists()

    def test_some_cases_breach_their_slas(self, desk):
        late_first_response = Appeal.objects.filter(
            first_response_at__gt=F("first_response_due_at")
        )
        late_resolution = Appeal.objects.filter(resolved_at__gt=F("resolution_due_at"))
        assert late_first_response.exists()
        assert late_resolution.exists()

    def test_verdicts_cite_the_rulebook_and_large_ones_were_approved_by_a_second_reviewer(
        self, desk
    ):
        effective = Verdict.objects.filter(state=Verdict.State.EFFECTIVE)
        assert effective.count() >= 50
        approved = effective.filter(approved_by__isnull=False)
        assert approved.count() >= 3
        assert not approved.filter(approved_by=F("decided_by")).exists()
        assert approved.filter(approved_by__groups__name=Role.SENIOR_ARBITRATOR).exists()
        assert len(set(effective.values_list("rule__code", flat=True))) >= 8

    def test_one_verdict_was_sent_back_and_then_renewed(self, desk):
        sent_back = Verdict.objects.get(state=Verdict.State.SENT_BACK)
        assert sent_back.review_comment
        renewed = sent_back.appeal.verdicts.get(state=Verdict.State.EFFECTIVE)
        assert renewed.created_at > sent_back.reviewed_at
        assert renewed.approved_by_id not in (None, renewed.decided_by_id)

    def test_some_verdicts_took_account_actions(self, desk):
        kinds = set(AccountAction.objects.values_list("kind", flat=True))
        assert kinds == set(AccountAction.Kind.values)
        assert Trader.objects.filter(frozen=True).exists()

    def test_every_status_change_has_its_outbox_event(self, desk):
        events = OutboxEvent.objects.filter(type=OutboxEvent.Type.APPEAL_STATUS_CHANGED)
        assert events.count() == AppealStatusChange.objects.count()
        assert OutboxEvent.objects.filter(type=OutboxEvent.Type.VERDICT_ISSUED).count() == (
            Verdict.objects.filter(state=Verdict.State.EFFECTIVE).count()
        )

    def test_every_amount_shown_is_the_orders_own(self, desk):
        # The appeal freezes the order's amount, and the chat's escrow lines say it too.
        assert not Appeal.objects.exclude(crypto_amount=F("order__crypto_amount")).exists()
        escrow = re.compile(r"(\d+(?:\.\d+)?) (USDT|USDC|FDUSD|BTC|ETH)")
        checked = 0
        for message in ChatMessage.objects.filter(sender="system").select_related("order"):
            for amount, asset in escrow.findall(message.text):
                assert (Decimal(amount), asset) == (
                    message.order.crypto_amount,
                    message.order.asset,
                ), (message.order.external_id, message.text)
                checked += 1
        assert checked > 50

    def test_decided_orders_follow_their_verdict(self, desk):
        for verdict in Verdict.objects.filter(state=Verdict.State.EFFECTIVE).select_related(
            "appeal__order"
        ):
            status = verdict.appeal.order.status
            if verdict.outcome == Verdict.Outcome.RELEASE_TO_BUYER:
                assert status == Order.Status.RELEASED, verdict.appeal_id
            elif verdict.outcome == Verdict.Outcome.RETURN_TO_SELLER:
                assert status == Order.Status.CANCELLED, verdict.appeal_id

    def test_the_audit_chain_verifies(self, desk):
        checked, broken = audit_verify()
        assert broken is None
        assert checked > 1000

    def test_traders_have_a_history_of_orders(self, desk):
        busy = Trader.objects.annotate(
            n=Count("buy_orders", distinct=True) + Count("sell_orders", distinct=True)
        ).filter(n__gte=4)
        assert busy.count() >= 30
        repeat = (
            Appeal.objects.filter(opened_by="buyer")
            .values("order__buyer")
            .annotate(n=Count("id"))
            .filter(n__gte=2)
        )
        assert repeat.exists()

    def test_chats_are_in_english_chinese_and_russian(self, desk):
        texts = list(ChatMessage.objects.values_list("text", flat=True))
        assert any(CJK.search(t) for t in texts)
        assert any(CYRILLIC.search(t) for t in texts)
        assert any(t.isascii() and "paid" in t.lower() for t in texts)

    def test_payment_methods_currencies_and_assets_vary(self, desk):
        methods = set(Order.objects.values_list("payment_method", flat=True))
        assert {
            "Alipay",
            "WeChat Pay",
            "SEPA",
            "Wise",
            "Revolut",
            "Tinkoff",
            "Sberbank",
            "PIX",
        } <= methods
        assert {"CNY", "EUR", "RUB", "USD", "BRL"} <= set(
            Order.objects.values_list("fiat_currency", flat=True)
        )
        assert Counter(Order.objects.values_list("asset", flat=True)).most_common(1)[0][0] == "USDT"
        assert {"BTC", "ETH"} <= set(Order.objects.values_list("asset", flat=True))

    def test_evidence_files_are_stored_and_are_what_they_claim(self, desk):
        storage = desk["storage"]
        evidence = list(Evidence.objects.all())
        kinds = Counter(e.content_type for e in evidence)
        assert kinds["image/png"] >= 50 and kinds["application/pdf"] >= 30
        for item in evidence:
            with storage.open(item.file.name) as handle:
                head = handle.read(16)
            assert sniff_content_type(head) == item.content_type
        # The repository's media/ directory was not touched.
        assert not storage.location.startswith(str(Path(__file__).resolve().parents[2] / "media"))

    # --- the planted patterns (for the risk engine) -------------------------------------------

    def test_one_voucher_image_is_reused_on_two_orders_of_different_buyers(self, desk):
        reused = (
            Evidence.objects.values("sha256")
            .annotate(
                orders=Count("appeal__order", distinct=True),
                buyers=Count("appeal__order__buyer", distinct=True),
            )
            .filter(orders__gte=2)
        )
        assert [(r["orders"], r["buyers"]) for r in reused] == [(2, 2)]

    def test_a_near_identical_copy_of_that_voucher_is_on_a_third_order(self, desk):
        sha = (
            Evidence.objects.values("sha256")
            .annotate(n=Count("appeal__order", distinct=True))
            .filter(n=2)
            .get()["sha256"]
        )
        original = Evidence.objects.filter(sha256=sha).first()
        copies = Evidence.objects.filter(content_type="image/jpeg").exclude(
            appeal__order__in=Evidence.objects.filter(sha256=sha).values("appeal__order")
        )
        close = [
            e
            for e in copies
            if bin(int(e.image_hash, 16) ^ int(original.image_hash, 16)).count("1") <= 6
        ]
        assert len(close) == 1
        assert close[0].width < original.width

    def test_three_accounts_share_a_device_and_two_of_them_an_ip(self, desk):
        devices = (
            AccountSignal.objects.filter(kind="device")
            .values("value")
            .annotate(n=Count("trader"))
            .filter(n__gte=3)
        )
        assert devices.count() == 1
        ring = set(
            AccountSignal.objects.filter(kind="device", value=devices.get()["value"]).values_list(
                "trader", flat=True
            )
        )
        shared_ip = (
            AccountSignal.objects.filter(kind="ip", trader__in=ring)
            .values("value")
            .annotate(n=Count("trader"))
            .filter(n=2)
        )
        assert shared_ip.exists()

    def test_a_voucher_shows_a_payer_who_is_not_the_buyer(self, desk):
        mismatched = Evidence.objects.exclude(payer_name="").exclude(
            payer_name=F("appeal__order__buyer__kyc_name")
        )
        assert mismatched.filter(appeal__reason=Appeal.Reason.THIRD_PARTY_PAYMENT).exists()

    def test_some_chats_push_to_move_off_platform(self, desk):
        chat = ChatMessage.objects
        assert chat.filter(text__icontains="telegram").exists()
        assert chat.filter(text__contains="微信").exists()
        assert chat.filter(text__icontains="whatsapp").exists()
        assert chat.filter(text__contains="телеграм").exists()

    # --- logins and re-runs -------------------------------------------------------------------

    def test_every_role_has_a_demo_login_and_the_logins_are_printed(self, desk):
        users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in=[login.username for login in DEMO_LOGINS]
            )
        }
        for login in DEMO_LOGINS:
            user = users[login.username]
            assert user.is_staff
            if login.role == "superuser":
                assert user.is_superuser
            else:
                assert user.groups.filter(name=login.role).exists()
            assert login.username in desk["output"]
        assert {login.role for login in DEMO_LOGINS} >= set(Role.ALL)
        assert users["senior"].check_password(DEMO_PASSWORD)
        assert DEMO_PASSWORD in desk["output"]

    def test_if_empty_on_a_seeded_database_adds_nothing_but_prints_the_logins(self, desk):
        before = (Order.objects.count(), Appeal.objects.count(), ChatMessage.objects.count())
        out = io.StringIO()
        call_command("seed_demo", if_empty=True, stdout=out)
        assert (
            Order.objects.count(),
            Appeal.objects.count(),
            ChatMessage.objects.count(),
        ) == before
        assert "arbitrator" in out.getvalue() and DEMO_PASSWORD in out.getvalue()

    def test_running_it_again_does_not_load_the_stories_twice(self, desk):
        before = Appeal.objects.count()
        out = io.StringIO()
        call_command("seed_demo", stdout=out, stderr=io.StringIO())
        assert Appeal.objects.count() == before
        assert "already loaded" in out.getvalue()


def test_it_refuses_to_send_demo_events_to_live_webhook_subscribers(db):
    from django.core.management.base import CommandError

    from cases.models import WebhookSubscriber

    WebhookSubscriber.objects.create(
        url="https://escrow.example/hook", secret="s", events=["verdict.issued"]
    )
    with pytest.raises(CommandError, match="subscriber"):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Appeal.objects.exists()


# --- --scale ------------------------------------------------------------------------------


def test_scale_adds_appeals_with_about_ten_messages_each(db):
    call_command("seed_demo", scale=200, stdout=io.StringIO(), stderr=io.StringIO())
    assert Appeal.objects.count() == 200
    assert Order.objects.filter(external_id__startswith="SC1-").count() == 200
    per_order = list(Order.objects.annotate(n=Count("messages")).values_list("n", flat=True))
    assert min(per_order) >= 8 and max(per_order) <= 12
    assert 9 <= sum(per_order) / len(per_order) <= 11.5
    assert Trader.objects.count() == 40


def test_scale_appeals_are_consistent(db):
    call_command("seed_demo", scale=300, stdout=io.StringIO(), stderr=io.StringIO())
    statuses = Counter(Appeal.objects.values_list("status", flat=True))
    assert statuses[S.RESOLVED] > 0 and statuses[S.CANCELLED] > 0
    # Every appeal's history starts with its opening and ends in its current status.
    for appeal in Appeal.objects.prefetch_related("status_changes"):
        changes = list(appeal.status_changes.all())
        assert (changes[0].from_status, changes[0].to_status) == ("", S.OPEN)
        assert changes[-1].to_status == appeal.status
    assert not Appeal.objects.filter(status=S.IN_REVIEW, assignee__isnull=True).exists()
    assert not Appeal.objects.filter(status=S.RESOLVED, resolved_at__isnull=True).exists()
    assert Verdict.objects.filter(state=Verdict.State.EFFECTIVE).count() == statuses[S.RESOLVED]
    assert (
        Verdict.objects.filter(state=Verdict.State.PENDING).count() == statuses[S.PENDING_APPROVAL]
    )
    assert not Verdict.objects.filter(approved_by=F("decided_by")).exists()
    # The queue columns agree with the order, as lifecycle.queue_columns would copy them.
    copied = Appeal.objects.filter(
        crypto_amount=F("order__crypto_amount"),
        asset=F("order__asset"),
        payment_method=F("order__payment_method"),
        buyer_language=F("order__buyer__language"),
        seller_language=F("order__seller__language"),
        last_party_message_at__isnull=False,
    )
    assert copied.count() == 300
    # Benchmark data writes no audit entries (it is not history).
    assert audit_verify() == (0, None)


def test_scale_runs_twice_without_colliding(db):
    call_command("seed_demo", scale=50, stdout=io.StringIO(), stderr=io.StringIO())
    call_command("seed_demo", scale=50, stdout=io.StringIO(), stderr=io.StringIO())
    assert Appeal.objects.count() == 100
    assert Order.objects.filter(external_id__startswith="SC2-").count() == 50


def test_the_same_seed_plans_the_same_demo(db):
    from cases.demo.seed import DemoSeeder
    from cases.demo.staff import staff_ensure

    now = timezone.now()
    staff, _created = staff_ensure(joined_at=now)

    def plan(seed: int) -> tuple[list, list]:
        seeder = DemoSeeder(seed=seed, now=now, staff=staff)
        seeder.plan()
        return [step.at for step in sorted(seeder.steps)], sorted(seeder.order_ids())

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)
