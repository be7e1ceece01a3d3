"""Settings come from the environment through small typed helpers that fail loudly."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from arbitration.settings import envbool, envint, envlist, envthresholds

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "arbitration" / "settings.py"
KEEP = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}


# --- the helpers --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " yes "])
def test_envbool_true(value, monkeypatch):
    monkeypatch.setenv("FLAG", value)
    assert envbool("FLAG", "0") is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off", ""])
def test_envbool_false(value, monkeypatch):
    monkeypatch.setenv("FLAG", value)
    assert envbool("FLAG", "1") is False


@pytest.mark.parametrize("value", ["maybe", "2", "y", "enabled"])
def test_envbool_rejects_anything_else(value, monkeypatch):
    monkeypatch.setenv("FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        envbool("FLAG", "0")


def test_envbool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert envbool("FLAG", "1") is True
    assert envbool("FLAG", "0") is False


def test_envint_parses_integers(monkeypatch):
    monkeypatch.setenv("COUNT", "42")
    assert envint("COUNT", "0") == 42
    monkeypatch.delenv("COUNT")
    assert envint("COUNT", "7") == 7


@pytest.mark.parametrize("value", ["ten", "1.5", "", "0x10", "1e3"])
def test_envint_rejects_non_integers(value, monkeypatch):
    monkeypatch.setenv("COUNT", value)
    with pytest.raises(ImproperlyConfigured, match="COUNT"):
        envint("COUNT", "0")


def test_envlist_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, b.example,,")
    assert envlist("HOSTS", "") == ["a.example", "b.example"]


def test_envthresholds_parses_per_asset_amounts(monkeypatch):
    monkeypatch.setenv("LIMITS", "usdt:10000, BTC:0.1 ,*:0")
    assert envthresholds("LIMITS", "") == {
        "USDT": Decimal("10000"),
        "BTC": Decimal("0.1"),
        "*": Decimal("0"),
    }


def test_envthresholds_uses_the_default(monkeypatch):
    monkeypatch.delenv("LIMITS", raising=False)
    assert envthresholds("LIMITS", "ETH:3") == {"ETH": Decimal("3")}


@pytest.mark.parametrize(
    "value", ["USDT", "USDT:", "USDT:ten", "USDT=10000", "USDT:10000,BTC", "USDT:1:2"]
)
def test_envthresholds_rejects_malformed_items(value, monkeypatch):
    monkeypatch.setenv("LIMITS", value)
    with pytest.raises(ImproperlyConfigured, match="LIMITS"):
        envthresholds("LIMITS", "")


@pytest.mark.parametrize("value", ["USDT:NaN", "USDT:sNaN"])
def test_envthresholds_rejects_not_a_number(value, monkeypatch):
    """A NaN threshold would pass start-up and then crash every four-eyes comparison
    (Decimal raises InvalidOperation when ordering against NaN)."""
    monkeypatch.setenv("LIMITS", value)
    with pytest.raises(ImproperlyConfigured, match="LIMITS"):
        envthresholds("LIMITS", "")


# --- the settings module, loaded afresh ---------------------------------------------------


def load_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """Execute arbitration/settings.py with exactly `env` (plus PATH and friends)."""
    for key in list(os.environ):
        if key not in KEEP:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_the_default_four_eyes_thresholds(monkeypatch):
    thresholds = load_settings(monkeypatch)["FOUR_EYES_THRESHOLDS"]
    assert thresholds["USDT"] == Decimal("10000")
    assert thresholds["BTC"] == Decimal("0.1")
    assert thresholds["*"] == Decimal("0")


def test_four_eyes_thresholds_come_from_the_environment(monkeypatch):
    loaded = load_settings(monkeypatch, FOUR_EYES_THRESHOLDS="USDT:500")
    assert loaded["FOUR_EYES_THRESHOLDS"] == {"USDT": Decimal("500")}


def test_without_an_environment_debug_is_off_and_celery_eager(monkeypatch):
    loaded = load_settings(monkeypatch)
    assert loaded["DEBUG"] is False
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["EVIDENCE_MAX_BYTES"] == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "maybe"},
        {"EVIDENCE_MAX_BYTES": "10MB"},
        {"SLA_RESOLUTION_HOURS": "two days"},
        {"FOUR_EYES_THRESHOLDS": "USDT"},
        {"OPERATIONS_TIME_ZONE": "Mars/Olympus_Mons"},
        {"SECURE_COOKIES": "sometimes"},
    ],
    ids=lambda env: next(iter(env)),
)
def test_a_malformed_value_fails_at_start_up(env, monkeypatch):
    name = next(iter(env))
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(monkeypatch, **env)


# --- a real start-up, in a clean process --------------------------------------------------

PROBE = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key in KEEP}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "arbitration.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(**env: str) -> dict[str, Any]:
    result = start(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_clean_environment_gets_sqlite_and_eager_celery():
    settings = probe()
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert Path(settings["name"]) == ROOT / "db.sqlite3"
    assert settings["eager"] is True
    assert settings["broker"] == "memory://"


def test_database_url_and_redis_url_are_used():
    settings = probe(
        DATABASE_URL="postgres://desk:secret@db.internal:5432/desk",
        REDIS_URL="redis://cache.internal:6379/3",
    )
    assert settings["engine"] == "django.db.backends.postgresql"
    assert settings["name"] == "desk"
    assert settings["eager"] is False
    assert settings["broker"] == "redis://cache.internal:6379/3"


def test_a_bad_value_stops_start_up_with_a_clear_message():
    result = start(DEBUG="perhaps")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr


# --- keys: from the environment, else a random one kept beside the code ---------------------


def test_unset_keys_are_random_and_kept_in_private_files(monkeypatch, tmp_path):
    """Never a key printed in the source: a deployment that forgot SECRET_KEY or
    AUDIT_CHAIN_KEY gets random ones nobody else knows, the same for every process."""
    first = load_settings(monkeypatch, LOCAL_SECRETS_DIR=str(tmp_path))
    again = load_settings(monkeypatch, LOCAL_SECRETS_DIR=str(tmp_path))

    assert first["SECRET_KEY"] == again["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 50
    assert first["AUDIT_CHAIN_KEY"] == again["AUDIT_CHAIN_KEY"] != first["SECRET_KEY"].encode()
    assert "dev-only" not in first["SECRET_KEY"]
    for name in (".secret-key", ".audit-chain-key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_keys_from_the_environment_win(monkeypatch, tmp_path):
    loaded = load_settings(
        monkeypatch, SECRET_KEY="k" * 50, AUDIT_CHAIN_KEY="a" * 40, LOCAL_SECRETS_DIR=str(tmp_path)
    )

    assert (loaded["SECRET_KEY"], loaded["AUDIT_CHAIN_KEY"]) == ("k" * 50, b"a" * 40)
    assert not (tmp_path / ".audit-chain-key").exists()


def test_a_short_audit_key_fails_at_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="AUDIT_CHAIN_KEY"):
        load_settings(monkeypatch, AUDIT_CHAIN_KEY="too-short")
