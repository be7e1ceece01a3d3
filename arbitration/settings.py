"""Settings for the arbitration desk: one module, everything read from the environment.

A newcomer with no environment gets SQLite, eager Celery and DEBUG off; production and CI
set DATABASE_URL and REDIS_URL. A malformed value fails at start-up, never later.
"""

from __future__ import annotations

import os
import secrets
import warnings
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: str, minimum: int | None = None) -> int:
    value = os.environ.get(name, default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envthresholds(name: str, default: str) -> dict[str, Decimal]:
    """Parse "USDT:10000,BTC:0.1,*:0" into {asset: threshold}."""
    result: dict[str, Decimal] = {}
    for item in envlist(name, default):
        asset, sep, amount = item.partition(":")
        try:
            if not sep:
                raise InvalidOperation
            value = Decimal(amount.strip())
            # NaN would make every comparison raise; Infinity would switch four-eyes off.
            if not value.is_finite() or value < 0:
                raise InvalidOperation
            result[asset.strip().upper()] = value
        except InvalidOperation:
            raise ImproperlyConfigured(
                f"{name} must look like 'USDT:10000,BTC:0.1', got item {item!r}"
            ) from None
    return result


def envcounts(name: str, default: str, keys: tuple[str, ...]) -> dict[str, int]:
    """Parse "ip:25,device:10" into {key: count}; every key in `keys` must be given."""
    result: dict[str, int] = {}
    for item in envlist(name, default):
        key, sep, count = item.partition(":")
        key = key.strip()
        if not sep or key not in keys or not count.strip().isdigit() or int(count) < 2:
            raise ImproperlyConfigured(
                f"{name} must look like 'ip:25,device:10' with counts of at least 2 and "
                f"keys among {', '.join(keys)}, got item {item!r}"
            )
        result[key] = int(count)
    missing = set(keys) - set(result)
    if missing:
        raise ImproperlyConfigured(f"{name} lacks {', '.join(sorted(missing))}")
    return result


DEBUG = envbool("DEBUG", "0")


def local_secret(name: str, filename: str, *, minimum: int = 32) -> str:
    """A secret from the environment or, unset, from a file beside the code that the first
    start creates with a random value (mode 0600, never in git). A deployment that forgot
    the variable gets a key nobody else knows, never one printed in the source; several
    processes of one checkout share the file. Containers set the variable (compose)."""
    value = os.environ.get(name, "")
    if value:
        if len(value) < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum} characters")
        return value
    path = Path(os.environ.get("LOCAL_SECRETS_DIR", str(BASE_DIR))) / filename
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    try:
        # O_EXCL: of two processes starting at once, one writes and both read its value.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name} is not set and {path} cannot be created ({exc}); set {name}"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


# Unset, both keys live in files a first start creates (.secret-key, .audit-chain-key):
# sessions survive `make run` restarts, and no key is ever one printed in the source.
SECRET_KEY = local_secret("SECRET_KEY", ".secret-key", minimum=1)
# The audit chain's HMAC key (cases/audit.py). It lives outside the database, so database
# access alone cannot forge a chain that verifies. Production sets its own and keeps it
# when SECRET_KEY rotates: the chain verifies only under the key it was written with.
AUDIT_CHAIN_KEY = local_secret("AUDIT_CHAIN_KEY", ".audit-chain-key").encode()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before the admin: its TranslationAdmin shows each translated field per language.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Login lock-out (django-axes): counts failures in the database, so a cache outage
    # neither forgets a lock nor lets anyone past one.
    "axes",
    "cases",
    "evidence",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "arbitration.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's time zone and language (cases.models.StaffProfile).
    "cases.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cases.middleware.ContentSecurityPolicyMiddleware",
    "cases.middleware.NoStoreMiddleware",
    # Last: turns a locked-out login into the lockout page (cases.views.account).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "arbitration.urls"
# Django's widget templates, the plain widgets built in Python (arbitration/form_renderer.py).
FORM_RENDERER = "arbitration.form_renderer.FormRenderer"
WSGI_APPLICATION = "arbitration.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take SQLite's write lock at BEGIN, so two concurrent
    # lifecycle actions queue up instead of failing with "database is locked" mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Login lock-out (django-axes, cases/lockout.py). LOGIN_LOCKOUT_FAILURES failed attempts on
