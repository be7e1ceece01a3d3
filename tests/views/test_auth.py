"""Signing in and out, changing the password, the brute-force guard, CSRF on the login
form, and the security headers every page carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client

PASSWORD = "a long enough passphrase 42"
NOW = datetime(2026, 3, 14, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def locmem_cache(settings: Any) -> None:
    # Under CI the default cache is Redis, shared by every test: use a private one.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    # These tests log in dozens of times; PBKDF2 would make each attempt cost 0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mei(make_user) -> Any:
    user = make_user("arbitrator", username="mei")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client: Client, username: str = "mei", password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def fail(client: Client, times: int, username: str = "mei", **extra: Any) -> Any:
    """`times` failed attempts; the last one answers 429 if it reached the limit."""
    for attempt in range(1, times + 1):
        response = log_in(client, username, "wrong password", **extra)
        expected = 200 if attempt < settings.LOGIN_LOCKOUT_FAILURES else 429
        assert response.status_code == expected, attempt
    return response


# --- logging in and out -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_renders():
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_logging_in_lands_on_the_queue(mei):
    client = Client()

    response = log_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    queue = client.get("/")
    assert queue.status_code == 200
    assert b"<h1>Queue</h1>" in queue.content


def test_logging_in_follows_next_on_this_site_only(mei):
    response = Client().post(
        "/accounts/login/?next=/me/", {"username": "mei", "password": PASSWORD, "next": "/me/"}
    )
    assert response["Location"] == "/me/"

    response = Client().post(
        "/accounts/login/",
        {"username": "mei", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_message(mei):
    response = log_in(Client(), password="nope")

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_a_signed_in_user_visiting_the_login_page_goes_to_the_queue(mei):
    client = Client()
    client.force_login(mei)

    response = client.get("/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logging_out_is_a_post_and_ends_the_session(mei):
    client = Client()
    client.force_login(mei)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_every_page_offers_log_out_as_a_form(mei):
    client = Client()
    client.force_login(mei)

    html = client.get("/").content.decode()

    assert '<form method="post" action="/accounts/logout/">' in html


def test_changing_the_password(mei):
    client = Client()
    client.force_login(mei)

    assert client.get("/accounts/password_change/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another decent passphrase 7",
            "new_password2": "another decent passphrase 7",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert b"Password changed" in client.get(response["Location"]).content
    mei.refresh_from_db()
    assert mei.check_password("another decent passphrase 7")


def test_a_password_change_with_a_wrong_old_password_is_refused(mei):
    client = Client()
    client.force_login(mei)

    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "not it",
            "new_password1": "another decent passphrase 7",
            "new_password2": "another decent passphrase 7",
        },
    )

    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    mei.refresh_from_db()
    assert mei.check_password(PASSWORD)


def test_the_session_lasts_one_shift(mei):
    client = Client()
    log_in(client)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert cookie["max-age"] == 12 * 3600
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]


# --- the brute-force guard (django-axes) -------------------------------------------------

LIMIT = settings.LOGIN_LOCKOUT_FAILURES


def test_repeated_failures_lock_the_username_out_and_say_for_how_long(mei):
    client = Client()
    fail(client, LIMIT - 1)

    locking = log_in(client, password="wrong again")
    # Even the right password is refused during the lockout, and unchecked.
    refused = log_in(client)

    for response in (locking, refused):
        assert response.status_code == 429
        assert b"Too many failed log-in attempts. Try again in 15 minutes." in response.content
        assert int(response["Retry-After"]) > 14 * 60
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_its_time(mei):
    with time_machine.travel(NOW, tick=False) as traveller:
        client = Client()
        fail(client, LIMIT)
        traveller.shift(timedelta(minutes=10))
        assert b"Try again in 5 minutes." in log_in(client).content

        traveller.shift(timedelta(minutes=5, seconds=1))
        response = log_in(client)

    assert response.status_code == 302


def test_the_lock_follows_the_username_to_every_address(mei):
    """Spreading guesses over many addresses does not buy more of them."""
    for attempt in range(LIMIT):
        log_in(Client(), password="wrong", REMOTE_ADDR=f"10.0.0.{attempt + 1}")

    assert log_in(Client(), REMOTE_ADDR="10.0.9.9").status_code == 429


def test_an_address_that_fails_on_many_usernames_is_locked_out(mei, make_user):
    """Password spraying: one guess on each of many names, from one address."""
    for attempt in range(settings.LOGIN_LOCKOUT_ADDRESS_FAILURES):
        log_in(Client(), f"name{attempt}", "guess", REMOTE_ADDR="10.0.0.9")

    assert log_in(Client(), REMOTE_ADDR="10.0.0.9").status_code == 429
    # Mei herself, from her own desk, is not locked out by someone else's spraying.
    assert log_in(Client(), REMOTE_ADDR="10.0.0.10").status_code == 302


def test_one_colleagues_failures_do_not_lock_the_others_out(mei, make_user):
    """Behind one office address, a colleague's five typos lock the colleague, not the
    desk."""
    colleague = make_user("auditor", username="claire")
    fail(Client(), LIMIT, username=colleague.username)

    assert log_in(Client()).status_code == 302
    assert log_in(Client(), colleague.username).status_code == 429


def test_a_colleagues_success_does_not_clear_another_users_failures(mei, make_user):
    """As reported: four guesses on senior2, then anyone's own login from the same address
    wiped senior2's count, and the guessing went on without limit."""
    target = make_user("senior_arbitrator", username="senior2")
    for _ in range(LIMIT - 1):
        log_in(Client(), target.username, "guess")

    assert log_in(Client()).status_code == 302  # mei signs in from the same address

    assert log_in(Client(), target.username, "guess again").status_code == 429


