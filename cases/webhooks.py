"""Webhook delivery: sign an event, POST it to one subscriber, record what happened.

Delivery is at least once. A delivery row is claimed with a compare-and-swap update that
pushes its `next_attempt_at` forward by a lease, so two workers (or a retry and the
sweep) never POST the same delivery at the same moment; a worker that dies mid-POST
leaves a lease that expires, and the sweep tries again. The same code runs on SQLite,
which has no SELECT ... FOR UPDATE SKIP LOCKED.

Subscriber URLs never reach inside: a URL must be http(s) and resolve only to public
addresses when it is saved (`url_refusal`), and every POST goes through requests-hardened,
which resolves the host once, refuses a private, loopback, link-local or metadata address
and connects to the address it checked, so a DNS answer that changes after the check
cannot redirect the POST. settings.WEBHOOK_ALLOW_PRIVATE_URLS switches both checks off
(tests and the local demo post to 127.0.0.1). What a failing subscriber answers is never
stored or shown: only its status code and a short error of ours.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress

from .audit import audit_record
from .models import OutboxEvent, WebhookDelivery

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
# The task that attempts one delivery (cases.tasks), named, not imported: arbitration.jobs.
DELIVER_WEBHOOK = "cases.tasks.deliver_webhook"
USER_AGENT = "ArbitrationDesk-Webhooks/1.0"
# Statuses the task may still send; delivered and dead are final.
SENDABLE = (Status.PENDING, Status.FAILED)
# Cloud metadata services answer on these even where they are not link-local.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (169.254.169.254, the metadata address), shared
    (100.64/10), multicast, reserved or otherwise not globally routable, including an
    IPv4 address wrapped in IPv6 (mapped, 6to4, Teredo, NAT64) and the ranges
    requests-hardened refuses at connect time."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(inner is not None and address_is_internal(inner) for inner in embedded):
            return True
    if any(ip in net for net in EXTRA_BLOCKED_NET_RANGES):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:  # fec0::/10, deprecated
        return True
    return not ip.is_global or ip.is_multicast or ip.is_private or ip.is_reserved


def url_refusal(url: str, *, resolve: bool = True) -> str | None:
    """Why a subscriber URL is refused, or None: not http(s), no host, an internal host
    name, and (with `resolve`) a host that does not resolve or resolves to any internal
    address."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return _("is not a valid URL")
    if parts.scheme not in ("http", "https"):
        return _("must be an http or https URL")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return _("has no host")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return None
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        return _("points at an internal host")
    if not resolve:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return _("does not resolve to an address")
    for *_rest, sockaddr in infos:
        if address_is_internal(ipaddress.ip_address(sockaddr[0].split("%")[0])):
            return _("resolves to a loopback, private, link-local or metadata address")
    return None


def sign(body: bytes, secret: str) -> str:
    """The X-Arbitration-Signature value: HMAC-SHA256 of the exact raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_timestamped(body: bytes, secret: str, timestamp: int) -> str:
    """X-Arbitration-Signature-Timestamped: HMAC-SHA256 of "<timestamp>.<raw body>", so a
    subscriber can refuse a delivery replayed later or with another timestamp."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def event_body(event: OutboxEvent) -> bytes:
    """The envelope serialized once: these bytes are both signed and sent."""
    return json.dumps(event.envelope(), separators=(",", ":"), ensure_ascii=False).encode()


def delivery_headers(
    delivery: WebhookDelivery, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = delivery.subscriber.secret
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Arbitration-Event": delivery.event.type,
        "X-Arbitration-Signature": sign(body, secret),
        "X-Arbitration-Timestamp": str(timestamp),
        "X-Arbitration-Signature-Timestamped": sign_timestamped(body, secret, timestamp),
        "X-Arbitration-Delivery": str(delivery.pk),
    }


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter after the `attempts`-th failed attempt."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return timedelta(seconds=random.uniform(0, ceiling))