# one username (normalised as the login form normalises it, from any address), or
# LOGIN_LOCKOUT_ADDRESS_FAILURES from one client address (any usernames: an office NAT
# shares one), within LOGIN_LOCKOUT_SECONDS lock that username or address out until the
# lockout has run from the last failure that counted. A success clears that username's
# failures from that address only. Every login path (the desk, the admin) authenticates
# through the axes backend; a wrong old password on the password change counts too.
LOGIN_LOCKOUT_FAILURES = envint("LOGIN_LOCKOUT_FAILURES", "5", minimum=1)
LOGIN_LOCKOUT_ADDRESS_FAILURES = envint("LOGIN_LOCKOUT_ADDRESS_FAILURES", "30", minimum=1)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", "900", minimum=1)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user with their desk profile in one query.
    "cases.auth.DeskBackend",
]
AXES_FAILURE_LIMIT = LOGIN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "cases.lockout.lockout_username"
AXES_HANDLER = "cases.lockout.DeskLockoutHandler"
AXES_LOCKOUT_CALLABLE = "cases.views.account.locked_out_response"
AXES_RESET_ON_SUCCESS = True
# Attempts made while locked out neither extend the lock nor count: the lock ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Stored texts (the rulebook, canned replies, penalty notes: cases/translation.py) have a
# column per language; English is the source, and an empty translation reads as English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "zh-hans", "ru")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The desk's working day: daily metrics and "today" are days of this zone.
OPERATIONS_TIME_ZONE = envstr("OPERATIONS_TIME_ZONE", "Asia/Shanghai")
try:
    ZoneInfo(OPERATIONS_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"Unknown OPERATIONS_TIME_ZONE {OPERATIONS_TIME_ZONE!r}") from None

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files from gunicorn and from `make run` with DEBUG off. Finders
# let a fresh checkout serve them before any collectstatic.
WHITENOISE_USE_FINDERS = True
# Before any collectstatic, STATIC_ROOT is absent and the finders serve everything.
warnings.filterwarnings("ignore", message="No directory at")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))

# Evidence goes through Django's storage API: local files by default, any S3-compatible
# store (AWS, MinIO, Ceph) when EVIDENCE_S3_BUCKET is set.
EVIDENCE_S3_BUCKET = envstr("EVIDENCE_S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Content-addressed: a name always holds the same bytes, so overwriting is safe
        # and two concurrent uploads of one file never fork it into name_XXXX copies.
        "OPTIONS": {
            "location": str(MEDIA_ROOT / "evidence"),
            "base_url": None,
            "allow_overwrite": True,
        },
    },
}
if EVIDENCE_S3_BUCKET:
    STORAGES["evidence"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EVIDENCE_S3_BUCKET,
            "endpoint_url": envstr("EVIDENCE_S3_ENDPOINT_URL", "") or None,
            "region_name": envstr("EVIDENCE_S3_REGION", "") or None,
            "access_key": envstr("EVIDENCE_S3_ACCESS_KEY", "") or None,
            "secret_key": envstr("EVIDENCE_S3_SECRET_KEY", "") or None,
            "location": "evidence",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))
