"""The admin, by role: which pages each staff role sees, that no page any role can open
shows a secret, that a subscriber's secret is write-only, and that the rulebook keeps
history. Everything here is done through the admin's own pages, as a user would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases import lifecycle
from cases.models import (
    AuditEntry,
    CannedReply,
    ChatMessage,
    Rule,
    Verdict,
    WebhookDelivery,
    WebhookSubscriber,
    secret_fingerprint,
)
from cases.services import service_account_issue_token
from evidence.services import evidence_add
from tests.factories import appeal_in, png_bytes, propose, upload

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789-the-signing-secret"
NEW_SECRET = "whsec-fresh-secret-after-rotation"

READ_CASES = {
    "cases.trader",
    "cases.accountsignal",
    "cases.order",
    "cases.chatmessage",
    "cases.deskmessage",
    "cases.appeal",
    "cases.appealstatuschange",
    "cases.note",
    "cases.rule",
    "cases.cannedreply",
    "cases.penaltyrule",
    "cases.watchkeyword",
    "cases.verdict",
    "cases.accountaction",
    "evidence.evidence",
}
# The floor: rotas, SLA policies, the escalation matrix, incidents, party clocks.
FLOOR = {
    "cases.staffprofile",
    "cases.shift",
    "cases.absence",
    "cases.slapolicy",
    "cases.evidencerequest",
    "cases.escalationrule",
    "cases.appealescalation",
    "cases.incident",
    "cases.clockpause",
}
READ_CASES |= FLOOR
HISTORY = {"cases.auditentry", "cases.outboxevent"}
WEBHOOKS = {"cases.webhooksubscriber", "cases.webhookdelivery"}
# What each role finds in the admin, and nothing else.
VISIBLE = {
    "arbitrator": READ_CASES,
    "senior_arbitrator": READ_CASES,
    "risk_analyst": READ_CASES,
    "auditor": READ_CASES | HISTORY,
    "team_lead": READ_CASES | HISTORY | WEBHOOKS,
}
# What each role may edit there (change_*); nobody deletes anything.
EDITABLE = {
    "arbitrator": set(),
    "senior_arbitrator": set(),
    "risk_analyst": set(),
    "auditor": set(),
    "team_lead": {
        "cases.rule",
        "cases.cannedreply",
        "cases.penaltyrule",
        "cases.watchkeyword",
        "cases.webhooksubscriber",
        # The SLA policies and the escalation matrix (rotas, incidents and clocks are read
        # only here: their pages audit and return cases to the pool).
        "cases.slapolicy",
        "cases.escalationrule",
    },
}


def admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(make_user, settings) -> dict[str, Any]:
    """A row in every table the admin shows, a subscriber with a secret, a failed
    delivery, a service token and the settings' own keys: the things no page may show."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    subscriber = WebhookSubscriber.objects.create(
        url="https://hooks.exchange.example/desk", secret=SECRET, events=["verdict.issued"]
    )
    worker = make_user("arbitrator")
    appeal = appeal_in("in_review", worker=worker)
    ChatMessage.objects.create(
        order=appeal.order,
        external_id="M-ADMIN",
        sender="buyer",
        sent_at=appeal.created_at,
        text="paid",
    )
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=worker, party="seller", text="Your bank statement, please."
    )
    lifecycle.note_add(appeal_id=appeal.pk, actor=worker, text="Checked the voucher.")
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="payment_voucher",
        actor=worker,
        original_name="v.png",
    )
    propose(appeal, worker, account_action=lifecycle.ProposedAction(kind="warning"))
    WebhookDelivery.objects.update(status="failed", last_error="HTTP 500 Internal Server Error")
    token, _ = service_account_issue_token(name="p2p-order-service")
    return {"subscriber": subscriber, "token": token.key, "appeal": appeal}


def visible_models(client: Client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }


def secrets(world: dict[str, Any], user: Any) -> list[str]:
    from django.conf import settings

    return [
        SECRET,
        world["token"],
        settings.SECRET_KEY,
        settings.AUDIT_CHAIN_KEY.decode(),
        user.password,
    ]


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_role_sees_exactly_its_admin_pages(world, make_user, role):
    client = admin_client(make_user(role, is_staff=True))

    assert visible_models(client) == VISIBLE[role]


