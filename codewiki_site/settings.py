"""CodeWiki settings.

Every knob is read from the environment here and nowhere else; the README's
configuration table lists them. Code reads them through ``django.conf.settings``
at the moment of use, never at import time, so tests can override them.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    # Development fallback so `make run` needs no configuration; deployments set
    # DJANGO_SECRET_KEY (README), and `manage.py check --deploy` flags this one.
    SECRET_KEY = "django-insecure-codewiki-development-key"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jobs.middleware.ProxyRemoteUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jobs.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "codewiki_site.urls"
WSGI_APPLICATION = "codewiki_site.wsgi.application"

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

# --- CodeWiki -----------------------------------------------------------------

CODEWIKI_OUTPUT_DIR = Path(env_str("CODEWIKI_OUTPUT_DIR", str(BASE_DIR / "output"))).resolve()
CODEWIKI_QUEUE_SIZE = env_int("CODEWIKI_QUEUE_SIZE", 100)
CODEWIKI_CLONE_TIMEOUT = env_int("CODEWIKI_CLONE_TIMEOUT", 300)
CODEWIKI_CLONE_DEPTH = env_int("CODEWIKI_CLONE_DEPTH", 1)
# Per-file analysis results reused by the next commit's docs (0: off).
CODEWIKI_ANALYSIS_CACHE_MB = env_int("CODEWIKI_ANALYSIS_CACHE_MB", 512)
CODEWIKI_CACHE_EXPIRY_DAYS = env_int("CODEWIKI_CACHE_EXPIRY_DAYS", 365)
CODEWIKI_RETRY_COOLDOWN_MINUTES = env_int("CODEWIKI_RETRY_COOLDOWN_MINUTES", 3)
CODEWIKI_JOB_TIMEOUT = env_int("CODEWIKI_JOB_TIMEOUT", 3600)
CODEWIKI_MAX_ATTEMPTS = env_int("CODEWIKI_MAX_ATTEMPTS", 3)
CODEWIKI_RETRY_BACKOFF_SECONDS = env_int("CODEWIKI_RETRY_BACKOFF_SECONDS", 30)
CODEWIKI_LEASE_SECONDS = env_int("CODEWIKI_LEASE_SECONDS", 60)
CODEWIKI_SHUTDOWN_GRACE_SECONDS = env_int("CODEWIKI_SHUTDOWN_GRACE_SECONDS", 30)
CODEWIKI_REPO_HOSTS = env_list(
    "CODEWIKI_REPO_HOSTS", "github.com,gitlab.com,bitbucket.org,codeberg.org"
)
CODEWIKI_ALLOW_LOCAL_REPOS = env_bool("CODEWIKI_ALLOW_LOCAL_REPOS", False)
# Tracked repositories: default minutes between scheduled checks of a followed branch
# (0: only webhooks refresh), and each provider's webhook secret (empty: endpoint off).
CODEWIKI_REFRESH_MINUTES = env_int("CODEWIKI_REFRESH_MINUTES", 60)
CODEWIKI_WEBHOOK_SECRET_GITHUB = env_str("CODEWIKI_WEBHOOK_SECRET_GITHUB", "")
CODEWIKI_WEBHOOK_SECRET_GITLAB = env_str("CODEWIKI_WEBHOOK_SECRET_GITLAB", "")
CODEWIKI_WEBHOOK_SECRET_GITEA = env_str("CODEWIKI_WEBHOOK_SECRET_GITEA", "")
CODEWIKI_WEBHOOK_MAX_BYTES = env_int("CODEWIKI_WEBHOOK_MAX_BYTES", 1024 * 1024)
CODEWIKI_LOGIN_REQUIRED = env_bool("CODEWIKI_LOGIN_REQUIRED", False)
# Private repositories: a file of "https://host[/owner] token" lines, re-read at every
# use (rotation needs no restart), plus any CODEWIKI_GIT_CREDENTIAL_<NAME> variables
# holding the same lines. See jobs/git_credentials.py.
# An SSO proxy's user header (e.g. HTTP_X_FORWARDED_USER); empty: off. See README.
CODEWIKI_REMOTE_USER_HEADER = env_str("CODEWIKI_REMOTE_USER_HEADER", "")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if CODEWIKI_REMOTE_USER_HEADER:
    AUTHENTICATION_BACKENDS.insert(0, "django.contrib.auth.backends.RemoteUserBackend")
CODEWIKI_GIT_CREDENTIALS = env_str("CODEWIKI_GIT_CREDENTIALS", "")
CODEWIKI_GIT_CREDENTIAL_VARS = {
    name: value for name, value in os.environ.items() if name.startswith("CODEWIKI_GIT_CREDENTIAL_")
}
MAIN_MODEL = env_str("MAIN_MODEL", "")
# Model-written prose (jobs/docgen/prose): any OpenAI-compatible chat-completions endpoint,
# such as https://api.openai.com/v1 or http://127.0.0.1:11434/v1. Empty: static docs only.
CODEWIKI_LLM_BASE_URL = env_str("CODEWIKI_LLM_BASE_URL", "").strip()
CODEWIKI_LLM_API_KEY = env_str("CODEWIKI_LLM_API_KEY", "")  # never logged, shown or stored
CODEWIKI_LLM_TOKEN_BUDGET = env_int("CODEWIKI_LLM_TOKEN_BUDGET", 200_000)
CODEWIKI_LLM_TIMEOUT = env_float("CODEWIKI_LLM_TIMEOUT", 120.0)
CODEWIKI_LLM_CONCURRENCY = env_int("CODEWIKI_LLM_CONCURRENCY", 2)
CODEWIKI_LLM_MAX_OUTPUT_TOKENS = env_int("CODEWIKI_LLM_MAX_OUTPUT_TOKENS", 800)
CODEWIKI_LLM_MAX_INPUT_CHARS = env_int("CODEWIKI_LLM_MAX_INPUT_CHARS", 12_000)
CODEWIKI_LLM_RETRIES = env_int("CODEWIKI_LLM_RETRIES", 3)
CODEWIKI_LLM_BACKOFF_SECONDS = env_float("CODEWIKI_LLM_BACKOFF_SECONDS", 2.0)

# The SQLite file lives beside the docs so one folder holds a whole installation.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{CODEWIKI_OUTPUT_DIR / 'codewiki.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    CODEWIKI_OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while a worker writes; the busy timeout makes
    # concurrent writers wait instead of failing with "database is locked", and
    # IMMEDIATE transactions take the write lock up front so two writers never
    # deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {
        # A file, not memory: worker subprocesses in the tests must see the same database.
        # One per test run, so concurrent runs in one checkout never share it.
        "NAME": str(CODEWIKI_OUTPUT_DIR / f"test-codewiki-{os.getpid()}.sqlite3"),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server must fail a connection attempt in seconds, not hang a
    # worker past its leases (`?connect_timeout=` in DATABASE_URL overrides it).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "codewiki",
        "TIMEOUT": 3600,
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CODEWIKI_OUTPUT_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or env_bool("CODEWIKI_SIMPLE_STATIC", True):
    # Manifest storage needs `collectstatic`; deployments that run it set
    # CODEWIKI_SIMPLE_STATIC=0 to get hashed, far-future-cached file names.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
STATICFILES_FINDERS = [  # The last one serves the mermaidx wheel's mermaid.js (docs viewer).
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "jobs.staticfinders.MermaidFinder",
]

CODEWIKI_LOG_FORMAT = env_str("CODEWIKI_LOG_FORMAT", "text").strip().lower()
if CODEWIKI_LOG_FORMAT not in {"text", "json"}:
    raise ValueError(f"CODEWIKI_LOG_FORMAT must be 'text' or 'json', got {CODEWIKI_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler redacts configured git tokens, whatever logger the record came from,
    # and carries the job/attempt/worker/repository/step context (jobs/logs.py).
    "filters": {
        "redact": {"()": "jobs.git_credentials.RedactingFilter"},
        "context": {"()": "jobs.logs.ContextFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "jobs.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CODEWIKI_LOG_FORMAT,
            "filters": ["redact", "context"],
        }
    },
    "loggers": {
        "jobs": {
            "handlers": ["console"],
            "level": env_str("CODEWIKI_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
    # Everything else (django.request's 500s, libraries) at WARNING, in the same format.
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Submissions per client over a sliding window (jobs/rate_limit.py); 0 turns it off.
CODEWIKI_RATE_LIMIT = env_int("CODEWIKI_RATE_LIMIT", 30)
CODEWIKI_RATE_LIMIT_WINDOW_SECONDS = env_int("CODEWIKI_RATE_LIMIT_WINDOW_SECONDS", 600)
# Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For is believed.
CODEWIKI_TRUSTED_PROXIES = env_list("CODEWIKI_TRUSTED_PROXIES", "")
# Bearer token for /metrics and the workers' --metrics-port; staff logins also see /metrics.
CODEWIKI_METRICS_TOKEN = env_str("CODEWIKI_METRICS_TOKEN", "")