EVIDENCE_MAX_PIXELS = envint("EVIDENCE_MAX_PIXELS", str(50_000_000))
# Read vouchers' images with offline OCR (evidence.ocr); off, images stay unread and
# PDFs are still read from their text layer. The tests switch it off but for OCR's own.
EVIDENCE_OCR = envbool("EVIDENCE_OCR", "1")
# Evidence still unread this long after upload (its on-commit task lost) is read by the
# beat sweep, at most a batch per run.
EXTRACTION_SWEEP_SECONDS = envint("EXTRACTION_SWEEP_SECONDS", "120", minimum=1)
EXTRACTION_SWEEP_GRACE_SECONDS = envint("EXTRACTION_SWEEP_GRACE_SECONDS", "300", minimum=0)
EXTRACTION_SWEEP_BATCH = envint("EXTRACTION_SWEEP_BATCH", "100", minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker host that drops packets must not hang the web request that enqueues a task:
# the outbox row is committed already and the sweep delivers it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_TIMEZONE = OPERATIONS_TIME_ZONE

# --- Cache ----------------------------------------------------------------------------
# Login throttling counters and the queue's cached filter choices. Shared between web
# processes through Redis when there is one; per process (fine for one runserver) if not.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "desk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Webhooks -------------------------------------------------------------------------
# Delivery is at least once: a failed POST is retried with exponential backoff and full
# jitter (base * 2^n seconds, capped), and marked dead after the last attempt. The sweep
# sends whatever is due and was not sent on commit (a broker outage, a lost retry).
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", "10", minimum=1)
# Subscriber URLs must resolve to public addresses (cases/webhooks.py). On only for tests
# and the local demo, which post to 127.0.0.1; never in production.
WEBHOOK_ALLOW_PRIVATE_URLS = envbool("WEBHOOK_ALLOW_PRIVATE_URLS", "0")
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", "12", minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", "10", minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = envint("WEBHOOK_RETRY_MAX_SECONDS", "3600", minimum=1)
WEBHOOK_SWEEP_SECONDS = envint("WEBHOOK_SWEEP_SECONDS", "30", minimum=1)
# A pending delivery younger than this is left to its on-commit dispatch.
WEBHOOK_SWEEP_GRACE_SECONDS = envint("WEBHOOK_SWEEP_GRACE_SECONDS", "30", minimum=0)
WEBHOOK_SWEEP_BATCH = envint("WEBHOOK_SWEEP_BATCH", "500", minimum=1)

# Derived data (risk) whose on-commit task was lost: older than the grace, recomputed.
DERIVED_SWEEP_SECONDS = envint("DERIVED_SWEEP_SECONDS", "60", minimum=1)
DERIVED_SWEEP_GRACE_SECONDS = envint("DERIVED_SWEEP_GRACE_SECONDS", "60", minimum=0)
DERIVED_SWEEP_BATCH = envint("DERIVED_SWEEP_BATCH", "500", minimum=1)

METRICS_REFRESH_SECONDS = envint("METRICS_REFRESH_SECONDS", "300")
# At least once a minute (the contract).
FLOOR_TICK_SECONDS = envint("FLOOR_TICK_SECONDS", "60", minimum=5)
if FLOOR_TICK_SECONDS > 60:
    raise ImproperlyConfigured(
        "FLOOR_TICK_SECONDS must be at most 60 (the floor ticks at least once a minute)"
    )

CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {
        "task": "cases.tasks.audit_checkpoint",
        "schedule": crontab(minute=0),
    },
    "sweep-derived": {
        "task": "cases.tasks.sweep_derived",
        "schedule": float(DERIVED_SWEEP_SECONDS),
        "options": {"expires": DERIVED_SWEEP_SECONDS},
    },
    # Vouchers whose reading was lost (a broker outage at upload, a worker that died).
    "sweep-extraction": {
        "task": "evidence.tasks.sweep_extraction",
        "schedule": float(EXTRACTION_SWEEP_SECONDS),
        "options": {"expires": EXTRACTION_SWEEP_SECONDS},
    },
    "sweep-webhooks": {
        "task": "cases.tasks.sweep_webhooks",
        "schedule": float(WEBHOOK_SWEEP_SECONDS),
        # A sweep not started before the next one is due is dropped, not stacked up.
        "options": {"expires": WEBHOOK_SWEEP_SECONDS},
    },
    # Yesterday's figures, shortly after midnight of the operations time zone (the beat
    # runs in CELERY_TIMEZONE, which is that zone).
    "daily-metrics": {
        "task": "analytics.compute_daily_metrics",
        "schedule": crontab(hour=0, minute=10),
    },
    "metrics-today": {
        "task": "analytics.refresh_today",
        "schedule": float(METRICS_REFRESH_SECONDS),
        "options": {"expires": METRICS_REFRESH_SECONDS},
    },
    # The floor: assignment, hand-backs, missed deadlines, escalations and incidents; and
    # the parties' deadline reminders. Both are safe to run twice and at once.
    "floor-tick": {
        "task": "cases.tasks.floor_tick",
        "schedule": float(FLOOR_TICK_SECONDS),
        "options": {"expires": FLOOR_TICK_SECONDS},
    },
    # The linked-account clusters rebuilt from every signal (evidence.graph.recluster): the
    # incremental merges on ingest are exact, so this only repairs what a bug or a hand
    # edit left behind; at night, when ingest is quiet (it holds signal inserts a while).
    "recluster": {
        "task": "evidence.tasks.recluster",
        "schedule": crontab(hour=3, minute=30),
    },
    "evidence-reminders": {
        "task": "cases.tasks.evidence_reminders",
        "schedule": float(FLOOR_TICK_SECONDS),
        "options": {"expires": FLOOR_TICK_SECONDS},
    },
}

