"""Settings for the after-sales service and complaint handling system.

Every value comes from the environment. The embedded defaults run the whole product on a
laptop (SQLite, a file-based Celery broker, console e-mail); ``DJANGO_ENV=production``
refuses to start without the secrets.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # nosec B105: laptop default only; production refuses to start without SECRET_KEY
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET)
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if PRODUCTION:
    for _name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "ALLOWED_HOSTS"):
        if not env.str(_name, default=""):
            raise ImproperlyConfigured(f"{_name} must be set when DJANGO_ENV=production")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "aftersales",
    "aftersales.fieldservice",
    "aftersales.compensation",
    "complaints",
    "returns",
    "delivery",
    "analytics",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "aftersales.core.http.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused by the throttle into a 429 (aftersales.people.signin).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

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
                "aftersales.web.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for the write lock instead of failing,
    # and take it at BEGIN so a read-then-write transaction cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without the
    # extra columns, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Pages must not fail with the cache: while Redis does not answer, each process serves
    # from its own memory and logs a warning (aftersales.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "aftersales.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "aftersales:inbox"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttle (aftersales.people.signin, django-axes with its database handler): failures per
# name and per client address before a lock; the lock ends this long after the last one.
# Site sign-in, admin sign-in and password reset all go through it.
AUTHENTICATION_BACKENDS = ["aftersales.people.signin.SignInBackend"]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=3)
PASSWORD_RESET_WINDOW_SECONDS = env.int("PASSWORD_RESET_WINDOW_SECONDS", default=3600)
# Reverse proxies in front of the web server that each append to X-Forwarded-For. 0: the
# header is ignored and the connecting address is the client (aftersales.core.http.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_HANDLER = "aftersales.people.signin.SignInAttemptHandler"
AXES_FAILURE_LIMIT = "aftersales.people.signin.failure_limit"
AXES_COOLOFF_TIME = "aftersales.people.signin.cool_off"
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_CALLABLE = "aftersales.people.signin.attempt_username"
AXES_CLIENT_IP_CALLABLE = "aftersales.core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "aftersales.people.signin.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end libraries installed from npm at build time (package.json), never committed.
_ECHARTS_DIST = BASE_DIR / "node_modules" / "echarts" / "dist"
if _ECHARTS_DIST.is_dir():
    STATICFILES_DIRS.append(("echarts", _ECHARTS_DIST))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
                        if PRODUCTION else "aftersales.notifications.mail.ConsoleEmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
# For django.core.mail.backends.filebased.EmailBackend (one file per connection).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="service@aftersales.example")
SMS_BACKEND = env.str("SMS_BACKEND", default="aftersales.notifications.sms.ConsoleSmsBackend")
# The console mail and SMS backends hide addresses, numbers and private links; set false
# to see them in full while debugging on a laptop.
CONSOLE_MASK_PERSONAL_DATA = env.bool("CONSOLE_MASK_PERSONAL_DATA", default=True)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message a worker took and never acknowledged (the worker was killed, its machine
    # lost) returns to the queue after the visibility timeout. Shorter means a killed
    # worker's tasks wait less, but a task running longer than this, or a countdown longer
    # than this, is delivered a second time (the outbox claim turns that copy into a no-op).
    # Keep it above OUTBOX_CLAIM_SECONDS, itself above OUTBOX_TASK_TIME_LIMIT.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # How often a worker looks for such messages (kombu's default is every 100 s).
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_SECONDS", default=30),
        "unacked_restore_throttle": 1,
        # A request that hands a task over must not hang on a broker that went away.
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task ran, and put the task back when its worker process dies, so a
# crash re-runs the task instead of losing it; the outbox claim keeps the re-run from
# sending a message twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict = {}

# Transactional outbox (aftersales.core.outbox): side effects are written with the change and
# handed to the broker after commit, then again every OUTBOX_DISPATCH_SECONDS until done.
OUTBOX_DISPATCH_SECONDS = env.float("OUTBOX_DISPATCH_SECONDS", default=20.0)
OUTBOX_DISPATCH_BATCH = env.int("OUTBOX_DISPATCH_BATCH", default=500)
# A message task is killed after this long; a claim older than OUTBOX_CLAIM_SECONDS is
# therefore a dead worker's, and another may take the message.
OUTBOX_TASK_TIME_LIMIT = env.int("OUTBOX_TASK_TIME_LIMIT", default=180)
OUTBOX_CLAIM_SECONDS = env.int("OUTBOX_CLAIM_SECONDS", default=240)
# Handed over but not done after this long: handed over again (the broker lost it).
OUTBOX_REDISPATCH_SECONDS = env.int("OUTBOX_REDISPATCH_SECONDS", default=900)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
# After the broker refused a hand-over, requests skip theirs this long (the periodic
# dispatch does not).
OUTBOX_BROKER_RETRY_SECONDS = env.int("OUTBOX_BROKER_RETRY_SECONDS", default=10)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=14)
CELERY_BEAT_SCHEDULE.update({
    "outbox-dispatch": {
        "task": "aftersales.outbox_dispatch", "schedule": OUTBOX_DISPATCH_SECONDS,
        "options": {"expires": OUTBOX_DISPATCH_SECONDS},
    },
    "outbox-purge": {"task": "aftersales.outbox_purge", "schedule": 24 * 3600.0},
})

# SLA clocks, sweeps and return visits (aftersales.sla.clocks, aftersales.sla.sweep).
SLA_TIME_ZONE = env.str("SLA_TIME_ZONE", default=TIME_ZONE)
SLA_SWEEP_BATCH = env.int("SLA_SWEEP_BATCH", default=5000)
SLA_NOTIFICATION_BATCH = env.int("SLA_NOTIFICATION_BATCH", default=200)
FOLLOW_UP_REMINDER_AFTER_HOURS = env.int("FOLLOW_UP_REMINDER_AFTER_HOURS", default=48)
FOLLOW_UP_NO_RESPONSE_AFTER_HOURS = env.int("FOLLOW_UP_NO_RESPONSE_AFTER_HOURS", default=48)
# An overall rating at or below this, or "not solved", counts as not satisfied.
FOLLOW_UP_DISSATISFIED_MAX_RATING = env.int("FOLLOW_UP_DISSATISFIED_MAX_RATING", default=2)
CELERY_BEAT_SCHEDULE.update({
    # A sweep left in the queue while the worker was down expires: the next one catches up.
    "sla-sweep": {"task": "aftersales.sla_sweep", "schedule": 60.0, "options": {"expires": 55}},
    "follow-up-sweep": {
        "task": "aftersales.follow_up_sweep", "schedule": 60.0, "options": {"expires": 55},
    },
    "calendar-check": {"task": "aftersales.calendar_check", "schedule": 24 * 3600.0},
    # Supervisors' digest of the last 24 hours' breaches (CELERY_TIMEZONE: Asia/Shanghai).
    "breach-digest": {"task": "aftersales.breach_digest", "schedule": crontab(minute=0, hour=8)},
    # Return orders: refunds owed past T10, advance replacements not sent back.
    "returns-sweep": {"task": "returns.sweep", "schedule": crontab(minute="*/15")},
    # Repair and installation jobs: service records overdue, T14/T15 overruns, T16 repeats.
    "fieldservice-sweep": {"task": "fieldservice.sweep", "schedule": 300.0,
                           "options": {"expires": 290}},
})

# Evidence uploads: limits checked on the file content, not on its name.
UPLOAD_MAX_FILES = 5
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_VIDEO_BYTES = env.int("UPLOAD_MAX_VIDEO_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# What a customer may add to one case through its tracking link, in total and per hour.
CUSTOMER_EVIDENCE_MAX_FILES = env.int("CUSTOMER_EVIDENCE_MAX_FILES", default=20)
CUSTOMER_EVIDENCE_MAX_BYTES = env.int("CUSTOMER_EVIDENCE_MAX_BYTES", default=100 * 1024 * 1024)
CUSTOMER_EVIDENCE_HOURLY_MAX_FILES = env.int("CUSTOMER_EVIDENCE_HOURLY_MAX_FILES", default=10)
CUSTOMER_EVIDENCE_HOURLY_MAX_BYTES = env.int(
    "CUSTOMER_EVIDENCE_HOURLY_MAX_BYTES", default=50 * 1024 * 1024
)

PUBLIC_FORM_RATE_LIMIT = env.int("PUBLIC_FORM_RATE_LIMIT", default=5)
PUBLIC_FORM_RATE_WINDOW_SECONDS = env.int("PUBLIC_FORM_RATE_WINDOW_SECONDS", default=3600)
# "Find my case" on the portal: per address and per case number.
FIND_CASE_RATE_LIMIT = env.int("FIND_CASE_RATE_LIMIT", default=5)
FIND_CASE_RATE_WINDOW_SECONDS = env.int("FIND_CASE_RATE_WINDOW_SECONDS", default=3600)
REPEAT_COMPLAINT_WINDOW_DAYS = env.int("REPEAT_COMPLAINT_WINDOW_DAYS", default=30)

# Analytics reads (ledger, dashboard, exports) go to a read replica when one is configured;
# without it they read the primary. Writes always go to the primary (analytics.routers).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["analytics.routers.PrimaryWritesRouter"]

# Ledger exports: up to this many rows stream at once, more are written by the worker.
# Files are kept in a private directory (default: <MEDIA_ROOT>/ledger-exports, which web
# and worker share and which nothing serves publicly) and deleted after the given hours.
LEDGER_EXPORT_SYNC_MAX_ROWS = env.int("LEDGER_EXPORT_SYNC_MAX_ROWS", default=5000)
LEDGER_EXPORT_KEEP_HOURS = env.int("LEDGER_EXPORT_KEEP_HOURS", default=72)
LEDGER_EXPORT_ROOT = env.str("LEDGER_EXPORT_ROOT", default="")
# How long a phone-number search link stays valid (the number itself is never in a URL).
LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS = env.int(
    "LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS", default=8 * 3600
)
CELERY_BEAT_SCHEDULE["ledger-export-cleanup"] = {
    "task": "analytics.ledger_exports_cleanup", "schedule": 3600.0,
    "options": {"expires": 3500},
}

# KPI rollups (analytics.kpis): refreshed every minute from the timeline; the monthly
# report of the previous month is written on day 5 (T20) and kept KPI_REPORT_KEEP_MONTHS.
KPI_REOPEN_WINDOW_DAYS = env.int("KPI_REOPEN_WINDOW_DAYS", default=15)
KPI_REPORT_ROOT = env.str("KPI_REPORT_ROOT", default="")
KPI_REPORT_KEEP_MONTHS = env.int("KPI_REPORT_KEEP_MONTHS", default=36)
KPI_REPORT_DAY = env.int("KPI_REPORT_DAY", default=5)
CELERY_BEAT_SCHEDULE["kpi-rollups"] = {
    "task": "analytics.kpi_refresh", "schedule": 60.0, "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["kpi-monthly-report"] = {
    "task": "analytics.monthly_report_previous_month",
    "schedule": crontab(minute=0, hour=6, day_of_month=KPI_REPORT_DAY),
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a proxy that terminates TLS: the header it sets for HTTPS requests, written as
# "HTTP_X_FORWARDED_PROTO,https". Set it only if the proxy always sets or strips that
# header; otherwise a client could claim HTTPS itself.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER is a header and a value, e.g. 'HTTP_X_FORWARDED_PROTO,https'"
        )
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header[0], _proxy_ssl_header[1])
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Sent over HTTPS only: browsers then refuse plain HTTP to this host for a year.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Content-Security-Policy (django-csp): only this site's own scripts, styles, images and
# fonts, no inline script or style. Bootstrap's stylesheet draws a few icons as data: SVGs.
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
    },
}

# Every handler masks e-mail addresses, phone numbers and private-link tokens
# (aftersales.core.masking); the Celery worker's handlers get the same filter (aftersales.celery),
# gunicorn's access log too (gunicorn.conf.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask": {"()": "aftersales.core.masking.MaskingFilter"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter",
                          "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server",
                          "filters": ["mask"]},
    },
    "loggers": {
        # Replaces Django's own handlers for these (unmasked) with the ones above.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
