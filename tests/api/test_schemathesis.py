"""Property-based API testing with Schemathesis, from the schema the app serves.

The schema is loaded from /api/schema/ through the WSGI app (`schemathesis.openapi.from_wsgi`),
so what is tested is exactly what integrators download. Every operation gets a few dozen
generated requests, valid and invalid (positive and negative generation), sent by a
service account, an arbitrator or a team lead (all with `Authorization: Token`), against a
desk seeded with orders, appeals in every status, chat and evidence, and the floor's
policies, rules, incidents and notifications; path parameters are the seeded ids (of the
path's own kind of row) half of the time so the requests reach real rows. A 5xx is always a bug; a
response that does not match the served schema is one too (in the code or the schema).

Deterministic: Hypothesis is derandomized and keeps no example database.
"""

from __future__ import annotations

import io
import traceback
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from arbitration.wsgi import application
from cases.lifecycle import restriction_add
from cases.models import EscalationRule, Incident, Notification, Rule, SlaPolicy
from cases.notifications import notify
from cases.services import chat_ingest
from evidence.services import evidence_add
from tests.factories import OrderFactory, TraderFactory, appeal_in, open_appeal, pdf_bytes, upload

from .conftest import issue_service_token
from .payloads import API, message

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 40

OPERATIONS = [
    ("POST", f"{API}/orders/"),
    ("GET", f"{API}/orders/{{external_id}}/"),
    ("GET", f"{API}/orders/{{external_id}}/chat/"),
    ("POST", f"{API}/orders/{{external_id}}/chat/"),
    ("POST", f"{API}/traders/{{external_id}}/signals/"),
    ("GET", f"{API}/appeals/"),
    ("POST", f"{API}/appeals/"),
    ("GET", f"{API}/appeals/{{id}}/"),
    ("POST", f"{API}/appeals/{{id}}/cancel/"),
    ("GET", f"{API}/appeals/{{id}}/evidence/"),
    ("POST", f"{API}/appeals/{{id}}/evidence/"),
    ("POST", f"{API}/appeals/{{id}}/verdict/"),
    ("POST", f"{API}/appeals/{{id}}/review/"),
    ("GET", f"{API}/rules/"),
    ("GET", f"{API}/metrics/daily/"),
    # v1.1, the floor.
    ("GET", f"{API}/staff/"),
    ("GET", f"{API}/staff/{{username}}/"),
    ("PATCH", f"{API}/staff/{{username}}/"),
    ("GET", f"{API}/sla-policies/"),
    ("POST", f"{API}/sla-policies/"),
    ("PATCH", f"{API}/sla-policies/{{id}}/"),
    ("DELETE", f"{API}/sla-policies/{{id}}/"),
    ("GET", f"{API}/appeals/{{id}}/evidence-requests/"),
    ("POST", f"{API}/appeals/{{id}}/evidence-requests/"),
    ("GET", f"{API}/escalation-rules/"),
    ("POST", f"{API}/escalation-rules/"),
    ("PATCH", f"{API}/escalation-rules/{{id}}/"),
    ("DELETE", f"{API}/escalation-rules/{{id}}/"),
    ("GET", f"{API}/incidents/"),
    ("POST", f"{API}/incidents/"),
    ("POST", f"{API}/incidents/{{id}}/end/"),
    ("GET", f"{API}/notifications/"),
    ("POST", f"{API}/notifications/{{id}}/read/"),
    # v1.1, traders and account restrictions.
    ("GET", f"{API}/traders/{{external_id}}/"),
    ("POST", f"{API}/traders/{{external_id}}/restrictions/"),
    ("POST", f"{API}/traders/{{external_id}}/restrictions/{{id}}/lift/"),
]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app_errors() -> Iterator[list[str]]:
    """Run the WSGI app inside the test's transaction, and keep the traceback of every
    exception it turns into a 500 (for the failure message)."""
    errors: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        errors.append(f"{request.method} {request.get_full_path()}\n{traceback.format_exc()}")

    # Django closes the connection around each request; here that connection holds the
    # test's transaction. django.test.Client disconnects the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record)
    try:
        yield errors
    finally:
        got_request_exception.disconnect(record)
        request_finished.connect(close_old_connections)
        request_started.connect(close_old_connections)


