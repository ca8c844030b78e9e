"""Robeing Console settings.

Everything that differs between a laptop and production comes from environment
variables (or a `.env` file next to manage.py), parsed by django-environ. Every
variable is documented in `.env.example`. Bad values fail loudly at start-up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from core.logging import logging_config, structlog_configure

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables win over the file (ENV_FILE names another file).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# Embedded-mode state (SQLite file, filesystem broker queue, static files) lives here.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Metrics (core/metrics.py) ----------------------------------------------------
# Every process of this host counts in its own files under METRICS_DIR, in the
# folder of its service: web (gunicorn), worker (Celery) or command (manage.py
# and anything else); /metrics adds them up, labelled by service. One directory
# per host, on local disk (a tmpfs is ideal). Set before any metric is written,
# because prometheus-client reads it then.
METRICS_DIR = Path(env.str("METRICS_DIR", default="") or VAR_DIR / "metrics").resolve()
METRICS_SERVICE = env.str("METRICS_SERVICE", default="command")
if METRICS_SERVICE not in ("web", "worker", "command"):
    raise ImproperlyConfigured("METRICS_SERVICE must be web, worker or command.")
(METRICS_DIR / METRICS_SERVICE).mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR / METRICS_SERVICE)
# `Authorization: Bearer <token>` for Prometheus; a staff session works too. Empty:
# staff only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 24 characters (or empty).")

DEBUG = env.bool("DEBUG", default=False)

# No permissive defaults in production: a missing SECRET_KEY or ALLOWED_HOSTS with
# DEBUG off is a configuration error, not something to paper over.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-do-not-deploy")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS ----------------------------------------------------------------------
# Production sits behind a TLS-terminating proxy, so with DEBUG off every one of
# these is on unless the environment switches it off (a plain-HTTP run on
# loopback, the test suite, the benches). Each variable is named as the Django
# setting it sets.
_SECURE_BY_DEFAULT = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_SECURE_BY_DEFAULT)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_SECURE_BY_DEFAULT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_SECURE_BY_DEFAULT)
# A year, the value HSTS preload lists ask for; 0 sends no header.
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _SECURE_BY_DEFAULT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_SECURE_BY_DEFAULT
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_SECURE_BY_DEFAULT)


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """`HEADER,value` (the header as Django's META names it) or empty for none.

    Only correct behind a proxy that sets the header and strips a client's
    own copy of it; otherwise a client could claim HTTPS."""
    if not value.strip():
        return None
    header, sep, expected = (part.strip() for part in value.partition(","))
    if not sep or not header.startswith("HTTP_") or not expected:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER must be 'HTTP_<HEADER>,<value>', "
            "e.g. HTTP_X_FORWARDED_PROTO,https, or empty."
        )
    return header, expected


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(
    env.str(
        "SECURE_PROXY_SSL_HEADER",
        default="HTTP_X_FORWARDED_PROTO,https" if _SECURE_BY_DEFAULT else "",
    )
)

INSTALLED_APPS = [
    "robeing_site.apps.ConsoleAdminConfig",  # django.contrib.admin with the console as its site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",  # login lockouts (admin and staff HTTP Basic); last of the auth pieces
    "django_structlog",
    "core",
    "accounts",
    "conversations",
    "stats",
    "settings_app",
    "jobs",
    "privacy",
    "analytics",
    "reviews",
]

MIDDLEWARE = [
    # First: times every request, whatever answers it (core.metrics).
    "core.middleware.RequestMetricsMiddleware",
    # A request id for every request and one log line for it (core/request_log.py).
    "core.request_log.UpstreamRequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "core.request_log.RequestIdResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # No NUL from a path, query string or header reaches a view (or SQL).
    "core.middleware.RejectNulMiddleware",
    # Admin and API-docs assets straight from the app: no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out admin login into the lockout page (429); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "robeing_site.urls"
WSGI_APPLICATION = "robeing_site.wsgi.application"
ASGI_APPLICATION = "robeing_site.asgi.application"

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

# --- Database -----------------------------------------------------------------
# PostgreSQL is the production target (DATABASE_URL=postgres://...). Without it the
# app runs on an embedded SQLite file so that `make run` works on a bare machine.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'robeing.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web process read while the Celery worker writes; IMMEDIATE
            # takes the write lock at BEGIN so concurrent writers queue instead of
            # failing with "database is locked" half-way through a transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    # Persistent connections: the ingestion hot path should not pay a TCP+auth
    # handshake per request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast when PostgreSQL cannot be reached: the API answers 503 with
    # Retry-After instead of holding a worker for the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT", default=3
    )
    # Server-side prepared statements for the ingestion INSERTs (conversations.
    # services binds those server-side; Django's own cursors bind client-side and
    # never prepare). Django switches psycopg's preparing off for the sake of
    # connection poolers: behind PgBouncer in transaction mode older than 1.21
    # (no max_prepared_statements), set DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: a locked-out account or address is refused before any password
    # hash is computed (PBKDF2 costs ~0.3 s of CPU that anyone could make us spend).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# --- Login lockouts (django-axes) -------------------------------------------------
# Failed admin logins and staff HTTP Basic attempts are counted per account and
# per client address (each on its own); at AXES_FAILURE_LIMIT failures that
# account, or that address, is refused for AXES_COOLOFF_MINUTES, and every
# failure during a lockout starts the wait again. Counting per account lets a
# stranger lock a known account for that long: that is the price of stopping a
# password guessed from many addresses. Unlock early: `manage.py axes_reset_username
# <email>` or `axes_reset_ip <address>`, or in the admin (Axes › Access attempts).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.authentication.login_name"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.authentication.lockout_page"
# Failures only: a success is a session or a remembered Basic pair, not a log line each.
AXES_DISABLE_ACCESS_LOG = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Cache ----------------------------------------------------------------------
# Redis when configured (shared by all processes and machines).
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds any Redis call may take before it counts as Redis being away.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.25)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache for which an unreachable Redis is a miss
            # (core/cache.py): every value here is a copy of a database row.
            "BACKEND": "core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "robeing",
            # A stopped Redis refuses at once; a hung one must not hold a request.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
            "KEY_FUNCTION": "core.cache_namespace.make_key",
        }
    }
else:
    # Files under var/: shared by the web process and the Celery worker on this
    # machine, so a write in one is seen by the other (a memory cache is not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_FUNCTION": "core.cache_namespace.make_key",
        }
    }
# Every cache key carries the identity of the database it was read from
# (core.cache_namespace), so a new or restored database never reads another
# one's values; each process re-reads that identity at most this often.
CACHE_NAMESPACE_CHECK_SECONDS = env.float("CACHE_NAMESPACE_CHECK_SECONDS", default=1.0)

# --- I18N -----------------------------------------------------------------------
# Operators are a Korean team: Korean admin by default, English via Accept-Language.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ko")
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format in both languages ("2026-12-01 14:05"): robeing_site/formats/.
FORMAT_MODULE_PATH = ["robeing_site.formats"]
# Stored in UTC, displayed in Seoul time.
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start without it.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Conversation archives and privacy exports go through Django's storage API
    # only, so an S3-compatible bucket is a matter of configuration: e.g.
    # ARCHIVE_STORAGE_BACKEND=storages.backends.s3.S3Storage (django-storages)
    # and ARCHIVE_STORAGE_OPTIONS='{"bucket_name": "robeing-archives"}'.
    # Neither is ever served by the web server: exports are downloaded through
    # a staff-only view.
    "archives": {
        "BACKEND": env.str(
            "ARCHIVE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json(
            "ARCHIVE_STORAGE_OPTIONS", default={"location": str(VAR_DIR / "archives")}
        ),
    },
    "exports": {
        "BACKEND": env.str(
            "EXPORT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json(
            "EXPORT_STORAGE_OPTIONS", default={"location": str(VAR_DIR / "exports")}
        ),
    },
}

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials gets 401 + WWW-Authenticate.
        "accounts.authentication.RobeingApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.CanAccessRobeing"],
    "DEFAULT_RENDERER_CLASSES": ["core.jsonio.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.jsonio.OrjsonParser"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # How many proxies in front of the app set X-Forwarded-For: the client
    # address for rate limits is the one the outermost trusted proxy saw. 0 (no
    # proxy): REMOTE_ADDR, and a client's own X-Forwarded-For is ignored.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Robeing Console API",
    "DESCRIPTION": (
        "Bots log Slack turns, read conversation context, report tasks and manage "
        "settings. Authenticate with `Authorization: Api-Key <key>`; a key reaches "
        "only its own robeing."
    ),
    "VERSION": "1.0.0",
    # 3.1: the pydantic models' JSON Schema uses `"type": "null"`, which 3.0 lacks.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The input rules every string and number obeys (no NUL, numbers under 2**63).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.input_rules_hook",
    ],
}

# Rate limits (core/ratelimit.py: GCRA in Redis, atomic): "<count>/<period>" as
# 600/min, 100/s, 5000/hour or 600/60 (seconds); "off" for none. Over it: 429
# with Retry-After. Per API key (or staff account), and per client address
# (checked before authentication, so bad credentials are limited too).
API_RATE_LIMIT_PER_KEY = env.str("API_RATE_LIMIT_PER_KEY", default="1200/min")
API_RATE_LIMIT_PER_ADDRESS = env.str("API_RATE_LIMIT_PER_ADDRESS", default="3000/min")

# Retry-After (seconds) of a 503 while the database is unavailable.
API_RETRY_AFTER_SECONDS = env.int("API_RETRY_AFTER_SECONDS", default=5)

# How long a verified API key stays in the per-process key cache. Revoking a key
# takes effect at once in the process that revoked it and within this many
# seconds everywhere else.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=30)
# How long a process remembers staff HTTP Basic credentials it has verified
# (accounts.authentication.StaffBasicAuthentication): PBKDF2 costs ~0.5 s a check.
BASIC_AUTH_CACHE_SECONDS = env.int("BASIC_AUTH_CACHE_SECONDS", default=60)
# Slack user id -> user id resolution cache (per process), seconds.
SLACK_USER_CACHE_SECONDS = env.int("SLACK_USER_CACHE_SECONDS", default=300)
# Request body caps (bytes): one turn is at most 2 x 40,000 characters (3 bytes
# each in UTF-8 for Korean) plus metadata; a batch is up to 1,000 turns.
API_MAX_TURN_BODY_BYTES = env.int("API_MAX_TURN_BODY_BYTES", default=512 * 1024)
API_MAX_BATCH_BODY_BYTES = env.int("API_MAX_BATCH_BODY_BYTES", default=16 * 1024 * 1024)
# Serialized size cap for a turn's metadata object.
CONVERSATION_METADATA_MAX_BYTES = env.int("CONVERSATION_METADATA_MAX_BYTES", default=16 * 1024)
# A turn's timestamp may be at most this far ahead of the server clock (skew).
CONVERSATION_MAX_CLOCK_SKEW_SECONDS = env.int("CONVERSATION_MAX_CLOCK_SKEW_SECONDS", default=300)
# Django's own cap, for form posts (admin); the API checks its caps above.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BATCH_BODY_BYTES

# --- Robeing settings -----------------------------------------------------------
# How long a process trusts its copy of a robeing's settings before it asks the
# shared cache for the current version again (one Redis GET). A write waits this
# long after it commits before it answers, so the next request of the writer,
# in any process, sees it; writes by others are seen within this time.
SETTINGS_VERSION_CHECK_SECONDS = env.float("SETTINGS_VERSION_CHECK_SECONDS", default=0.1)

# --- Growth (stats) -------------------------------------------------------------
# XP a robeing earns for each stored conversation turn, added by the aggregation.
STATS_XP_PER_TURN = env.int("STATS_XP_PER_TURN", default=1)
# Turns the aggregation claims per transaction, and batches per run.
STATS_AGGREGATION_BATCH_SIZE = env.int("STATS_AGGREGATION_BATCH_SIZE", default=1000)
STATS_AGGREGATION_MAX_BATCHES = env.int("STATS_AGGREGATION_MAX_BATCHES", default=100)

# --- Maintenance (archiving, privacy) -------------------------------------------
# Turns older than this many days leave the hot table for the monthly archives.
ARCHIVE_AFTER_DAYS = env.int("ARCHIVE_AFTER_DAYS", default=90)
# Rows per read, per DELETE and per restore INSERT: bounds memory and lock time.
ARCHIVE_BATCH_SIZE = env.int("ARCHIVE_BATCH_SIZE", default=5000)
# Restored turns stay in the hot table this long before archiving may take them again.
ARCHIVE_RESTORE_HOLD_DAYS = env.int("ARCHIVE_RESTORE_HOLD_DAYS", default=30)
# GDPR: an erasure or access request must be answered within this many days.
PRIVACY_REQUEST_DEADLINE_DAYS = env.int("PRIVACY_REQUEST_DEADLINE_DAYS", default=30)
# How long an export file can be downloaded before it is deleted.
PRIVACY_EXPORT_TTL_HOURS = env.int("PRIVACY_EXPORT_TTL_HOURS", default=72)
# Runs kept per scheduled job in the run history (jobs.models.JobRun); the newest
# success is always kept. 2,000 is a week of the 5-minute aggregation.
JOB_RUN_HISTORY_PER_JOB = env.int("JOB_RUN_HISTORY_PER_JOB", default=2000)
if JOB_RUN_HISTORY_PER_JOB < 1:
    raise ImproperlyConfigured("JOB_RUN_HISTORY_PER_JOB must be at least 1.")

# --- Celery ---------------------------------------------------------------------
# With no broker configured, kombu's filesystem transport keeps the queue in files
# under var/ so the embedded default needs no server. Redis or RabbitMQ otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Fanout/broadcast bindings; kombu's default is ./control in the cwd.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Tasks write their outcome to the database; nothing reads Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Logs (core/logging.py) ---------------------------------------------------
# JSON lines in production; readable lines on a terminal (the default with DEBUG).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
structlog_configure()
# Celery keeps Django's logging instead of installing its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# django-structlog: one line per request (request_finished, at INFO; its
# request_started is a DEBUG line), a request id on every line, carried into
# the Celery tasks a request queues. No client address and no user id: the
# request line is not the place for personal data.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_USER_ID_FIELD = None
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL = logging.INFO
DJANGO_STRUCTLOG_CELERY_TASK_START_LOG_LEVEL = logging.INFO
# A proxy's X-Request-ID is taken only when this says the proxy sets it (and
# drops a client's own): many proxies pass a client's header through, and then
# clients would choose the ids the logs and job runs are correlated by.
REQUEST_ID_FROM_PROXY = env.bool("REQUEST_ID_FROM_PROXY", default=False)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = REQUEST_ID_FROM_PROXY

# --- Health checks (core/health.py; README, Health checks) -----------------------
# /healthz (the process answers) and /readyz (database, cache and broker, each
# checked within this many seconds; the answer comes within that plus one).
# Both are unauthenticated and never cached, for load balancers and orchestrators.
INSTALLED_APPS += ["health_check"]  # django-health-check: its checks, its `health_check` command
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)
if READINESS_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("READINESS_TIMEOUT_SECONDS must be a positive number of seconds.")
# Load balancers and kubelets probe the pod over plain HTTP: an HTTPS redirect
# would be a 301 that most of them count as a failure (or follow to nowhere).
# Neither answer sets a cookie or shows anything that HTTPS would protect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
