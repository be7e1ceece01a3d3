"""API clients for each kind of caller.

Staff use the browser session (`force_login`); the exchange's services send
`Authorization: Token <key>` with a key made by `manage.py create_service_token`, exactly
as an operator would issue one. The actors themselves come from tests/conftest.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


def issue_service_token(name: str) -> str:
    """Run `create_service_token NAME` and return the key it prints on its last line."""
    out = io.StringIO()
    call_command("create_service_token", name, stdout=out)
    return out.getvalue().strip().splitlines()[-1].strip()


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def session_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture
def login(db: None) -> Callable[[Any], APIClient]:
    """`login(user)` -> an APIClient with a session for that user."""
    return session_client


@pytest.fixture
def service_key(db: None) -> str:
    return issue_service_token("p2p-order-service")


@pytest.fixture
def service_api(service_key: str) -> APIClient:
    return token_client(service_key)


@pytest.fixture
def arbitrator_api(arbitrator: Any) -> APIClient:
    return session_client(arbitrator)


@pytest.fixture
def role_api(make_user: Callable[..., Any]) -> Callable[[str], APIClient]:
    """`role_api("auditor")` -> a session client for a fresh user in that role;
    `role_api("service")` -> a token client of a fresh service account;
    `role_api("nobody")` -> a session client of an active user with no role at all."""
    counter = iter(range(1_000_000))

    def make(role: str) -> APIClient:
        if role == "service":
            return token_client(issue_service_token(f"svc-{next(counter)}"))
        if role == "nobody":
            return session_client(make_user(None, is_staff=False))
        return session_client(make_user(role))

    return make
