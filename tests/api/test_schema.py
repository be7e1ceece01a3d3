"""The OpenAPI schema at /api/schema/ and the docs at /api/docs/, working offline."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from .test_schemathesis import OPERATIONS

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_with_every_contract_path(service_api):
    response = service_api.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    served = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert {op for op in served if op[1].startswith("/api/v1/")} == set(OPERATIONS)
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_the_docs_load_everything_from_this_server(login, arbitrator, client):
    response = login(arbitrator).get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"docs fetch {asset} from the internet"
    for asset in assets:
        if asset.startswith("/static/"):
            # WhiteNoise serves static files from the finders before any collectstatic.
            assert client.get(asset).status_code == 200, asset