@pytest.mark.parametrize("role", list(VISIBLE))
def test_no_page_a_role_can_open_shows_a_secret(world, make_user, role):
    """Every changelist the role sees, and the change page of every row on it."""
    user = make_user(role, is_staff=True)
    user.set_password("a real passphrase for a real hash 42")
    user.save()
    client = admin_client(user)
    hidden = secrets(world, user)
    opened = 0
    for label in sorted(visible_models(client)):
        app_label, model_name = label.split(".")
        changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        assert changelist.status_code == 200, label
        pages = [changelist]
        for pk in list(changelist.context["cl"].result_list.values_list("pk", flat=True))[:3]:
            page = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[pk]))
            assert page.status_code == 200, (label, pk)
            pages.append(page)
        for page in pages:
            html = page.content.decode()
            opened += 1
            for secret in hidden:
                assert secret not in html, (label, page.request["PATH_INFO"])
    assert opened > len(VISIBLE[role])


@pytest.mark.parametrize("role", list(VISIBLE))
def test_pages_outside_a_role_are_refused(world, make_user, role):
    client = admin_client(make_user(role, is_staff=True))
    registered = {f"{model._meta.app_label}.{model._meta.model_name}" for model in site._registry}
    for label in sorted(registered - VISIBLE[role]):
        app_label, model_name = label.split(".")
        response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        assert response.status_code == 403, label


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_role_edits_only_what_it_may_and_deletes_nothing(world, make_user, role):
    client = admin_client(make_user(role, is_staff=True))
    for label in sorted(VISIBLE[role]):
        app_label, model_name = label.split(".")
        changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
        model_admin = changelist.context["cl"].model_admin
        request = changelist.wsgi_request
        assert model_admin.has_change_permission(request) == (label in EDITABLE[role]), label
        assert not model_admin.has_delete_permission(request), label