def test_a_wrong_old_password_counts_as_a_failed_login(mei):
    """A stolen session cannot guess the password on the password-change form."""
    client = Client()
    client.force_login(mei)
    form = {
        "new_password1": "another decent passphrase 7",
        "new_password2": "another decent passphrase 7",
    }
    for _ in range(LIMIT - 1):
        response = client.post("/accounts/password_change/", {**form, "old_password": "guess"})
        assert response.status_code == 200

    response = client.post("/accounts/password_change/", {**form, "old_password": "guess"})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session  # the lock-out ends the session
    assert log_in(Client()).status_code == 429
    mei.refresh_from_db()
    assert mei.check_password(PASSWORD)


def test_the_username_is_matched_without_regard_to_case_or_spaces(mei):
    fail(Client(), LIMIT, username="MEI ")

    assert log_in(Client(), REMOTE_ADDR="10.1.1.1").status_code == 429


@pytest.mark.parametrize("variant", ["ｍｅｉ", "ｍei", "Ｍei"], ids=["fullwidth", "one", "upper"])
def test_a_lookalike_username_counts_against_the_same_name(mei, variant):
    """Login normalises the username (NFKC): "ｍei" signs in as mei, so its failures must
    count as mei's. It used to get a fresh counter, and then a session."""
    fail(Client(), LIMIT, username="mei")

    client = Client()
    response = log_in(client, variant, REMOTE_ADDR="10.2.2.2")  # the right password

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_under_lookalike_names_add_up(mei):
    for attempt, variant in enumerate(["ｍｅｉ", "ｍei", " MEI", "Ｍｅｉ", "mei"][:LIMIT]):
        log_in(Client(), variant, "wrong", REMOTE_ADDR=f"10.3.3.{attempt}")

    assert log_in(Client(), REMOTE_ADDR="10.3.4.4").status_code == 429


def test_a_lookalike_username_signs_in_as_the_user_when_not_locked(mei):
    """The same normalisation login uses: the fullwidth name is mei."""
    client = Client()
    assert log_in(client, "ｍｅｉ").status_code == 302
    assert client.session["_auth_user_id"] == str(mei.pk)


def test_a_successful_login_clears_the_count(mei):
    client = Client()
    fail(client, LIMIT - 1)
    assert log_in(client).status_code == 302
    client.logout()

    fail(client, LIMIT - 1)

    assert log_in(client).status_code == 302


