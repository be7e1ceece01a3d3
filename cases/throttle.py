"""Login throttling: a brute-force guard on the login form.

After LOGIN_THROTTLE_FAILURES failed attempts for one username from one client address
within LOGIN_THROTTLE_WINDOW_SECONDS, that pair is locked out for
LOGIN_THROTTLE_LOCKOUT_SECONDS; a successful login clears the count. State lives in the
cache (Redis in production, so every web process sees it), never in the database: a
password-guessing bot must not be able to fill tables or the audit log.

The client address is REMOTE_ADDR. Behind a proxy that is the proxy's address, and the
lock becomes per username: an attacker can then lock one user out for a while, but can
never lock the whole desk out by failing against many names.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger("cases.login")


class LoginThrottle:
    def __init__(self, request: HttpRequest, username: str) -> None:
        self.address = request.META.get("REMOTE_ADDR", "") or "-"
        self.username = username.strip().casefold()
        digest = hashlib.sha256(f"{self.username}\x00{self.address}".encode()).hexdigest()
        self._failures = f"login:failures:{digest}"
        self._lock = f"login:lock:{digest}"

    def locked_for(self) -> int:
        """Seconds until the lockout ends; 0 when not locked out."""
        try:
            until = cache.get(self._lock)
        except Exception:  # a cache outage must not stop people logging in
            logger.exception("login throttle: cache unavailable")
            return 0
        if until is None:
            return 0
        return max(0, math.ceil(until - time.time()))

    def fail(self) -> int:
        """Count a failed attempt; returns the lockout in seconds if this one started it."""
        window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
        try:
            # add() only creates: the window runs from the first failure, not the latest.
            cache.add(self._failures, 0, window)
            try:
                failures = cache.incr(self._failures)
            except ValueError:  # expired between add() and incr()
                cache.set(self._failures, 1, window)
                failures = 1
            if failures < settings.LOGIN_THROTTLE_FAILURES:
                return 0
            lockout = settings.LOGIN_THROTTLE_LOCKOUT_SECONDS
            cache.set(self._lock, time.time() + lockout, lockout)
            cache.delete(self._failures)
        except Exception:
            logger.exception("login throttle: cache unavailable")
            return 0
        logger.warning(
            "login locked out for %s s after %s failures: username=%r address=%s",
            lockout,
            failures,
            self.username,
            self.address,
        )
        return lockout

    def clear(self) -> None:
        try:
            cache.delete_many([self._failures, self._lock])
        except Exception:
            logger.exception("login throttle: cache unavailable")
