"""Settings for the consumption dashboard, read from the environment.

Development defaults are safe and need nothing set; production values come from the environment.
A malformed value stops start-up with ImproperlyConfigured rather than being silently ignored.
"""
import os
import zoneinfo
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# dashboard/ holds manage.py; the repository root holds data/, static/ and node_modules/.
PROJECT_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PROJECT_DIR.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone") from None
# Meter timestamps are stored exactly as written (naive, in TIME_ZONE), so a reading at
# 2016-07-15 23:30 always belongs to 2016-07-15, whatever the database's own zone.
USE_TZ = False
USE_I18N = False
LANGUAGE_CODE = "en-gb"

# Apps whose templates, template tags or models the project uses. django-tables2 and django-filter
# serve as libraries only (the pages write their own markup), so every command need not load them.
INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "consumption",
]

MIDDLEWARE = [
    # Outermost, so every response is logged: static files, redirects and errors included.
    "consumption.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "consumption.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": ["django.template.context_processors.request"],
        },
    }
]


def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{REPO_DIR / 'db.sqlite3'}"
    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj-database-url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets the dashboard keep reading while an import writes; the busy timeout makes
            # a second writer wait instead of failing at once with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": env_int("SQLITE_TIMEOUT_SECONDS", 30),
        }
    elif engine.startswith("django.db.backends.postgresql"):
        from psycopg import IsolationLevel

        # Each request runs in one transaction (ATOMIC_REQUESTS); REPEATABLE READ gives it a
        # single snapshot, so a page never mixes figures from before and after an import.
        config["OPTIONS"] = {
            "isolation_level": IsolationLevel.REPEATABLE_READ,
            # A query over every customer's rows is estimated costly enough for PostgreSQL to compile
            # it with JIT first, and compiling takes longer than these queries take to run.
            # The pages read a few rows per customer through indexes; priced at the default cost of a
            # random read from a spinning disk, those look dearer than reading whole tables, which
            # on SSD or from memory they are not.
            "options": "-c jit=off -c random_page_cost=1.1",
        }
        config["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(f"DATABASE_URL must point at SQLite or PostgreSQL, not {engine!r}")
    config["ATOMIC_REQUESTS"] = True
    config["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = REPO_DIR / "staticfiles"
STATICFILES_DIRS = [
    REPO_DIR / "static",
    # Chart.js comes from the npm registry at set-up time (`npm ci`), served as a plain file.
    ("vendor/chart.js", REPO_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/chartjs-chart-matrix", REPO_DIR / "node_modules" / "chartjs-chart-matrix" / "dist"),
]
STORAGES = {
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    }
}

# Development (DEBUG on in the environment) serves static files straight from the source folders,
# fresh on every change; production serves only what collectstatic wrote, with cache-busting names.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Where the import's alert rules draw their lines, by name (consumption.alerts.Thresholds): for
# example {"spike_ratio": 3.0}. A name not given keeps its default.
ALERT_THRESHOLDS: dict = {}

DATA_DIR = Path(os.environ.get("DATA_DIR", REPO_DIR / "data"))

# Production security, switchable for deployments behind TLS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe over plain HTTP, often by address: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything is served from this origin: no inline script or style, no eval, no third-party origin.
# django-csp 4's format: Django 6's built-in SECURE_CSP takes these DIRECTIVES as they are.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Logs are one line per event in key=value form (logfmt), ready for a log shipper: requests on
# consumption.request, imports on consumption.import, unhandled errors with traceback on django.request.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "format": "%(asctime)s level=%(levelname)s logger=%(name)s pid=%(process)d %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # SQL is logged only when DEBUG is on and asked for: it would drown everything else.
        "django.db.backends": {"level": "INFO"},
        # Every request is already on consumption.request; Django's own line for a 404 repeats it.
        "django.request": {"level": "ERROR"},
    },
}