def test_a_superuser_without_the_lead_role_does_not_see_subscribers(world, make_user):
    """Only team leads see or edit subscribers: the admin account administers users and
    tokens, and has_perm's blanket yes for superusers is not asked here."""
    admin = make_user(None, is_staff=True, is_superuser=True, username="root")
    client = admin_client(admin)
    subscriber = world["subscriber"]

    for name, args in [("changelist", []), ("change", [subscriber.pk]), ("add", [])]:
        response = client.get(reverse(f"admin:cases_webhooksubscriber_{name}", args=args))
        assert response.status_code == 403, name
    assert client.get(reverse("admin:cases_webhookdelivery_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_a_superuser_without_a_desk_role_sees_none_of_the_desks_records(world, make_user):
    """As reported: traders' KYC names, signals, chat, notes, evidence and the audit log
    were all open to the admin account, and it could edit the rulebook."""
    root = make_user(None, is_staff=True, is_superuser=True, username="root")
    client = admin_client(root)

    desk = {m for m in visible_models(client) if m.split(".")[0] in ("cases", "evidence")}

    assert desk == set()
    for label in ("cases.trader", "cases.chatmessage", "cases.note", "cases.auditentry"):
        app_label, model_name = label.split(".")
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
        assert client.get(url).status_code == 403, label
    assert client.get(reverse("admin:cases_rule_add")).status_code == 403


# --- webhook subscribers: the secret is write-only ------------------------------------------


def subscriber_form(**fields: Any) -> dict[str, Any]:
    return {
        "url": "https://hooks.exchange.example/desk",
        "events": ["verdict.issued"],
        "active": "on",
        "new_secret": "",
        **fields,
    }


def test_the_list_shows_a_fingerprint_not_the_secret(world, lead):
    html = admin_client(lead).get(reverse("admin:cases_webhooksubscriber_changelist")).content
    html = html.decode()

    assert SECRET not in html
    assert secret_fingerprint(SECRET) in html
    assert re.fullmatch(r"hmac:[0-9a-f]{12}", secret_fingerprint(SECRET))


def test_the_fingerprint_cannot_confirm_a_guess_offline(world):
    """Keyed with the desk's SECRET_KEY: an auditor who reads it in the audit log cannot
    hash candidate secrets to find the real one."""
    import hashlib

    assert secret_fingerprint(SECRET)[5:] != hashlib.sha256(SECRET.encode()).hexdigest()[:12]
    assert secret_fingerprint(SECRET) == secret_fingerprint(SECRET)
    assert secret_fingerprint(SECRET) != secret_fingerprint(NEW_SECRET)


def test_editing_without_a_new_secret_keeps_it_and_is_audited(world, lead):
    subscriber = world["subscriber"]
    url = reverse("admin:cases_webhooksubscriber_change", args=[subscriber.pk])

    response = admin_client(lead).post(
        url, subscriber_form(events=["verdict.issued", "account.action_taken"])
    )

    assert response.status_code == 302, response.content[:2000]
    subscriber.refresh_from_db()
    assert subscriber.secret == SECRET
    assert subscriber.events == ["account.action_taken", "verdict.issued"]
    entry = AuditEntry.objects.filter(action="webhook_subscriber.saved").latest("seq")
    assert entry.actor == lead
    assert entry.before["events"] == ["verdict.issued"]
    assert entry.after["secret"] == entry.before["secret"] == secret_fingerprint(SECRET)
    assert SECRET not in str(entry.before) + str(entry.after)


def test_a_new_secret_replaces_the_old_one_and_is_never_shown(world, lead):
    subscriber = world["subscriber"]
    url = reverse("admin:cases_webhooksubscriber_change", args=[subscriber.pk])
    client = admin_client(lead)

    client.post(url, subscriber_form(new_secret=NEW_SECRET))
    page = client.get(url).content.decode()

    subscriber.refresh_from_db()
    assert subscriber.secret == NEW_SECRET
    assert NEW_SECRET not in page and SECRET not in page
    entry = AuditEntry.objects.filter(action="webhook_subscriber.saved").latest("seq")
    assert (entry.before["secret"], entry.after["secret"]) == (
        secret_fingerprint(SECRET),
        secret_fingerprint(NEW_SECRET),
    )


def test_a_short_secret_is_refused_in_the_admin(world, lead, nothing_written):
    subscriber = world["subscriber"]
    url = reverse("admin:cases_webhooksubscriber_change", args=[subscriber.pk])

    with nothing_written():
        response = admin_client(lead).post(url, subscriber_form(new_secret="short-secret"))

    assert response.status_code == 200
    assert "at least 16 characters" in response.content.decode()


@pytest.mark.parametrize("weak", [" " * 20, "a" * 40, "abababababababababab"])
def test_a_weak_secret_is_refused(world, lead, nothing_written, weak):
    subscriber = world["subscriber"]
    url = reverse("admin:cases_webhooksubscriber_change", args=[subscriber.pk])

    with nothing_written():
        response = admin_client(lead).post(url, subscriber_form(new_secret=weak))

    assert response.status_code == 200
    assert "random secret" in response.content.decode()


def test_a_new_subscriber_needs_a_secret(world, lead, nothing_written):
    with nothing_written():
        response = admin_client(lead).post(
            reverse("admin:cases_webhooksubscriber_add"),
            subscriber_form(url="https://other.exchange.example/hook"),
        )

    assert response.status_code == 200
    assert "needs a signing secret" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
        "ftp://files.exchange.example/hook",
    ],
)
def test_an_internal_url_is_refused_in_the_admin(world, lead, nothing_written, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with nothing_written():
        response = admin_client(lead).post(
            reverse("admin:cases_webhooksubscriber_add"),
            subscriber_form(url=url, new_secret=NEW_SECRET),
        )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_a_new_subscriber_is_added_and_audited(world, lead):
    response = admin_client(lead).post(
        reverse("admin:cases_webhooksubscriber_add"),
        subscriber_form(url="https://other.exchange.example/hook", new_secret=NEW_SECRET),
    )

    assert response.status_code == 302
    created = WebhookSubscriber.objects.get(url="https://other.exchange.example/hook")
    assert created.secret == NEW_SECRET
    entry = AuditEntry.objects.filter(action="webhook_subscriber.saved").latest("seq")
    assert (entry.actor, entry.before, entry.after["url"]) == (lead, {}, created.url)


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "risk_analyst", "auditor"])
def test_other_roles_cannot_open_a_subscriber(world, make_user, role):
    client = admin_client(make_user(role, is_staff=True))
    pk = world["subscriber"].pk

    for name in ("changelist", "change", "add"):
        args = [pk] if name == "change" else []
        response = client.get(reverse(f"admin:cases_webhooksubscriber_{name}", args=args))
        assert response.status_code == 403, name


# --- the rulebook keeps history -----------------------------------------------------------