def floor(arbitrator: Any, lead: Any) -> dict[str, list]:
    """A policy, rules, an incident and notifications of both staff callers: the ids the
    floor's paths name, by path."""
    now = timezone.now()
    policy = SlaPolicy.objects.create(
        reason="chargeback", first_response_minutes=5, evidence_hours=5, resolution_hours=5
    )
    rules = [
        EscalationRule.objects.create(name=f"ST rule {i}", target_role="team_lead")
        for i in range(2)
    ]
    incident = Incident.objects.create(title="ST outage", starts_at=now - timedelta(hours=1))
    with transaction.atomic():
        notify([arbitrator, lead], Notification.Kind.ASSIGNED_TO_YOU)
        notify([arbitrator, lead], Notification.Kind.DEADLINE_SOON, data={"due": now.isoformat()})
    return {
        f"{API}/sla-policies/{{id}}/": [policy.pk],
        f"{API}/escalation-rules/{{id}}/": [r.pk for r in rules],
        f"{API}/incidents/{{id}}/end/": [incident.pk],
        f"{API}/notifications/{{id}}/read/": list(
            Notification.objects.values_list("pk", flat=True)
        ),
    }


@pytest.fixture
def desk(arbitrator: Any, arbitrator2: Any, senior: Any, lead: Any) -> dict[str, list]:
    """Orders, traders, appeals in every status, chat and evidence to aim requests at;
    staff, policies, rules, incidents and notifications for the floor's paths."""
    orders = [OrderFactory(external_id=f"ORD-ST-{i}") for i in range(3)]
    appeals = [
        open_appeal(order=orders[0]),
        appeal_in("in_review", worker=arbitrator, order=orders[1]),
        appeal_in("awaiting_evidence", worker=arbitrator),
        appeal_in("escalated", worker=arbitrator2),
        appeal_in("pending_approval", worker=senior),
        appeal_in("resolved", worker=arbitrator2),
        appeal_in("cancelled"),
        *[open_appeal() for _ in range(3)],
    ]
    chat_ingest(
        order=orders[0],
        messages=[{**message(f"ST-{i}"), "sent_at": timezone.now()} for i in range(3)],
    )
    evidence_add(
        appeal_id=appeals[0].pk,
        upload=upload(pdf_bytes(), "s.pdf"),
        party="buyer",
        kind="bank_statement",
        actor=arbitrator,
    )
    traders = [TraderFactory(external_id=f"T-ST-{i}") for i in range(2)]
    free = [OrderFactory(external_id=f"ORD-FREE-{i}") for i in range(5)]  # no appeal yet
    today = timezone.localdate(timezone=ZoneInfo(django_settings.OPERATIONS_TIME_ZONE))
    call_command("compute_daily_metrics", "--date", today.isoformat(), stdout=io.StringIO())
    return {
        "day": [today.isoformat()],
        "external_id": [o.external_id for o in orders] + [t.external_id for t in traders],
        "id": [a.pk for a in appeals],
        "order": [o.external_id for o in free + orders],
        "rule": list(Rule.objects.filter(active=True).values_list("code", flat=True)),
        "username": [arbitrator.username, arbitrator2.username, senior.username, lead.username],
        "id_by_path": floor(arbitrator, lead)
        | {
            f"{API}/traders/{{external_id}}/restrictions/{{id}}/lift/": [
                restriction_add(actor=lead, trader=traders[0], functions=["p2p"], reason="ST").pk
            ]
        },
    }


@pytest.fixture
def auth(arbitrator: Any, lead: Any) -> dict[str, dict[str, str]]:
    return {
        "service": {"Authorization": f"Token {issue_service_token('schemathesis')}"},
        "arbitrator": {"Authorization": f"Token {Token.objects.create(user=arbitrator).key}"},
        "lead": {"Authorization": f"Token {Token.objects.create(user=lead).key}"},
    }


