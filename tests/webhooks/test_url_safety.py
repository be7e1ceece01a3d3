"""Webhooks cannot reach inside: internal URLs are refused when a subscriber is saved and
again when a delivery connects (DNS can change in between); what a failing subscriber
answers is never stored; every delivery is replay-safe (timestamped signature)."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from arbitration.exceptions import InvalidInput
from cases.models import WebhookDelivery, WebhookSubscriber
from cases.services import webhook_subscriber_add
from cases.webhooks import delivery_attempt, sign_timestamped, url_refusal

from .support import SECRET, Receiver, delivery_of, emit

pytestmark = pytest.mark.django_db

INTERNAL = [
    "http://127.0.0.1:5432/",
    "http://localhost:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.5/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0:8000/",
    "http://[::1]:8000/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://metadata.google.internal/",
    "http://app.localhost/",
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 wrapping 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
]
NOT_HTTP = ["ftp://exchange.example/hook", "file:///etc/passwd", "gopher://x.example/", "//x"]


@pytest.fixture(autouse=True)
def production_rules(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Host names resolve to what this dict says (no internet here); others do not."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any):
        if isinstance(host, str) and host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 80))]
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in str(host) else socket.AF_INET, host)
        except (OSError, TypeError):
            raise socket.gaierror(socket.EAI_NONAME, "no such host") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_url_is_refused_by_the_command(public_dns, nothing_written, url):
    with nothing_written(), pytest.raises(CommandError, match="refused"):
        call_command(
            "add_webhook_subscriber", url, "--secret", SECRET, "--events", "verdict.issued"
        )


@pytest.mark.parametrize("url", NOT_HTTP)
def test_a_url_that_is_not_http_is_refused(public_dns, url):
    with pytest.raises(InvalidInput):
        webhook_subscriber_add(url=url, secret=SECRET, events=["verdict.issued"])


def test_a_host_that_resolves_inside_is_refused(public_dns):
    public_dns["hooks.exchange.example"] = "10.0.0.7"

    with pytest.raises(InvalidInput, match="private"):
        webhook_subscriber_add(
            url="https://hooks.exchange.example/desk", secret=SECRET, events=["verdict.issued"]
        )


def test_a_host_that_does_not_resolve_is_refused(public_dns):
    assert url_refusal("https://nowhere.invalid/hook") == "does not resolve to an address"


def test_a_public_url_is_accepted(public_dns):
    public_dns["hooks.exchange.example"] = "203.0.113.10"  # TEST-NET-3 is not global...
    assert url_refusal("https://hooks.exchange.example/desk") is not None
    public_dns["hooks.exchange.example"] = "93.184.216.34"

    subscriber, created = webhook_subscriber_add(
        url="https://hooks.exchange.example/desk", secret=SECRET, events=["verdict.issued"]
    )

    assert created and subscriber.pk


def test_the_switch_lets_tests_and_the_demo_post_to_localhost(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert url_refusal("http://127.0.0.1:8001/hook") is None
    assert url_refusal("ftp://127.0.0.1/hook") is not None  # still http(s) only


def test_dns_that_changes_after_the_check_is_refused_at_delivery(public_dns, receiver: Receiver):
    """The subscriber resolved to a public address when saved; at delivery it resolves to
    127.0.0.1 (DNS rebinding). The POST must not reach the internal listener."""
    port = receiver.url.split(":")[2].split("/")[0]
    public_dns["hooks.exchange.example"] = "93.184.216.34"
    subscriber, _ = webhook_subscriber_add(
        url=f"http://hooks.exchange.example:{port}/hook", secret=SECRET, events=["verdict.issued"]
    )
    public_dns["hooks.exchange.example"] = "127.0.0.1"

    delivery = delivery_of(emit(), subscriber)
    delivery_attempt(delivery_id=delivery.pk)

    assert receiver.received() == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "internal address" in delivery.last_error


def test_a_url_edited_in_the_database_is_refused_at_delivery(receiver: Receiver):
    subscriber = WebhookSubscriber.objects.create(
        url="ftp://files.exchange.example/", secret=SECRET, events=["verdict.issued"]
    )
    delivery = delivery_of(emit(), subscriber)

    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused: the URL must be an http or https URL")


def test_an_internal_services_answer_is_never_stored_or_shown(settings, receiver: Receiver, lead):
    """As reported: an internal service's error body was shown to an arbitrator in the
    admin. Only the status and our words for it are kept."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    subscriber = WebhookSubscriber.objects.create(
        url=receiver.url, secret=SECRET, events=["verdict.issued"]
    )
    receiver.respond = lambda received: 503
    delivery = delivery_of(emit(), subscriber)

    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_status_code == 503
    assert delivery.last_error == "HTTP 503 Service Unavailable"
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("admin:cases_webhookdelivery_changelist")).content.decode()
    assert "nope" not in page  # the receiver's body


def test_every_delivery_carries_a_timestamped_signature(settings, receiver: Receiver) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    subscriber = WebhookSubscriber.objects.create(
        url=receiver.url, secret=SECRET, events=["verdict.issued"]
    )
    before = int(time.time())

    delivery_attempt(delivery_id=delivery_of(emit(), subscriber).pk)

    [received] = receiver.received()
    timestamp = received.headers["X-Arbitration-Timestamp"]
    assert before <= int(timestamp) <= int(time.time())
    message = f"{timestamp}.".encode() + received.body
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert received.headers["X-Arbitration-Signature-Timestamped"] == f"sha256={expected}"
    # The plain signature of the contract stays.
    plain = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Arbitration-Signature"] == f"sha256={plain}"


def test_a_replayed_body_with_another_timestamp_does_not_verify():
    body = b'{"id":"e1"}'
    assert sign_timestamped(body, SECRET, 1000) != sign_timestamped(body, SECRET, 1001)


@pytest.mark.parametrize(
    "secret",
    ["abcdefg" + "\u200b" * 12, "abcd efgh ijkl" + " " * 8, "\u00a0" * 30],
    ids=["zero-width", "spaces", "nbsp"],
)
def test_invisible_characters_do_not_pad_a_secret(public_dns, secret):
    public_dns["hooks.exchange.example"] = "93.184.216.34"
    with pytest.raises(InvalidInput, match="random secret"):
        webhook_subscriber_add(
            url="https://hooks.exchange.example/desk", secret=secret, events=["verdict.issued"]
        )


def test_a_site_local_address_is_refused(public_dns):
    assert url_refusal("http://[fec0::1]/hook") is not None
