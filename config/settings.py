"""Settings, read once from the environment.

The defaults make the embedded demo work on a bare machine: SQLite, kombu's
``filesystem://`` broker under ``var/``, e-mail written to files. Production sets
``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY``, ``AUDIT_CHAIN_KEY`` and the payments
system's address and secret; ``make run`` sets ``DEMO=true DEBUG=true``.

Fail safe: a value that is missing where production needs one, or that does not read as
what it names (a number, a yes/no, an address, a key), refuses to start with
ImproperlyConfigured naming the variable, never a default guessed in its place.

No I/O at import: paths are only named here. The processes that write under them make
their directories when they start (config/directories.py).
"""

import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.directories import lies_within
from config.environment import (
    env_amount,
    env_bool,
    env_choice,
    env_code,
    env_int,
    env_key,
    env_list,
    env_seconds,
    env_url,
    env_webhook_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


DEMO = env_bool("DEMO", False)
DEBUG = env_bool("DEBUG", False)
DEMO_SECRET_KEY = "demo-only-secret-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY if DEMO else "")
if not SECRET_KEY or (not DEMO and SECRET_KEY == DEMO_SECRET_KEY):
    raise ImproperlyConfigured(
        "Set SECRET_KEY (50 or more random characters): the demo secret is refused outside the demo "
        "(DEMO=true)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS. Production runs behind a load balancer that terminates TLS and sets
# X-Forwarded-Proto (and strips any a client sent): every request is redirected to https but
# the load balancer's health check, cookies travel over https only, browsers are told to
# use https for a year (HSTS). `manage.py check --deploy` passes with these. The demo serves
# plain http on loopback, so there each is off unless set.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEMO)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEMO)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEMO else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# A staff session lasts a working day at most (8 hours from login, whatever the activity),
# and ends when the browser closes: a back office with customers' data is not left logged in.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # pg_trgm's operator class in an expression index (the full-text search, docs/search.md).
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_fsm",
    # Login lockout (per user and per address, with a cool-off) and the Content-Security-Policy.
    "axes",
    "csp",
    "casework",
    "complaints",
    "accounts",
    "refunds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that is restarting answers 503 with Retry-After, not 500.
    "casework.ops.health.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the one chosen in the admin's header (a cookie), else the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "casework.partners.language.EnglishApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Throttle counts (and anything else cached) live here: the shared Redis in production
# (CACHE_URL=redis://...), so every web process counts the same requests; in memory otherwise.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Production keeps each process's connection for a minute (no connect per request);
        # the health check makes a connection that a database restart closed be replaced
        # before a request uses it, instead of failing that request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEMO else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite, minus the indexes SQLite cannot build (casework/core/sqlite).
    DATABASES["default"]["ENGINE"] = "casework.core.sqlite"
    # Writers wait for each other instead of failing at once: web, worker and beat share
    # one SQLite file in the demo.
    # IMMEDIATE transactions take the write lock when they begin, so two sweeps or two
    # deliverers queue behind each other instead of acting on the same stale read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # A file, not memory, so a worker process started by a test sees the test database.
    # One file per test run, so two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL, whose test database gets an LC_CTYPE under which pg_trgm indexes
    # Chinese (casework/core/postgresql, docs/search.md); another locale name by DATABASE_TEST_CTYPE.
    DATABASES["default"]["ENGINE"] = "casework.core.postgresql"
    DATABASES["default"]["TEST"] = {"CTYPE": os.environ.get("DATABASE_TEST_CTYPE", "C.UTF-8")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's model permissions, a user's own and its groups' read in one query (casework/access/backends.py).
# django-axes first: it refuses a locked-out user or address before a password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "casework.access.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-us")
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# Strings of the project-wide templates; each app keeps its own under <app>/locale/.
# locale_overrides/ first: Django's own admin phrases, reworded where they read stiffly in Chinese.
LOCALE_PATHS = [BASE_DIR / "locale_overrides", BASE_DIR / "locale"]
USE_TZ = True
# One date and time format in both languages: 2026-12-02 14:12 (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
# Made by the web process when it starts (config/directories.py), or by collectstatic.
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: the demo writes each message to a file under var/mail so a newcomer can read
# the notices the worker delivered.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
# Delivery holds the notice's row lock while sending: a relay that never answers must not
# hold it for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "backoffice@wallet.example")
# The complaints mailbox: customers write to it, and replies to our notices come back to
# it with a signed tag naming their message (``casework.notices.replies``).
CUSTOMER_REPLY_ADDRESS = os.environ.get("CUSTOMER_REPLY_ADDRESS", "complaints@wallet.example")

# --- Telling the customer (issue 16; casework.notices.customers) -----------------------
# SMS go through one gateway class; the demo's files each message under VAR_DIR/sms/.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "casework.notices.sms.FileSmsGateway")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms"))
# No SMS in these hours of the customer's day ("HH:MM-HH:MM", may wrap midnight; blank:
# none): one written then is held and sent when they end. E-mail is never held.
CUSTOMER_QUIET_HOURS = os.environ.get("CUSTOMER_QUIET_HOURS", "21:00-08:00")
if CUSTOMER_QUIET_HOURS and not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", CUSTOMER_QUIET_HOURS):
    raise ImproperlyConfigured("CUSTOMER_QUIET_HOURS is HH:MM-HH:MM, e.g. 21:00-08:00, or blank.")
CUSTOMER_TIME_ZONE = os.environ.get("CUSTOMER_TIME_ZONE", TIME_ZONE)
# How the customer reaches us, and the regulator if our answer does not satisfy them
# (blank: the PBOC's financial consumer hotline 12363, in the customer's language).
CUSTOMER_HOTLINE = os.environ.get("CUSTOMER_HOTLINE", "95017")
CUSTOMER_REGULATOR_CHANNEL = os.environ.get("CUSTOMER_REGULATOR_CHANNEL", "")
# The firm the returns and the public disclosure are in the name of (the CFPB "Company").
INSTITUTION_NAME = os.environ.get("INSTITUTION_NAME", "Demo Wallet Payments Co., Ltd.")

# History: reverting would write an old state past the state machine.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Celery. No result backend: tasks report through the database, never through results.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Made by whatever process uses Celery, when Celery reads this (config/celery.py).
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "casework.tasks.run_sla_sweep", "schedule": crontab()},
    "outbox-sweep": {"task": "casework.tasks.run_outbox_sweep", "schedule": timedelta(seconds=30)},
    # Hourly: expired Idempotency-Keys are new again anyway; this only keeps the table small.
    "idempotency-key-purge": {
        "task": "casework.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=7),
    },
    # Hourly: periods run in months, and each run takes only what expired since the last.
    "retention-sweep": {"task": "casework.tasks.run_retention_sweep", "schedule": crontab(minute=23)},
    "erasure-clock": {"task": "casework.tasks.run_erasure_clock", "schedule": crontab(minute=41)},
}

# Case rules that operations may tune per environment.
COMPLAINT_REOPEN_WINDOW_DAYS = env_int("COMPLAINT_REOPEN_WINDOW_DAYS", 14)
COMPLAINT_AUTO_CLOSE_DAYS = env_int("COMPLAINT_AUTO_CLOSE_DAYS", 7)
# Likely duplicates (complaints.duplicates): an open complaint of the same customer in the
# same category registered this many hours before or after.
COMPLAINT_DUPLICATE_WINDOW_HOURS = env_int("COMPLAINT_DUPLICATE_WINDOW_HOURS", 48, minimum=1)
# Repeat complaints (complaints.repeats): the same customer on the same transaction reference
# or category within this many days; and what a repeat does at registration: "flag" it only,
# "raise_priority" one step (the clock starts on that policy), or route it to the
# "complaints_department".
COMPLAINT_REPEAT_WINDOW_DAYS = env_int("COMPLAINT_REPEAT_WINDOW_DAYS", 30, minimum=1)
COMPLAINT_REPEAT_ACTION = env_choice(
    "COMPLAINT_REPEAT_ACTION", "flag", ("flag", "raise_priority", "complaints_department")
)
# The regulatory regime new cases run under, by code (blank: the one the admin marks default).
REGIME = env_code("REGIME")
# The team view flags a member holding more open cases than this (all kinds together).
WORKSPACE_OVERLOAD_CASES = env_int("WORKSPACE_OVERLOAD_CASES", 25, minimum=1)
# A routed case waiting unassigned in a team's queue this long is offered, once, to the
# team's overflow team or the supervisors (casework.routing.offers).
ROUTING_OFFER_AFTER_MINUTES = env_int("ROUTING_OFFER_AFTER_MINUTES", 30, minimum=1)
# A customer's erasure request is answered within this many calendar days of receipt
# (GDPR art. 12(3): one month; GB/T 35273-2020 8.7: thirty days), and the decision-makers
# are warned this many days before (casework.erasure.services).
ERASURE_ANSWER_DAYS = env_int("ERASURE_ANSWER_DAYS", 30, minimum=1)
ERASURE_WARN_DAYS = env_int("ERASURE_WARN_DAYS", 5, minimum=0)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
# Signed webhooks from the outbox (Standard Webhooks). Delivery holds the notice's row lock
# while it waits for the answer, as with e-mail: a receiver that never answers must not
# hold it for ever.
WEBHOOK_TIMEOUT = env_seconds("WEBHOOK_TIMEOUT", 10.0)
# Where this back office is reached: links in notices, and in the demo the address of the
# stand-in payments system. `make run` derives it from the HOST and PORT it serves on.
BACKOFFICE_BASE_URL = env_url(
    "BACKOFFICE_BASE_URL", os.environ.get("BACKOFFICE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
)
# Payment instructions go to the payments system as signed POSTs. In the demo they go to
# the receiver below, on the server `make run` starts (never a fixed port another instance
# may hold), signed with a published secret. Outside the demo both must be set: the
# endpoint, and the secret the payments system gave us (whsec_<base64>).
# Published, so demo only: base64 of "demo-only-payments-signing-key!!".
DEMO_PAYMENTS_SIGNING_SECRET = "whsec_ZGVtby1vbmx5LXBheW1lbnRzLXNpZ25pbmcta2V5ISE="
PAYMENTS_ENDPOINT_URL = os.environ.get(
    "PAYMENTS_ENDPOINT_URL", f"{BACKOFFICE_BASE_URL}/demo/payments/instructions/" if DEMO else ""
)
PAYMENTS_SIGNING_SECRET = os.environ.get("PAYMENTS_SIGNING_SECRET", DEMO_PAYMENTS_SIGNING_SECRET)
if not DEMO and PAYMENTS_SIGNING_SECRET == DEMO_PAYMENTS_SIGNING_SECRET:
    raise ImproperlyConfigured(
        "Set PAYMENTS_SIGNING_SECRET: the demo payments secret is refused outside the demo (DEMO=true)."
    )
# Refused here, not at the first payment instruction it would fail to sign.
env_webhook_secret("PAYMENTS_SIGNING_SECRET", PAYMENTS_SIGNING_SECRET)
if not PAYMENTS_ENDPOINT_URL:
    raise ImproperlyConfigured("Set PAYMENTS_ENDPOINT_URL: where payment instructions are sent.")
env_url("PAYMENTS_ENDPOINT_URL", PAYMENTS_ENDPOINT_URL)
# A stand-in payments system at /demo/payments/instructions/ that checks the signature and
# files each instruction under VAR_DIR/payments/. Never routed unless this is on.
DEMO_PAYMENTS_RECEIVER = env_bool("DEMO_PAYMENTS_RECEIVER", DEMO)
# Where load_demo points the demo partners' webhooks: the receiver `make run` starts.
DEMO_WEBHOOK_RECEIVER_URL = env_url(
    "DEMO_WEBHOOK_RECEIVER_URL", os.environ.get("DEMO_WEBHOOK_RECEIVER_URL", "http://127.0.0.1:8001")
)
ACCOUNT_GATEWAY = os.environ.get("ACCOUNT_GATEWAY", "accounts.gateways.LocalAccountGateway")
# An account request left without passed authentication this long expires.
ACCOUNT_REQUEST_EXPIRY_DAYS = env_int("ACCOUNT_REQUEST_EXPIRY_DAYS", 7, minimum=1)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Refund approvals above these amounts need a second person ("CNY=5000,USD=700"); a
# currency not listed needs two approvals for every refund.
REFUND_FOUR_EYES_THRESHOLDS = {}
for _item in env_list("REFUND_FOUR_EYES_THRESHOLDS", "CNY=5000,HKD=5500,USD=700,EUR=650,GBP=550,JPY=100000"):
    _code, _, _amount = _item.partition("=")
    if not re.fullmatch(r"[A-Za-z]{3}", _code.strip()):
        raise ImproperlyConfigured(
            f"REFUND_FOUR_EYES_THRESHOLDS is CODE=amount, comma-separated (CNY=5000,USD=700), not {_item!r}."
        )
    REFUND_FOUR_EYES_THRESHOLDS[_code.strip().upper()] = env_amount(
        f"REFUND_FOUR_EYES_THRESHOLDS for {_code.strip().upper()}", _amount.strip(), zero=True
    )
# A partner's Idempotency-Key is remembered this long; after it, the key is new again.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24, minimum=1)
# Reminders to the refund's handler this many calendar days before its deadline.
_reminder_days = env_list("REFUND_REMINDER_DAYS_BEFORE", "2,1")
if not all(re.fullmatch(r"[0-9]+", days) for days in _reminder_days):
    raise ImproperlyConfigured(
        f"REFUND_REMINDER_DAYS_BEFORE is whole days, comma-separated (2,1), not "
        f"{os.environ.get('REFUND_REMINDER_DAYS_BEFORE')!r}."
    )
REFUND_REMINDER_DAYS_BEFORE = sorted((int(days) for days in _reminder_days), reverse=True)

# Read by the throttle at each request: refused here rather than failing every request.
API_PARTNER_RATE = os.environ.get("API_PARTNER_RATE", "600/minute")
if not re.fullmatch(r"[0-9]+/[smhd][a-z]*", API_PARTNER_RATE):
    raise ImproperlyConfigured(
        f"API_PARTNER_RATE is requests a second, minute, hour or day (600/minute), not {API_PARTNER_RATE!r}."
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["casework.partners.authentication.PartnerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "casework.partners.permissions.IsPartner",
        "casework.partners.permissions.HasKeyScope",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "casework.partners.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "casework.partners.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["casework.partners.throttling.PartnerRateThrottle"],
    # A partner's own Partner.rate_limit, when set, replaces this.
    "DEFAULT_THROTTLE_RATES": {"partner": API_PARTNER_RATE},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet complaints back office: partner API",
    "DESCRIPTION": (
        "Partners file complaints, follow their status and withdraw them; ask for a locked "
        "wallet account to be unlocked and follow the request; open refund cases on a customer's "
        "payment, attach evidence, follow them to the refund and cancel them. The payments system "
        "receives each approved refund as a signed payment instruction and reports here how it "
        "ended. Every create accepts an `Idempotency-Key` header, so a retry never files twice: "
        "the same key and body get the first answer again. Every error has one shape: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # WWW-Authenticate on every 401, Retry-After on every 429, 415 wherever a body is taken.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casework.partners.errors.document_error_headers_and_media_types",
    ],
    # A complaint's choice sets show in two components (the list's Complaint and the
    # ComplaintDetail of a create or read): named once, as they always were.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStateEnum": "complaints.models.State.choices",
        "ComplaintOutcomeEnum": "complaints.models.classification.Outcome.choices",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # No validator badge: it would send the schema's address to a third party.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# LOG_FORMAT=json: one JSON object a line (casework.ops.logs), for production's log shipper.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is text or json, not {LOG_FORMAT!r}")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL is DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "casework.ops.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- validation: what the case models accept (casework.core.phones, casework.core.money) ---
# Phone numbers typed without a country code are read in this region (ISO 3166 code).
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "CN")
# The largest amount a complaint, a payment or a refund may name, in the currency's own
# units (CNY 10,000,000.00 or JPY 10,000,000): a typo of a few digits more is refused.
MONEY_MAX_AMOUNT = env_amount("MONEY_MAX_AMOUNT", os.environ.get("MONEY_MAX_AMOUNT", "10000000"))
# A payment time may be this many seconds ahead of our clock (a caller's clock may run
# fast); anything later is in the future and refused.
PAYMENT_TIME_SKEW_SECONDS = env_int("PAYMENT_TIME_SKEW_SECONDS", 300)
# --- trail: the keyed audit chain and its anchors (casework/core/chain.py, casework/trail/anchors.py) ---
# AUDIT_CHAIN_KEY keys every trail row's HMAC-SHA256 (transition records, field history,
# reveal log) and every anchor line: 32 random bytes, hex or base64, kept outside the
# database (a secret store, the process environment). AUDIT_CHAIN_PREVIOUS_KEYS (comma-
# separated) still verify what older keys sealed, after a rotation. In the demo with no key
# it makes one once under VAR_DIR (0600); outside the demo a missing key is refused.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
AUDIT_CHAIN_PREVIOUS_KEYS = env_list("AUDIT_CHAIN_PREVIOUS_KEYS", "")
AUDIT_CHAIN_KEY_FILE = VAR_DIR / "audit-chain.key" if DEMO and not AUDIT_CHAIN_KEY else None
if not AUDIT_CHAIN_KEY and not DEMO:
    raise ImproperlyConfigured(
        "Set AUDIT_CHAIN_KEY (32 random bytes, hex or base64): the audit chain is keyed with it "
        "outside the demo."
    )
# Refused here, not at the first trail row they would fail to seal or verify.
if AUDIT_CHAIN_KEY:
    env_key("AUDIT_CHAIN_KEY", AUDIT_CHAIN_KEY)
for _key in AUDIT_CHAIN_PREVIOUS_KEYS:
    env_key("AUDIT_CHAIN_PREVIOUS_KEYS", _key)
# Anchors: every AUDIT_ANCHOR_MINUTES a line (counts and digests of the trail rows written
# since the last line, HMAC-signed) is appended to AUDIT_ANCHOR_FILE and fsynced. Keep the
# file where the database's users cannot write (another host, an append-only volume) and
# publish its digests; the task runs on a worker, so route it to the host that has the file.
# Rows younger than AUDIT_ANCHOR_SETTLE_SECONDS (or than the oldest open transaction) wait
# for the next line: a transaction still open cannot add to a window already anchored.
AUDIT_ANCHOR_FILE = Path(os.environ.get("AUDIT_ANCHOR_FILE", VAR_DIR / "audit-anchors.log"))
AUDIT_ANCHOR_MINUTES = env_int("AUDIT_ANCHOR_MINUTES", 10, minimum=1)
AUDIT_ANCHOR_SETTLE_SECONDS = env_int("AUDIT_ANCHOR_SETTLE_SECONDS", 120)
CELERY_BEAT_SCHEDULE["audit-anchor"] = {
    "task": "casework.tasks.anchor_audit_chain",
    "schedule": timedelta(minutes=AUDIT_ANCHOR_MINUTES),
}
# --- evidence: uploaded files and their downloads ---
# An image upload (evidence, an ID scan, a complaint's attachment) with more pixels than
# this is refused before it is decoded: a small file can declare a picture that would fill
# the memory (a decompression bomb). 50 million is a 48-megapixel phone photo.
EVIDENCE_MAX_PIXELS = env_int("EVIDENCE_MAX_PIXELS", 50_000_000, minimum=1)
# Uploaded files are never served from a public path: no /media/ route exists, even under
# DEBUG; staff download them through /admin/casework/filedownload/download/..., which checks
# who may see the case and logs each download. MEDIA_ROOT must not lie in or over
# STATIC_ROOT, whose files whitenoise serves to anyone. Judged here as written; the web
# process judges it again with links followed when it starts (config/directories.py).
if lies_within(MEDIA_ROOT, STATIC_ROOT):
    raise ImproperlyConfigured("MEDIA_ROOT must lie outside STATIC_ROOT: uploads are not public files.")
# --- deploy: login lockout (django-axes) and the Content-Security-Policy (django-csp) ---
# After AXES_FAILURE_LIMIT wrong passwords for one username, or from one address, further
# logins of that username or from that address are refused for AXES_COOLOFF_MINUTES, even
# with the right password (a supervisor can lift it under "Access attempts"). Behind the
# load balancer, AXES_PROXY_COUNT=1 reads the client's address from X-Forwarded-For.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "casework.access.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
# Every page loads scripts, styles, fonts and images from this site only, with no inline
# script; ReDoc alone (it draws with inline styles and a worker) is relaxed, on its own view
# (config/urls.py). Swagger UI's start-up script is served as a file for the same reason.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# --- foureyes: refund four eyes counted across cases ---
# A refund approval needs a second person when its amount, plus what is already approved
# or paid (or has a first approval) on the same original transaction, or for the same
# customer in the same currency approved within this many days, is above the currency's
# REFUND_FOUR_EYES_THRESHOLDS. 30 days: a month of a customer's refunds, long enough that
# splitting one claim over several transactions and weeks still takes two people.
REFUND_FOUR_EYES_WINDOW_DAYS = env_int("REFUND_FOUR_EYES_WINDOW_DAYS", 30)
# --- apiinput: what the partner API reads, and how it answers what it cannot ---
# The largest request body under /api/, in bytes: 1 MiB of JSON unless set; an evidence
# upload (multipart) may be EVIDENCE_MAX_BYTES plus this, for its other parts. A larger
# Content-Length is a 413 `request_too_large` before anything reads the body.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
# How deep a JSON body may nest objects and arrays (no body of the API needs more than 2);
# deeper is a 400 on `body`, however deep.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 16, minimum=1)
# First, around everything else: the size is judged before any reading of the body, and
# every error answer under /api/ leaves in the API's JSON error shape whatever DEBUG says.
MIDDLEWARE = [
    "casework.partners.middleware.ApiErrorShapeMiddleware",
    "casework.partners.middleware.ApiBodyLimitMiddleware",
    *MIDDLEWARE,
]
# JSON in, JSON out: no browsable HTML API, so no answer under /api/ is an HTML page.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["casework.partners.parsers.ApiJSONParser"]
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
# --- inbound: customers' replies by e-mail and SMS (casework.intake) ---
# The complaints mailbox over IMAP, read every minute by beat (`manage.py fetch_mail` by
# hand): imaps://user:password@host:993/INBOX (imap+starttls:// on 143; imap:// only on
# the same host). Unset, nothing is fetched. Each run files at most CUSTOMER_MAIL_FETCH_LIMIT.
CUSTOMER_MAIL_IMAP_URL = os.environ.get("CUSTOMER_MAIL_IMAP_URL", "")
CUSTOMER_MAIL_IMAP_TIMEOUT = env_int("CUSTOMER_MAIL_IMAP_TIMEOUT", 30, minimum=1)
CUSTOMER_MAIL_FETCH_LIMIT = env_int("CUSTOMER_MAIL_FETCH_LIMIT", 200, minimum=1)
CUSTOMER_MAIL_QUARANTINE_AFTER = env_int("CUSTOMER_MAIL_QUARANTINE_AFTER", 5, minimum=1)  # failed runs
if CUSTOMER_MAIL_IMAP_URL:
    CELERY_BEAT_SCHEDULE["customer-mail-fetch"] = {
        "task": "casework.tasks.fetch_customer_mail",
        "schedule": crontab(),
    }
# An e-mail provider's inbound webhook posts to /inbound/email/<provider>/inbound/ (django-
# anymail's routes, e.g. mailgun/inbound_mime/), with anymail's basic auth
# (ANYMAIL_WEBHOOK_SECRET, "user:password", in the URL given to the provider) and the
# provider's own signing key (e.g. ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY): each taken from
# the environment only when set, so a provider without its key refuses every post.
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and "WEBHOOK" in name and value
}
# The SMS gateway posts replies to /inbound/sms/, signed with this Standard Webhooks secret
# (whsec_...); unset, that URL answers 404.
SMS_INBOUND_SECRET = os.environ.get("SMS_INBOUND_SECRET", "")
# --- survey: the customer's satisfaction survey after a resolution (complaints.survey) ---
# The decision notice links to PUBLIC_BASE_URL/survey/<token>/: the address customers reach
# (the back office's own unless the public page is served elsewhere). The token names the
# complaint's reference, signed and dated; it is refused SURVEY_LINK_DAYS after it was issued.
PUBLIC_BASE_URL = env_url(
    "PUBLIC_BASE_URL", os.environ.get("PUBLIC_BASE_URL", BACKOFFICE_BASE_URL).rstrip("/")
)
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 14, minimum=1)
# A rating at or below this, within the complaint's reopen window, reopens it ("reopen"), or
# reopens it and escalates it to SURVEY_ESCALATION_TEAM ("escalate"); outside the window it
# is only recorded.
SURVEY_LOW_SCORE = env_int("SURVEY_LOW_SCORE", 2, minimum=0, maximum=5)
SURVEY_LOW_SCORE_ACTION = os.environ.get("SURVEY_LOW_SCORE_ACTION", "reopen")
if SURVEY_LOW_SCORE_ACTION not in ("reopen", "escalate"):
    raise ImproperlyConfigured(
        f"SURVEY_LOW_SCORE_ACTION is reopen or escalate, not {SURVEY_LOW_SCORE_ACTION!r}"
    )
SURVEY_ESCALATION_TEAM = os.environ.get("SURVEY_ESCALATION_TEAM", "complaints-dept")
# Requests to the survey page per client address (django-ratelimit, counted in the default
# cache: Redis when CACHE_URL is set, so every web process counts the same); more is a 429.
SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "30/10m")
