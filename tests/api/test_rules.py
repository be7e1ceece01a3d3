"""GET /api/v1/rules/: the rulebook verdicts cite."""

from __future__ import annotations

import pytest

from cases.models import Appeal, Rule

from .payloads import API, walk

pytestmark = pytest.mark.django_db


def test_it_lists_the_default_rulebook(service_api):
    body = service_api.get(f"{API}/rules/").json()

    assert set(body) == {"next", "previous", "results"}
    rules = body["results"]
    assert len(rules) == Rule.objects.count() >= 10
    for rule in rules:
        assert set(rule) >= {"code", "title", "text", "active"}
        assert rule["code"] and rule["title"] and rule["text"]
        assert isinstance(rule["active"], bool)
    assert [r["code"] for r in rules] == sorted(r["code"] for r in rules)


def test_the_default_rulebook_covers_every_appeal_reason(service_api):
    rules = service_api.get(f"{API}/rules/").json()["results"]

    covered = {reason for rule in rules for reason in rule.get("reasons", [])}
    assert covered >= set(Appeal.Reason.values)


def test_inactive_rules_are_listed_as_inactive(service_api):
    Rule.objects.filter(code="P2P-1.2").update(active=False)

    rules = {r["code"]: r for r in service_api.get(f"{API}/rules/").json()["results"]}

    assert rules["P2P-1.2"]["active"] is False
    assert rules["P2P-1.1"]["active"] is True


def test_the_rulebook_pages_by_code(service_api):
    results = walk(service_api, f"{API}/rules/?page_size=5")

    codes = [r["code"] for r in results]
    assert codes == sorted(set(codes))
    assert set(codes) == set(Rule.objects.values_list("code", flat=True))