def rule_form(rule: Rule, **fields: Any) -> dict[str, Any]:
    """The admin's form of a rule: its title and text per language (`title` and `text`
    given here are the English ones)."""
    data = {
        "code": rule.code,
        "reasons": rule.reasons,
        "outcomes": rule.outcomes,
        "responsible": rule.responsible,
        "active": "on" if rule.active else "",
    }
    for name in ("title", "text"):
        for suffix in ("en", "zh_hans", "ru"):
            data[f"{name}_{suffix}"] = getattr(rule, f"{name}_{suffix}") or ""
        if name in fields:
            data[f"{name}_en"] = fields.pop(name)
    return {**data, **fields}


@pytest.fixture
def decided(make_user) -> Verdict:
    appeal = appeal_in("resolved")
    return Verdict.objects.get(appeal=appeal, state="effective")


def test_editing_a_rule_does_not_change_past_verdicts(decided, lead, make_user):
    rule = decided.rule
    old_title, old_text = rule.title, rule.text
    client = admin_client(lead)

    response = client.post(
        reverse("admin:cases_rule_change", args=[rule.pk]),
        rule_form(rule, title="A new title", text="A new text."),
    )

    assert response.status_code == 302, response.content[:2000]
    rule.refresh_from_db()
    assert rule.title == "A new title"
    decided.refresh_from_db()
    assert (decided.rule_code, decided.rule_title, decided.rule_text) == (
        rule.code,
        old_title,
        old_text,
    )
    # The case page and the API show the rule as the verdict cited it.
    page = admin_client(make_user("arbitrator")).get(f"/cases/{decided.appeal_id}/")
    assert old_title in page.content.decode()
    assert "A new title" not in page.content.decode()


def test_editing_a_rule_is_audited(decided, lead):
    rule = decided.rule
    admin_client(lead).post(
        reverse("admin:cases_rule_change", args=[rule.pk]),
        rule_form(rule, text="Reworded."),
    )

    entry = AuditEntry.objects.filter(action="rule.updated").latest("seq")
    assert entry.actor == lead
    assert entry.after == {"text_en": "Reworded."}
    assert entry.before["text_en"] != "Reworded."


