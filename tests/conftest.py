"""Shared actors and test plumbing.

Actors are users in the real groups created by the migrations: the staff roles
(`arbitrator`, `senior_arbitrator`, `team_lead`, `risk_analyst`, `auditor`, 0002) and the
`service_account` group of the exchange's machine clients (0004), which holds no staff
role and no permission.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from pytest_django.plugin import validate_django_db

from tests import factories

# --- database plumbing --------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give every transactional test a serialized rollback.

    A transactional test (django_db(transaction=True), transactional_db, live_server) ends
    by flushing every table, which also wipes what the migrations put there: the role
    groups, the rulebook and the audit chain's head row. Without a restore, every
    transactional test after the first would run against a desk with no roles, no rules
    and an audit log that cannot append. Serialized rollback reloads that data first.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            transaction, reset_sequences, databases, serialized, available_apps = (
                validate_django_db(marker)
            )
        else:
            transaction = reset_sequences = serialized = False
            databases = available_apps = None
        fixtures = getattr(item, "fixturenames", ())
        transactional = (
            transaction
            or reset_sequences
            or "transactional_db" in fixtures
            or "live_server" in fixtures
        )
        if transactional and not serialized:
            item.add_marker(
                pytest.mark.django_db(
                    transaction=True,
                    reset_sequences=reset_sequences,
                    databases=databases,
                    serialized_rollback=True,
                    available_apps=available_apps,
                ),
                append=False,
            )


def _is_transactional(item: pytest.Item | None) -> bool:
    marker = item.get_closest_marker("django_db") if item is not None else None
    return marker is not None and validate_django_db(marker)[0]


# What the migrations wrote (role groups, rulebook, audit head), serialized once by the
# test database's setup on this connection.
SETUP_CONNECTION = connections["default"]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Put the migrated data back after a transactional test's flush when the next test is
    not transactional (it would not restore it itself). Without xdist, pytest-django runs
    the transactional tests last; with `--dist loadfile` a worker runs each file whole, so
    a plain database test can follow a flush."""
    result = yield
    contents = getattr(SETUP_CONNECTION, "_test_serialized_contents", None)
    # With no next item the session's teardown has just destroyed the test database.
    if (
        nextitem is not None
        and _is_transactional(item)
        and not _is_transactional(nextitem)
        and contents
    ):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            SETUP_CONNECTION.creation.deserialize_db_from_string(contents)
            SETUP_CONNECTION.close()
    return result


