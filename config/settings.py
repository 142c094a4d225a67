"""Settings, read once from the environment.

The defaults make the embedded demo work on a bare machine: SQLite, kombu's
``filesystem://`` broker under ``var/``, e-mail written to files. Production sets
``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY`` and ``DEBUG=false``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEMO_SECRET_KEY = "demo-only-secret-key-never-use-in-production"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEMO_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: the demo secret is refused when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_fsm",
    "casework",
    "complaints",
    "accounts",
    "refunds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the one chosen in the admin's header (a cookie), else the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "casework.api.language.EnglishApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing at once: web, worker and beat share
    # one SQLite file in the demo.
    # IMMEDIATE transactions take the write lock when they begin, so two sweeps or two
    # deliverers queue behind each other instead of acting on the same stale read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # A file, not memory, so a worker process started by a test sees the test database.
    # One file per test run, so two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's model permissions, a user's own and its groups' read in one query (casework/backends.py).
AUTHENTICATION_BACKENDS = ["casework.backends.ModelBackend"]

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
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: the demo writes each message to a file under var/mail so a newcomer can read
# the notices the worker delivered.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# Delivery holds the notice's row lock while sending: a relay that never answers must not
# hold it for ever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "backoffice@wallet.example")

# History: reverting would write an old state past the state machine.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Celery. No result backend: tasks report through the database, never through results.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
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
}

# Case rules that operations may tune per environment.
COMPLAINT_REOPEN_WINDOW_DAYS = int(os.environ.get("COMPLAINT_REOPEN_WINDOW_DAYS", "14"))
COMPLAINT_AUTO_CLOSE_DAYS = int(os.environ.get("COMPLAINT_AUTO_CLOSE_DAYS", "7"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
# Signed webhooks from the outbox (Standard Webhooks). Delivery holds the notice's row lock
# while it waits for the answer, as with e-mail: a receiver that never answers must not
# hold it for ever.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
# Payment instructions go to the payments system as signed POSTs. The defaults point at the
# demo receiver below, on the server `make run` starts, with a published demo secret:
# production sets PAYMENTS_ENDPOINT_URL and PAYMENTS_SIGNING_SECRET (the secret the
# payments system gave us, whsec_<base64>); the demo secret is refused when DEBUG is off.
# Published, so demo only: base64 of "demo-only-payments-signing-key!!".
DEMO_PAYMENTS_SIGNING_SECRET = "whsec_ZGVtby1vbmx5LXBheW1lbnRzLXNpZ25pbmcta2V5ISE="
PAYMENTS_ENDPOINT_URL = os.environ.get(
    "PAYMENTS_ENDPOINT_URL", "http://127.0.0.1:8000/demo/payments/instructions/"
)
PAYMENTS_SIGNING_SECRET = os.environ.get("PAYMENTS_SIGNING_SECRET", DEMO_PAYMENTS_SIGNING_SECRET)
if not DEBUG and PAYMENTS_SIGNING_SECRET == DEMO_PAYMENTS_SIGNING_SECRET:
    raise ImproperlyConfigured(
        "Set PAYMENTS_SIGNING_SECRET: the demo payments secret is refused when DEBUG is off."
    )
# A stand-in payments system at /demo/payments/instructions/ that checks the signature and
# files each instruction under VAR_DIR/payments/. Never routed unless this is on.
DEMO_PAYMENTS_RECEIVER = env_bool("DEMO_PAYMENTS_RECEIVER", DEBUG)
# Where load_demo points the demo partners' webhooks: the receiver `make run` starts.
DEMO_WEBHOOK_RECEIVER_URL = os.environ.get("DEMO_WEBHOOK_RECEIVER_URL", "http://127.0.0.1:8001")
ACCOUNT_GATEWAY = os.environ.get("ACCOUNT_GATEWAY", "accounts.gateways.LocalAccountGateway")
# An account request left without passed authentication this long expires.
ACCOUNT_REQUEST_EXPIRY_DAYS = int(os.environ.get("ACCOUNT_REQUEST_EXPIRY_DAYS", "7"))
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
# Refund approvals above these amounts need a second person ("CNY=5000,USD=700"); a
# currency not listed needs two approvals for every refund.
REFUND_FOUR_EYES_THRESHOLDS = {
    code.strip().upper(): amount.strip()
    for code, _, amount in (
        item.partition("=")
        for item in os.environ.get(
            "REFUND_FOUR_EYES_THRESHOLDS", "CNY=5000,HKD=5500,USD=700,EUR=650,GBP=550,JPY=100000"
        ).split(",")
        if item.strip()
    )
}
# A partner's Idempotency-Key is remembered this long; after it, the key is new again.
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))
# Reminders to the refund's handler this many calendar days before its deadline.
REFUND_REMINDER_DAYS_BEFORE = sorted(
    (int(days) for days in os.environ.get("REFUND_REMINDER_DAYS_BEFORE", "2,1").split(",") if days.strip()),
    reverse=True,
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["casework.api.authentication.PartnerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "casework.api.permissions.IsPartner",
        "casework.api.permissions.HasKeyScope",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "casework.api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "casework.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["casework.api.throttling.PartnerRateThrottle"],
    # A partner's own Partner.rate_limit, when set, replaces this.
    "DEFAULT_THROTTLE_RATES": {"partner": os.environ.get("API_PARTNER_RATE", "600/minute")},
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
        "casework.api.errors.document_error_headers_and_media_types",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # No validator badge: it would send the schema's address to a third party.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# LOG_FORMAT=json: one JSON object a line (casework.logs), for production's log shipper.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "casework.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- apiinput: what the partner API reads, and how it answers what it cannot ---
# The largest request body under /api/, in bytes: 1 MiB of JSON unless set; an evidence
# upload (multipart) may be EVIDENCE_MAX_BYTES plus this, for its other parts. A larger
# Content-Length is a 413 `request_too_large` before anything reads the body.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
# How deep a JSON body may nest objects and arrays (no body of the API needs more than 2);
# deeper is a 400 on `body`, however deep.
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", "16"))
# First, around everything else: the size is judged before any reading of the body, and
# every error answer under /api/ leaves in the API's JSON error shape whatever DEBUG says.
MIDDLEWARE = [
    "casework.api.middleware.ApiErrorShapeMiddleware",
    "casework.api.middleware.ApiBodyLimitMiddleware",
    *MIDDLEWARE,
]
# JSON in, JSON out: no browsable HTML API, so no answer under /api/ is an HTML page.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["casework.api.parsers.ApiJSONParser"]
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
