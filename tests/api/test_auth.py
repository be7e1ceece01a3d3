"""Who may call what under /api/v1/: every endpoint against every kind of caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import OrderFactory, TraderFactory, open_appeal, png_bytes

from .conftest import issue_service_token, token_client
from .payloads import API, VERDICT_BODY, assert_error, message, order_payload

pytestmark = pytest.mark.django_db


@dataclass
class Call:
    method: str
    url: str
    data: Any = None
    format: str | None = None
    success: int = 200

    @property
    def writes(self) -> bool:
        return self.method != "get"

    def send(self, client: APIClient):
        kwargs: dict[str, Any] = {}
        if self.data is not None:
            kwargs = {"data": self.data() if callable(self.data) else self.data}
        if self.format:
            kwargs["format"] = self.format
        return getattr(client, self.method)(self.url, **kwargs)


def _evidence_form() -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("v.png", png_bytes()),
        "party": "buyer",
        "kind": "payment_voucher",
    }


ENDPOINTS: dict[str, Callable[[dict[str, Any]], Call]] = {
    "orders.post": lambda w: Call("post", f"{API}/orders/", order_payload("ORD-NEW"), "json", 201),
    "order.get": lambda w: Call("get", f"{API}/orders/ORD-W/"),
    "chat.get": lambda w: Call("get", f"{API}/orders/ORD-W/chat/"),
    "chat.post": lambda w: Call(
        "post", f"{API}/orders/ORD-W/chat/", [message("M-auth")], "json", 201
    ),
    "signals.post": lambda w: Call(
        "post",
        f"{API}/traders/T-W/signals/",
        [{"kind": "ip", "value": "198.51.100.1", "seen_at": "2026-11-21T10:00:00Z"}],
        "json",
        200,
    ),
    "appeals.get": lambda w: Call("get", f"{API}/appeals/"),
    "appeals.post": lambda w: Call(
        "post",
        f"{API}/appeals/",
        {"order": "ORD-FREE", "opened_by": "buyer", "reason": "other", "description": ""},
        "json",
        201,
    ),
    "appeal.get": lambda w: Call("get", f"{API}/appeals/{w['appeal'].pk}/"),
    "cancel.post": lambda w: Call("post", f"{API}/appeals/{w['to_cancel'].pk}/cancel/"),
    "evidence.get": lambda w: Call("get", f"{API}/appeals/{w['appeal'].pk}/evidence/"),
    "evidence.post": lambda w: Call(
        "post", f"{API}/appeals/{w['appeal'].pk}/evidence/", _evidence_form, "multipart", 201
    ),
    "verdict.post": lambda w: Call(
        "post", f"{API}/appeals/{w['to_decide'].pk}/verdict/", VERDICT_BODY, "json", 201
    ),
    "rules.get": lambda w: Call("get", f"{API}/rules/"),
    "metrics.get": lambda w: Call("get", f"{API}/metrics/daily/?from=2026-11-01&to=2026-11-02"),
}

# What each caller may do: "all", "read" (GETs only), "data" (everything but verdicts),
# or "none" (403 everywhere).
ACCESS = {
    "arbitrator": "all",
    "senior_arbitrator": "all",
    "team_lead": "all",
    "risk_analyst": "read",
    "auditor": "read",
    "service": "data",
    "nobody": "none",
}


@pytest.fixture
def world() -> dict[str, Any]:
    OrderFactory(external_id="ORD-FREE")
    TraderFactory(external_id="T-W")
    return {
        "appeal": open_appeal(order=OrderFactory(external_id="ORD-W")),
        "to_cancel": open_appeal(),
        "to_decide": open_appeal(),
    }


# KPIs are for those who run the desk (team leads, risk, audit) and reporting services.
METRICS_READERS = {"team_lead", "risk_analyst", "auditor", "service"}
# The exchange's facts are written by its services only (contract v1.1): a staff session
# that could write an order could lower it below four-eyes, one that could post chat could
# speak as a party. Appeals too are the parties' to open, through their services.
SERVICE_WRITES = {"orders.post", "chat.post", "signals.post", "appeals.post"}


def allowed(access: str, call: Call, endpoint: str, caller: str) -> bool:
    if endpoint == "metrics.get":
        return caller in METRICS_READERS
    if endpoint in SERVICE_WRITES:
        return caller == "service"
    return {
        "all": True,
        "read": not call.writes,
        "data": endpoint != "verdict.post",
        "none": False,
    }[access]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("caller", list(ACCESS))
def test_each_caller_gets_what_its_role_allows(role_api, world, nothing_written, caller, endpoint):
    client = role_api(caller)
    call = ENDPOINTS[endpoint](world)

    if allowed(ACCESS[caller], call, endpoint, caller):
        response = call.send(client)
        assert response.status_code == call.success, (caller, endpoint, response.content[:300])
    else:
        with nothing_written():
            response = call.send(client)
        assert_error(response, 403)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_anonymous_callers_get_401_everywhere(anon_api, world, nothing_written, endpoint):
    with nothing_written():
        response = ENDPOINTS[endpoint](world).send(anon_api)

    body = assert_error(response, 401)
    assert body["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_rotated_token_is_refused_everywhere(world, nothing_written, endpoint):
    old = issue_service_token("chat-service")
    new = issue_service_token("chat-service")  # rotating revokes the old key at once
    assert old != new

    with nothing_written():
        response = ENDPOINTS[endpoint](world).send(token_client(old))

    assert_error(response, 401)
    assert ENDPOINTS["appeals.get"](world).send(token_client(new)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Token not-a-real-key",
        "Token ",
        "Token a b",
        "Bearer 0123456789abcdef",
        "Basic YWRtaW46YWRtaW4=",
    ],
)
def test_bad_credentials_are_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_error(client.get(f"{API}/appeals/"), 401)
    assert_error(client.post(f"{API}/orders/", order_payload("X"), format="json"), 401)


def test_a_deactivated_service_account_is_refused(world):
    key = issue_service_token("risk-engine")
    get_user_model().objects.filter(username="svc-risk-engine").update(is_active=False)

    assert_error(token_client(key).get(f"{API}/appeals/"), 401)


def test_the_token_command_prints_the_key_alone_on_its_last_line(db):
    from rest_framework.authtoken.models import Token

    key = issue_service_token("escrow")

    assert Token.objects.get(key=key).user.username == "svc-escrow"
    assert token_client(key).get(f"{API}/rules/").status_code == 200


# --- a real browser session ---------------------------------------------------------------


@pytest.fixture
def browser_session(make_user) -> APIClient:
    """Log in through /accounts/login/ with CSRF checks on, as a browser does."""
    user = make_user("arbitrator", username="browser-arb")
    user.set_password("a long enough passphrase 42")
    user.save()
    client = APIClient(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "username": "browser-arb",
            "password": "a long enough passphrase 42",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
        format="multipart",  # a browser's form post, not the API's JSON
    )
    assert response.status_code == 302, response.content[:300]
    assert "sessionid" in client.cookies
    return client


def test_a_session_post_without_the_csrf_token_is_refused(browser_session, world, nothing_written):
    with nothing_written():
        response = browser_session.post(
            f"{API}/appeals/{world['to_decide'].pk}/verdict/", VERDICT_BODY, format="json"
        )

    body = assert_error(response, 403)
    assert "CSRF" in body["detail"]


def test_a_session_post_with_the_csrf_token_goes_through(browser_session, world):
    # Login rotates the token: the browser uses the cookie it holds now.
    token = browser_session.cookies["csrftoken"].value

    response = browser_session.post(
        f"{API}/appeals/{world['to_decide'].pk}/verdict/",
        VERDICT_BODY,
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201, response.content[:300]


def test_a_session_get_needs_no_csrf_token(browser_session, world):
    assert browser_session.get(f"{API}/appeals/").status_code == 200


def test_a_token_caller_needs_no_csrf_token(service_key, world):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {service_key}")

    response = client.post(f"{API}/orders/", order_payload("ORD-CSRF"), format="json")

    assert response.status_code == 201