def _flush_past_the_append_only_audit_log() -> None:
    """Transactional tests end with Django's flush, a TRUNCATE of every table, which the
    history's TRUNCATE triggers (migrations 0013, 0017) refuse. The test database's owner
    switches those off for that statement only, as only an owner can; the UPDATE/DELETE
    triggers stay on."""
    import importlib

    from django.db.backends.postgresql.operations import DatabaseOperations

    GUARDED = importlib.import_module("cases.migrations.0017_history_complete").TRUNCATE_GUARDED
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [(t, f"{t}_no_truncate") for t in GUARDED if t in tables]
        if sql and "cases_auditentry" in tables:
            guarded.append(("cases_auditentry", "audit_entry_no_truncate"))
        if sql and guarded:
            off = [f"ALTER TABLE {t} DISABLE TRIGGER {name};" for t, name in guarded]
            on = [f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {name};" for t, name in guarded]
            sql = [*off, *sql, *on]
        return sql

    DatabaseOperations.sql_flush = sql_flush


_flush_past_the_append_only_audit_log()


def _flush_the_status_counts_last() -> None:
    """SQLite flushes with one DELETE per table, in no set order. Deleting the appeals
    after the status counts fires the counting triggers (migration 0021), which leave -1
    for every appeal that was there, and the next test on this worker would count from
    there. The counts are emptied once more after everything else. (PostgreSQL flushes
    with TRUNCATE, which fires no row or statement trigger.)"""
    # Through the backend's base module: importing sqlite3.operations first is circular.
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if sql and "cases_appealstatuscount" in tables:
            sql = [*sql, 'DELETE FROM "cases_appealstatuscount";']
        return sql

    DatabaseOperations.sql_flush = sql_flush


_flush_the_status_counts_last()


@pytest.fixture(autouse=True)
def private_webhook_urls(settings: Any) -> None:
    """The webhook receivers of the tests listen on 127.0.0.1, which production refuses
    (WEBHOOK_ALLOW_PRIVATE_URLS off); tests of that refusal switch it off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture(autouse=True)
def no_ocr(settings: Any) -> None:
    """Tasks run eagerly without REDIS_URL, so every voucher a test uploads would be read
    by OCR (about half a second each). Image reading is off unless a test asks for it with
    the `ocr` fixture; PDFs are still read from their text layer, which is cheap."""
    settings.EVIDENCE_OCR = False


@pytest.fixture
def ocr(settings: Any) -> None:
    """Image reading on, for the tests of OCR itself."""
    settings.EVIDENCE_OCR = True


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> None:
    """Each test gets an empty in-memory cache: login lock-out counters and cached lookups
    never leak between tests, nor in from the shared Redis of the PostgreSQL CI pass."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(autouse=True)
def evidence_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test stores evidence in its own temporary directory, never in media/.

    Overriding STORAGES makes Django drop its cached backends (django/test/signals.py,
    `storage_changed`), so `storages["evidence"]` is rebuilt on the next use. The
    Evidence.file field resolved its callable storage once, at import, so it is pointed
    at the new backend too.
    """
    from django.core.files.storage import storages

    from evidence.models import Evidence

    location = tmp_path / "evidence"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storages["evidence"])
    return location


# --- actors -------------------------------------------------------------------------------


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """make_user("senior_arbitrator") -> a fresh user in that group; make_user(None) -> a
    user with no group at all."""
    return factories.staff_user


@pytest.fixture
def arbitrator(make_user):
    return make_user("arbitrator", username="arbitrator")


@pytest.fixture
def arbitrator2(make_user):
    return make_user("arbitrator", username="arbitrator2")


@pytest.fixture
def senior(make_user):
    return make_user("senior_arbitrator", username="senior")


@pytest.fixture
def senior2(make_user):
    return make_user("senior_arbitrator", username="senior2")


@pytest.fixture
def lead(make_user):
    return make_user("team_lead", username="lead")


@pytest.fixture
def risk_analyst(make_user):
    return make_user("risk_analyst", username="risk")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="auditor")


@pytest.fixture
def service_account(make_user):
    return make_user("service_account", username="p2p-order-service")


# --- what a call wrote --------------------------------------------------------------------


def _desk_state() -> dict[str, list]:
    from cases.models import (
        AccountAction,
        AccountRestriction,
        AccountSignal,
        Appeal,
        AppealStatusChange,
        AuditEntry,
        AuditHead,
        ChatMessage,
        DeskMessage,
        Note,
        Order,
        OutboxEvent,
        Rule,
        Trader,
        Verdict,
        VerdictReview,
        WebhookDelivery,
        WebhookSubscriber,
    )
    from evidence.models import Evidence

    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Appeal,
            AppealStatusChange,
            AuditEntry,
            AuditHead,
            Note,
            OutboxEvent,
            WebhookDelivery,
            WebhookSubscriber,
            Verdict,
            VerdictReview,
            AccountAction,
            AccountRestriction,
            Trader,
            AccountSignal,
            Order,
            ChatMessage,
            DeskMessage,
            Rule,
            Evidence,
        )
    }


@pytest.fixture
def nothing_written() -> Callable[[], Any]:
    """`with nothing_written(), pytest.raises(Conflict): ...` asserts a refused call left
    every row of the desk (appeals, verdicts, status changes, audit, outbox, ...) as it was."""

    @contextmanager
    def check() -> Iterator[None]:
        before = _desk_state()
        yield
        after = _desk_state()
        for name in before:
            assert after[name] == before[name], f"{name} rows changed"

    return check


class Trail:
    """The rows written since it was made: status changes, audit entries, outbox events."""

    def __init__(self) -> None:
        from cases.models import AppealStatusChange, AuditHead, OutboxEvent

        self._change_id = (
            AppealStatusChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )
        self._seq = AuditHead.objects.get(pk=1).seq
        self._events = set(OutboxEvent.objects.values_list("id", flat=True))

    @property
    def status_changes(self) -> list[tuple[str, str]]:
        from cases.models import AppealStatusChange

        return list(
            AppealStatusChange.objects.filter(id__gt=self._change_id)
            .order_by("id")
            .values_list("from_status", "to_status")
        )

    @property
    def audit(self) -> list:
        from cases.models import AuditEntry

        return list(AuditEntry.objects.filter(seq__gt=self._seq).order_by("seq"))

    @property
    def audit_actions(self) -> list[str]:
        return [entry.action for entry in self.audit]

    @property
    def status_audit(self) -> list[tuple[str, str]]:
        """(before, after) status of every new audit entry that changed an appeal's status."""
        return [
            (entry.before.get("status", ""), entry.after["status"])
            for entry in self.audit
            if entry.object_type == "cases.appeal"
            and "status" in entry.after
            and entry.before.get("status", "") != entry.after["status"]
        ]

    def events(self, type: str | None = None) -> list:
        from cases.models import OutboxEvent

        events = OutboxEvent.objects.exclude(id__in=self._events).order_by("created_at")
        return list(events.filter(type=type) if type else events)

    @property
    def status_events(self) -> list[tuple[str | None, str]]:
        return [
            (event.data["from_status"], event.data["status"])
            for event in self.events("appeal.status_changed")
        ]


@pytest.fixture
def trail(db: None) -> Callable[[], Trail]:
    """`t = trail()` before a call; `t.status_changes`, `t.audit`, `t.events()` after it."""
    return Trail