def claim_lease() -> timedelta:
    # requests' timeout bounds the connect and each read separately, not the whole
    # exchange: the lease covers both plus the short body read, with a margin.
    return timedelta(seconds=3 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def _session() -> HTTPSession:
    return HTTPSession(
        Config(
            # Resolve once, refuse internal addresses, connect to the address checked.
            ip_filter_enable=not settings.WEBHOOK_ALLOW_PRIVATE_URLS,
            ip_filter_allow_loopback_ips=False,
            # A 3xx could send a signed event to another host.
            never_redirect=True,
            default_timeout=(settings.WEBHOOK_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS),
        )
    )


def _status_error(code: int) -> str:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "unknown status"
    return f"HTTP {code} {phrase}"


def _exception_error(exc: requests.RequestException) -> str:
    """Our words for a failure, never the exception's text: it can quote what an internal
    service answered, and arbitrators read last_error in the admin."""
    if isinstance(exc, InvalidIPAddress):
        why = "refused: the host resolves to an internal address"
    elif isinstance(exc, requests.Timeout):
        why = "timed out"
    elif isinstance(exc, requests.exceptions.SSLError):
        why = "TLS handshake failed"
    elif isinstance(exc, requests.ConnectionError):
        why = "connection failed"
    elif isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        why = "invalid URL"
    else:
        why = "request failed"
    return f"{type(exc).__name__}: {why}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once. Returns (status code or None, error text; empty when it was a 2xx).

    The answer's body is never read: it is not ours to keep, and an internal service's
    error page must not end up in front of staff."""
    # The scheme and host-name rules again (a URL may have been edited in the database);
    # the addresses are checked by the session at connect time, on the one it connects to.
    refused = url_refusal(url, resolve=False)
    if refused:
        return None, f"Refused: the URL {refused}"
    try:
        with (
            _session() as session,
            session.post(
                url, data=body, headers=headers, allow_redirects=False, stream=True
            ) as response,
        ):
            code = response.status_code
            if 200 <= code < 300:
                return code, ""
            if 300 <= code < 400:
                return code, f"{_status_error(code)}: redirects are not followed"
            return code, _status_error(code)
    except requests.RequestException as exc:
        return None, _exception_error(exc)


def delivery_attempt(*, delivery_id: int) -> datetime | None:
    """Try one delivery once, if it is due and nobody else is sending it.

    Returns when to try again if this call made an attempt that failed and will be
    retried; None when it was delivered, is dead, or was not ours to send.
    """
    now = timezone.now()
    lease_until = now + claim_lease()
    # The claim: only a due, unfinished row moves, and only one caller moves it, because
    # the row no longer matches `next_attempt_at <= now` once its lease is written.
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id,
        status__in=SENDABLE,
        next_attempt_at__lte=now,
        attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS,
    ).update(next_attempt_at=lease_until, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "subscriber").get(id=delivery_id)
    # Our lease is the token: a result is written only while the row still carries it.
    ours = WebhookDelivery.objects.filter(
        id=delivery_id, status=delivery.status, next_attempt_at=lease_until
    )
    if not delivery.subscriber.active:
        ours.update(status=Status.DEAD, last_error="The subscriber was deactivated.")
        return None

    body = event_body(delivery.event)
    code, error = _post(delivery.subscriber.url, body, delivery_headers(delivery, body))
    finished = timezone.now()

    if not error:
        # A 2xx is final whoever holds the row now: never send an acknowledged event again.
        WebhookDelivery.objects.filter(id=delivery_id).exclude(status=Status.DELIVERED).update(
            status=Status.DELIVERED, delivered_at=finished, last_status_code=code, last_error=""
        )
        logger.info("Webhook delivery %s delivered (HTTP %s)", delivery_id, code)
        return None

    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        if ours.update(status=Status.DEAD, last_error=error, last_status_code=code):
            logger.error(
                "Webhook delivery %s is dead after %s attempts: %s",
                delivery_id,
                delivery.attempts,
                error,
            )
        return None

    retry_at = finished + retry_delay(delivery.attempts)
    if not ours.update(
        status=Status.FAILED, last_error=error, last_status_code=code, next_attempt_at=retry_at
    ):
        # The lease ran out (or an admin retried it) and someone else owns the row now.
        logger.warning("Webhook delivery %s: lease lost, result dropped: %s", delivery_id, error)
        return None
    logger.warning(
        "Webhook delivery %s failed (attempt %s), retry at %s: %s",
        delivery_id,
        delivery.attempts,
        retry_at.isoformat(),
        error,
    )
    return retry_at


def deliveries_due(*, now: datetime, limit: int) -> list[int]:
    """Ids the sweep should (re)send: failed ones whose retry is due, and pending ones
    whose dispatch on commit should long have happened (the broker may have been down).

    Uses the (status, next_attempt_at) index.
    """
    grace = now - timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    return list(
        WebhookDelivery.objects.filter(
            Q(status=Status.FAILED) | Q(status=Status.PENDING, created_at__lte=grace),
            next_attempt_at__lte=now,
            attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


def deliveries_give_up(*, now: datetime) -> int:
    """Mark dead the rows whose every attempt was cut off (a worker died mid-POST each
    time): their lease expired with no result, and no attempts are left to claim them."""
    return WebhookDelivery.objects.filter(
        status__in=SENDABLE,
        next_attempt_at__lte=now,
        attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS,
    ).update(status=Status.DEAD, last_error="Gave up: the last attempt never finished.")


def deliveries_retry(*, delivery_ids: Iterable[int], actor: AbstractBaseUser | None) -> list[int]:
    """Put failed or dead deliveries back in line now, with a fresh set of attempts.

    Returns the ids reset; the caller enqueues them after commit.
    """
    now = timezone.now()
    reset: list[int] = []
    with transaction.atomic():
        deliveries = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("event__appeal")
            .filter(id__in=list(delivery_ids), status__in=(Status.FAILED, Status.DEAD))
            .order_by("id")
        )
        for delivery in deliveries:
            before = {
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            }
            delivery.status, delivery.attempts, delivery.next_attempt_at = Status.PENDING, 0, now
            delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
            audit_record(
                actor=actor,
                action="webhook_delivery.retried",
                obj=delivery,
                appeal=delivery.event.appeal,
                before=before,
                after={"status": delivery.status, "attempts": 0, "event": delivery.event_id},
            )
            reset.append(delivery.pk)
    return reset