def test_failures_for_unknown_usernames_are_throttled_too(db):
    client = Client()
    fail(client, LIMIT - 1, username="ghost")

    assert log_in(client, "ghost", "guess").status_code == 429


class BrokenCache:
    """A cache whose every call fails, as Redis does when it is down."""

    def __getattr__(self, name: str) -> Any:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache is down")

        return broken


def test_the_lock_holds_when_the_cache_is_down(mei, monkeypatch):
    """Fail closed: the counts live in the database (django-axes' database handler), so a
    cache outage neither forgets a lockout nor stops counting failures."""
    import django.core.cache

    client = Client()
    fail(client, LIMIT - 1)
    monkeypatch.setattr(django.core.cache, "cache", BrokenCache())
    monkeypatch.setattr(django.core.cache.caches, "__getitem__", lambda self, alias: BrokenCache())

    assert log_in(client, password="wrong").status_code == 429
    assert log_in(client).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_counts_the_same_failures(mei):
    fail(Client(), LIMIT - 1)

    response = Client().post(
        "/admin/login/", {"username": "ｍei", "password": "wrong", "next": "/admin/"}
    )

    assert response.status_code == 429


def test_repeated_failures_keep_one_row_per_client(mei):
    """The database holds one attempt row per username, address and browser, however
    many guesses: a bot cannot fill the table by retrying."""
    from axes.models import AccessAttempt

    fail(Client(), LIMIT + 3)

    assert AccessAttempt.objects.count() == 1
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "mei"
    assert "wrong password" not in attempt.post_data


def test_a_lockout_is_logged(mei, caplog):
    with caplog.at_level("WARNING", logger="cases.login"):
        fail(Client(), LIMIT - 1)
        log_in(Client(), password="nope")

    assert "login locked out" in caplog.text
    assert "'mei'" in caplog.text


# --- no password reset --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_there_is_no_anonymous_password_reset(db, path):
    """The desk sends no e-mail: an anonymous reset form would only probe usernames."""
    assert Client().get(path).status_code == 404
    assert Client().post(path, {"email": "mei@desk.example"}).status_code in (403, 404)


# --- CSRF and headers ---------------------------------------------------------------------


def test_the_login_form_needs_its_csrf_token(mei):
    client = Client(enforce_csrf_checks=True)

    without = log_in(client)
    client.get("/accounts/login/")
    with_token = client.post(
        "/accounts/login/",
        {
            "username": "mei",
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )

    assert without.status_code == 403
    assert with_token.status_code == 302


def test_logging_out_needs_the_csrf_token(mei):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mei)

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/me/"])
def test_pages_carry_the_security_headers(path, mei):
    client = Client()
    client.force_login(mei)

    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_get_a_policy_that_lets_swagger_run(mei):
    client = Client()
    client.force_login(mei)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_pages_have_no_inline_scripts_or_styles(mei):
    client = Client()
    client.force_login(mei)

    for path in ("/accounts/login/", "/", "/me/", "/accounts/password_change/"):
        html = client.get(path).content.decode()
        assert "<script>" not in html and "<script " not in html.replace('<script src="', ""), path
        assert "style=" not in html, path
        assert " onclick=" not in html and " onchange=" not in html, path


def test_the_csrf_token_is_sent_by_htmx_from_the_body(mei):
    client = Client()
    client.force_login(mei)

    html = client.get("/").content.decode()

    assert '<body hx-headers=\'{"X-CSRFToken": "' in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html


def test_secure_cookie_settings_behind_tls(monkeypatch):
    import runpy

    monkeypatch.setenv("SECURE_COOKIES", "1")
    loaded = runpy.run_path(str(settings.BASE_DIR / "arbitration" / "settings.py"))

    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["LANGUAGE_COOKIE_SECURE"] is True
    assert loaded["SECURE_HSTS_SECONDS"] > 0
    # Plain HTTP is redirected: no session cookie travels in the clear.
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SESSION_COOKIE_SAMESITE"] == loaded["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_plain_http_is_redirected_to_https_behind_tls(mei, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = Client().get("/accounts/login/")
    behind_tls = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert behind_tls.status_code == 200
