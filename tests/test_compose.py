"""docker-compose.yml describes a deployable desk: database, broker, web, worker, beat."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

COMPOSE_FILE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]


def command_of(service: dict) -> str:
    command = service.get("command", "")
    if isinstance(command, list):
        command = " ".join(str(part) for part in command)
    return " ".join(command.split())


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items()}


def dependencies_of(service: dict) -> set[str]:
    depends_on = service.get("depends_on") or {}
    return set(depends_on)


def test_it_defines_the_five_services(services):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_postgres_and_redis_have_healthchecks(services):
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "ping" in str(services["redis"]["healthcheck"]["test"])


def test_web_runs_gunicorn_with_the_project_wsgi_app_after_migrating(services):
    command = command_of(services["web"])
    assert "gunicorn arbitration.wsgi" in command
    assert "manage.py migrate" in command
    assert command.index("migrate") < command.index("gunicorn")
    assert "8000:8000" in [str(port) for port in services["web"]["ports"]]


@pytest.mark.parametrize("name,subcommand", [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_celery_for_the_project(services, name, subcommand):
    assert command_of(services[name]).startswith(f"celery -A arbitration {subcommand}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]
    assert dependencies_of(services[name]) >= {"postgres", "redis"}
    if isinstance(depends_on, dict):
        for dependency in ("postgres", "redis"):
            assert depends_on[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_database_and_redis_urls(services, name):
    env = environment_of(services[name])
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env.get("SECRET_KEY")
    assert env.get("DEBUG") == "0"


def test_the_apps_share_an_audit_key_and_never_allow_private_webhook_urls(services):
    """The audit chain verifies only under one key, so web, worker and beat share it; and
    a deployed desk posts webhooks to public addresses only."""
    keys = {environment_of(services[name]).get("AUDIT_CHAIN_KEY") for name in APP_SERVICES}
    assert len(keys) == 1 and None not in keys and len(keys.pop()) >= 32
    for name in APP_SERVICES:
        assert environment_of(services[name]).get("WEBHOOK_ALLOW_PRIVATE_URLS", "0") in ("0", "")