def test_a_lead_sets_what_a_rule_decides(decided, lead):
    rule = decided.rule
    response = admin_client(lead).post(
        reverse("admin:cases_rule_change", args=[rule.pk]),
        rule_form(rule, outcomes=["release_to_buyer", "no_action"], responsible=[]),
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.outcomes == ["release_to_buyer", "no_action"] and rule.responsible == []
    entry = AuditEntry.objects.filter(action="rule.updated").latest("seq")
    assert entry.after == {"outcomes": ["release_to_buyer", "no_action"], "responsible": []}


def test_a_rule_cannot_decide_an_unknown_outcome(decided, lead):
    rule = decided.rule
    before = list(rule.outcomes)
    response = admin_client(lead).post(
        reverse("admin:cases_rule_change", args=[rule.pk]),
        rule_form(rule, outcomes=["give_it_to_me"]),
    )

    assert response.status_code == 200 and b"give_it_to_me" in response.content
    rule.refresh_from_db()
    assert rule.outcomes == before


@pytest.mark.parametrize("reasons", [["5"], ["nope_reason"], ["{}"]])
def test_a_rule_is_usual_only_for_real_reasons(decided, lead, reasons):
    rule = decided.rule
    before = list(rule.reasons)
    response = admin_client(lead).post(
        reverse("admin:cases_rule_change", args=[rule.pk]), rule_form(rule, reasons=reasons)
    )
    assert response.status_code == 200  # the form again, with the error
    rule.refresh_from_db()
    assert rule.reasons == before


@pytest.mark.parametrize(
    "text", ["Hello {", "Hello {}", "Hello {order:d}", "{order:>3000000}", "{order!r}", "}"]
)
def test_a_canned_reply_the_desk_cannot_fill_is_refused(lead, text):
    reply = CannedReply.objects.order_by("key").first()
    data = {"key": reply.key, "active": "on"}
    for name in ("title", "text"):
        for suffix in ("en", "zh_hans", "ru"):
            data[f"{name}_{suffix}"] = getattr(reply, f"{name}_{suffix}") or ""
    data["text_ru"] = text
    before = reply.text_ru

    response = admin_client(lead).post(
        reverse("admin:cases_cannedreply_change", args=[reply.pk]), data
    )

    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.text_ru == before


def test_a_cited_rules_code_cannot_change(decided, lead, nothing_written):
    rule = decided.rule
    with nothing_written():
        response = admin_client(lead).post(
            reverse("admin:cases_rule_change", args=[rule.pk]),
            rule_form(rule, code="P2P-9.9"),
        )

    # The field is read-only on a cited rule: the posted code is ignored...
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.code == decided.rule_code
    # ...and the service refuses it too, whoever calls it.
    from arbitration.exceptions import Conflict
    from cases.services import rule_save

    rule.code = "P2P-9.9"
    with pytest.raises(Conflict, match="cited by verdicts"):
        rule_save(rule=rule, actor=lead)


def test_an_uncited_rules_code_may_change(lead):
    rule = Rule.objects.create(code="TMP-1", title="Draft", text="Draft text.", reasons=[])

    response = admin_client(lead).post(
        reverse("admin:cases_rule_change", args=[rule.pk]), rule_form(rule, code="TMP-2")
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.code == "TMP-2"


def test_adding_a_rule_is_audited(lead):
    client = admin_client(lead)
    rule = Rule(code="NEW-1", title="New", text="New rule.", active=True)

    response = client.post(reverse("admin:cases_rule_add"), rule_form(rule))

    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="rule.created").latest("seq")
    assert entry.after["code"] == "NEW-1"


def test_canned_reply_edits_are_audited(lead):
    from cases.models import CannedReply

    reply = CannedReply.objects.get(key="under_review")
    response = admin_client(lead).post(
        reverse("admin:cases_cannedreply_change", args=[reply.pk]),
        {
            "key": reply.key,
            "title_en": reply.title_en,
            "title_zh_hans": reply.title_zh_hans,
            "title_ru": reply.title_ru,
            "text_en": reply.text_en,
            "text_zh_hans": "{party_name}，您好。已改写。",
            "text_ru": reply.text_ru,
            "active": "on",
        },
    )

    assert response.status_code == 302, response.content[:1500]
    entry = AuditEntry.objects.filter(action="cannedreply.updated").latest("seq")
    # The Chinese text alone changed, and the audit says so.
    assert entry.after == {"text_zh_hans": "{party_name}，您好。已改写。"}
    assert entry.actor == lead
    reply.refresh_from_db()
    assert reply.text_en.startswith("Dear {party_name}")


def test_token_keys_are_in_no_admin_page_not_even_the_superusers(world, lead, make_user):
    """As reported: the superuser read every service token in the admin and could then
    speak for the parties. Tokens are issued and rotated by create_service_token only."""
    root = make_user(None, is_staff=True, is_superuser=True, username="root")
    assert Token.objects.filter(key=world["token"]).exists()
    for user in (lead, root):
        client = admin_client(user)
        assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
        assert world["token"] not in client.get("/admin/").content.decode()
    assert get_user_model().objects.filter(username="svc-p2p-order-service").exists()


def test_a_service_account_with_a_password_cannot_open_a_session(world, make_user):
    """An administrator who sets a password on a service account still cannot sign in as
    it, and a session of it is no service: only its token speaks for the parties."""
    from rest_framework.test import APIClient

    service = get_user_model().objects.get(username="svc-p2p-order-service")
    service.set_password("a long enough passphrase 42")
    service.save()

    response = Client().post(
        "/accounts/login/",
        {"username": service.username, "password": "a long enough passphrase 42"},
    )
    assert response.status_code == 200 and "_auth_user_id" not in Client().session

    session = APIClient()
    session.force_login(service)
    order = world["appeal"].order
    chat = [{"external_id": "M-S", "sender": "seller", "sent_at": "2026-11-21T10:00:00Z",
             "text": "I am the seller"}]  # fmt: skip
    assert (
        session.post(f"/api/v1/orders/{order.external_id}/chat/", chat, format="json").status_code
        == 403
    )


def test_a_rename_that_loses_the_race_to_a_verdict_says_so(lead, monkeypatch):
    """The form saw no citing verdict, but one committed before the save: rule_save
    refuses, and the admin shows why instead of a 500."""
    from arbitration.exceptions import Conflict
    from cases import admin as cases_admin

    rule = Rule.objects.create(code="RACE-ADMIN", title="Race", text="Race.", reasons=[])

    def refuse(*, rule: Rule, actor: Any) -> Rule:
        raise Conflict("Rule RACE-ADMIN is cited by verdicts: its code cannot change.")

    monkeypatch.setattr(cases_admin, "rule_save", refuse)
    client = admin_client(lead)
    response = client.post(
        reverse("admin:cases_rule_change", args=[rule.pk]), rule_form(rule, code="RACE-2")
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "cited by verdicts" in page
    rule.refresh_from_db()
    assert rule.code == "RACE-ADMIN"