# --- The desk's rules -----------------------------------------------------------------
# A verdict on an order above its asset's threshold needs a second reviewer (four-eyes).
# An asset with no entry uses "*"; with no "*" either, every verdict needs approval.
FOUR_EYES_THRESHOLDS = envthresholds(
    "FOUR_EYES_THRESHOLDS", "USDT:10000,USDC:10000,FDUSD:10000,BTC:0.1,ETH:3,*:0"
)
SLA_FIRST_RESPONSE_MINUTES = envint("SLA_FIRST_RESPONSE_MINUTES", "30")
SLA_RESOLUTION_HOURS = envint("SLA_RESOLUTION_HOURS", "48")
SLA_EVIDENCE_HOURS = envint("SLA_EVIDENCE_HOURS", "24")
# The floor: a risk score from which automatic assignment routes a case to seniors only,
# and how long before a party's deadline the party is reminded.
SENIOR_RISK_SCORE = envint("SENIOR_RISK_SCORE", "70", minimum=0)
EVIDENCE_REMINDER_HOURS = envint("EVIDENCE_REMINDER_HOURS", "2", minimum=0)
# The furthest deadline an evidence request may set.
EVIDENCE_DEADLINE_MAX_DAYS = envint("EVIDENCE_DEADLINE_MAX_DAYS", "30", minimum=1)
# Linked accounts (cases/clusters.py): traders sharing a value of a kind are one cluster,
# unless more than this many traders carry that value. A carrier's NAT address or a cafe's
# Wi-Fi is shared by thousands of strangers; linking through it would glue them into one
# cluster and flag every one of them. A value over its kind's cap links nobody: devices
# and e-mails are personal (a family shares a few), payment accounts a little more (a
# business pays for staff), IPs most (an office, a campus).
SIGNAL_LINK_CAPS = envcounts(
    "SIGNAL_LINK_CAPS",
    "ip:25,device:10,email:5,payment_account:10",
    ("ip", "device", "email", "payment_account"),
)
# new_device_before_trade: a device, IP or country first seen this many hours or less
# before an order was created, on an account with older history.
NEW_DEVICE_WINDOW_HOURS = envint("NEW_DEVICE_WINDOW_HOURS", "48", minimum=1)
# A party may contest an effective verdict once, within this many days.
REVIEW_WINDOW_DAYS = envint("REVIEW_WINDOW_DAYS", "7")

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Request bodies are JSON, the contract's one format (evidence uploads declare their
    # own multipart parser): a size-capped parser that refuses a deep nesting with a 400.
    "DEFAULT_PARSER_CLASSES": ["arbitration.parsers.SafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "arbitration.api.NewestFirstCursor",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "arbitration.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Arbitration desk API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PartyEnum": "cases.models.Party",
        "SignalKindEnum": "cases.models.AccountSignal.Kind",
        "EvidenceKindEnum": "evidence.models.Evidence.Kind",
        "AppealStatusEnum": "cases.models.Appeal.Status",
        "OrderStatusEnum": "cases.models.Order.Status",
    },
}

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
# A sign-in lasts one shift (a night shift is 8 hours, plus hand-over), then ends.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(12 * 3600), minimum=60)
# Sent on every response by cases.middleware.ContentSecurityPolicyMiddleware. All scripts
# and styles are static files: no inline <script>, no on* attributes, no style="".
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The third-party Swagger UI page inlines its bootstrap script and styles.
CONTENT_SECURITY_POLICY_RELAXED_PATHS = ("/api/docs/",)
if envbool("SECURE_COOKIES", "0"):
    # Behind TLS in production; off by default so `make run` works over plain HTTP. Plain
    # HTTP is redirected to HTTPS, so no session cookie is ever sent in the clear.
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # django-axes narrates every login at INFO; lockouts are logged at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