@pytest.fixture
def api_schema(auth: dict, desk: dict, app_errors: list) -> Any:
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=dict(auth["service"])
    )

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        # Half the requests aim at seeded rows; the rest keep what was generated.
        seeded = {**desk, "id": desk["id_by_path"].get(context.operation.path, desk["id"])}
        real = {k: st.sampled_from(seeded[k]) for k in path_parameters or {} if k in seeded}
        if not real:
            return st.just(path_parameters)
        return st.one_of(
            st.just(path_parameters),
            st.fixed_dictionaries(real).map(lambda chosen: {**path_parameters, **chosen}),
        )

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> Any:
        # Now and then ask for the day the daily job computed, so a real row is served.
        if context.operation.path != f"{API}/metrics/daily/" or not isinstance(query, dict):
            return st.just(query)
        day = desk["day"][0]
        return st.one_of(st.just(query), st.just({**query, "from": day, "to": day}))

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        # An appeal names a seeded order and a verdict a real rule, now and then, so that
        # requests get past validation into the lifecycle.
        if not isinstance(body, dict):
            return st.just(body)
        path = context.operation.path
        real = {
            key: st.sampled_from(desk[key])
            for key in body
            if (key, path)
            in (("order", f"{API}/appeals/"), ("rule", f"{API}/appeals/{{id}}/verdict/"))
        }
        if not real:
            return st.just(body)
        return st.one_of(
            st.just(body), st.fixed_dictionaries(real).map(lambda chosen: {**body, **chosen})
        )

    return schema


def test_the_schema_has_every_contract_operation(api_schema):
    # Every operation of /api/v1/ is fuzzed (Schemathesis leaves out /api/schema/ itself).
    served = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}

    assert served == set(OPERATIONS)


SERVICE_WRITES = {
    ("POST", "/api/v1/orders/"),
    ("POST", "/api/v1/orders/{external_id}/chat/"),
    ("POST", "/api/v1/traders/{external_id}/signals/"),
    ("POST", "/api/v1/appeals/"),
    ("POST", "/api/v1/appeals/{id}/review/"),
}
# The floor's settings are the team leads' to change, and restrictions the seniors' and
# leads' (403 for anyone else, tested in test_floor_api.py and test_traders.py).
LEAD_WRITES = {
    (method, path)
    for method, path in OPERATIONS
    if method != "GET"
    and path.startswith(
        (
            f"{API}/staff/",
            f"{API}/sla-policies/",
            f"{API}/escalation-rules/",
            f"{API}/incidents/",
            f"{API}/traders/{{external_id}}/restrictions/",
        )
    )
}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_breaks_the_api(api_schema, auth, app_errors, method, path):
    operation = api_schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    failures: list[str] = []
    statuses: list[int] = []
    # The exchange's facts and the parties' appeals are the services' to write (staff get
    # a 403 there, tested in test_auth.py): generated requests go where they can land.
    callers = ["service"] if (method, path) in SERVICE_WRITES else sorted(auth)
    if (method, path) in LEAD_WRITES:
        callers = ["lead"]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, caller=st.sampled_from(callers))
    def run(case: Any, caller: str) -> None:
        response = case.call(headers=auth[caller])
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=auth[caller])
        except (Exception, BaseExceptionGroup) as exc:  # collect all: report every failure
            failures.append(f"[{caller}] {exc}")

    run()

    assert not app_errors, "\n\n".join(app_errors[:3])
    assert not failures, (
        f"{len(failures)} failing requests; first ones:\n\n"
        + "\n\n".join(dict.fromkeys(failures))[:20000]
    )
    assert len(statuses) >= EXAMPLES_PER_OPERATION // 2, statuses
    # Some requests got past authentication, permissions and the lookup of their row.
    assert any(code not in (401, 403, 404) for code in statuses), sorted(set(statuses))
    print(f"{method} {path}: {len(statuses)} requests, statuses {Counter(statuses)}")
