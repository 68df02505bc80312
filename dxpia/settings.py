"""Settings for dxpia.

Everything that differs between a laptop and production comes from the environment and is read by the
strict helpers below: a value that cannot be understood stops start-up with ImproperlyConfigured
instead of silently falling back to a default.
"""

import os
import sys
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The project package's own folder. Templates, static files, fixtures and translations live inside it,
# so that they ship in the wheel and an installed dxpia finds them where a checkout does.
PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout (where manage.py is), or site-packages when dxpia is installed from a wheel.
BASE_DIR = PACKAGE_DIR.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name} is a comma-separated list with no empty items, not {value!r}")
    return items


def envdatabase(name: str, default: str) -> dict:
    url = os.environ.get(name) or default
    if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"{name} must be a sqlite:// or postgres:// URL, not {url!r}")
    try:
        # Persistent connections (seconds; 0: one per request, the default) are checked before each
        # request reuses one, so a database restart costs no failed request.
        conn_max_age = envint("DXPIA_DB_CONN_MAX_AGE", 0)
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_max_age > 0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    return config


def envstorage(name: str, options_name: str, default: dict) -> dict:
    """A STORAGES entry: the class that ``name`` names (dotted path) with the JSON object of
    ``options_name`` as its options, or ``default`` when ``name`` is unset."""
    import json

    backend = (os.environ.get(name) or "").strip()
    raw = os.environ.get(options_name) or ""
    if not backend:
        if raw.strip():
            raise ImproperlyConfigured(f"{options_name} is set but {name} is not")
        return default
    if "." not in backend:
        raise ImproperlyConfigured(f"{name} must be a dotted path to a storage class, not {backend!r}")
    try:
        options = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise ImproperlyConfigured(f"{options_name} must be a JSON object: {exc}") from None
    if not isinstance(options, dict):
        raise ImproperlyConfigured(f"{options_name} must be a JSON object, not {raw!r}")
    return {"BACKEND": backend, "OPTIONS": options}


def parse_email_url(url: str, name: str = "DXPIA_EMAIL_URL") -> dict:
    """The e-mail settings that ``url`` describes, or ImproperlyConfigured. A pure function.

    smtp://user:password@host:587?tls=true  (STARTTLS; ``ssl=true`` for implicit TLS)
    smtps://user:password@host:465          (implicit TLS)
    console://                              (mails printed on the console, for a laptop)
    locmem://                               (kept in django.core.mail.outbox, for tests)
    User and password may be percent-encoded (an @ in a password is %40). ``timeout`` (seconds)
    may be given; any other query parameter is refused.
    """
    from urllib.parse import parse_qsl, unquote, urlsplit

    def refuse(why):
        return ImproperlyConfigured(f"{name} {why} (smtp://user:pass@host:587?tls=true, smtps://…, console://, locmem://)")

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise refuse(f"could not be parsed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme in ("console", "locmem"):
        if parts.netloc or parts.path.strip("/") or parts.query:
            raise refuse(f"{scheme}:// takes nothing after it, not {url!r}")
        backend = "console" if scheme == "console" else "locmem"
        return {"EMAIL_BACKEND": f"django.core.mail.backends.{backend}.EmailBackend"}
    if scheme not in ("smtp", "smtps"):
        raise refuse("must start with smtp://, smtps://, console:// or locmem://")
    if not parts.hostname:
        raise refuse("names no host")
    if parts.path.strip("/"):
        raise refuse(f"has a path, which means nothing here: {parts.path!r}")
    options = {}
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise refuse(f"has a query that could not be read: {parts.query!r}") from None
    for key, value in pairs:
        if key in options:
            raise refuse(f"gives {key} twice")
        options[key] = value
    unknown = set(options) - {"tls", "ssl", "timeout"}
    if unknown:
        raise refuse(f"has unknown options: {', '.join(sorted(unknown))}")

    def flag(key):
        value = options.get(key, "").strip().lower()
        if value == "":
            return False
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise refuse(f"{key} must be true or false, not {options[key]!r}")

    use_tls, use_ssl = flag("tls"), flag("ssl") or scheme == "smtps"
    if use_tls and use_ssl:
        raise refuse("cannot use both STARTTLS (tls) and implicit TLS (ssl or smtps://)")
    timeout = None
    if "timeout" in options:
        try:
            timeout = int(options["timeout"])
        except ValueError:
            raise refuse(f"timeout must be a whole number of seconds, not {options['timeout']!r}") from None
        if timeout <= 0:
            raise refuse("timeout must be more than 0")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout or 30,
    }


def email_settings(url: str | None, *, debug: bool) -> dict:
    """The e-mail settings for ``DXPIA_EMAIL_URL``: the console without one while DEBUG; in
    production a missing URL stops start-up (sign-up and password reset need real mail)."""
    if url is None or url.strip() == "":
        if debug:
            return parse_email_url("console://")
        raise ImproperlyConfigured(
            "DXPIA_EMAIL_URL must be set when DXPIA_DEBUG is off: sign-up confirmations and password resets are "
            "sent by e-mail (e.g. smtp://user:pass@mail.example.jp:587?tls=true)"
        )
    return parse_email_url(url)


# SQLite shared by several worker processes (gunicorn -w 4 on one file). WAL lets readers go on
# while one process writes; BEGIN IMMEDIATE takes the write lock when a transaction starts, so a
# transaction never has to upgrade a read lock to a write lock (which SQLite refuses at once with
# "database is locked" instead of waiting); and every lock is waited for, up to 20 s
# (DXPIA_SQLITE_TIMEOUT), instead of failing at once when autosave and a form post meet; a request
# that still finds the file locked after that gets the "busy, try again" page (a 503, see
# dxpia.error_views), not a server error. synchronous=NORMAL is safe in WAL mode (a power cut may
# lose the last commits, never corrupt the file). On the test suite's in-memory database
# journal_mode stays "memory": the pragma is harmless there.
SQLITE_TIMEOUT_SECONDS = envint("DXPIA_SQLITE_TIMEOUT", 20)
if SQLITE_TIMEOUT_SECONDS < 1:
    raise ImproperlyConfigured(f"DXPIA_SQLITE_TIMEOUT must be at least 1 second, not {SQLITE_TIMEOUT_SECONDS}")
SQLITE_OPTIONS = {
    "timeout": SQLITE_TIMEOUT_SECONDS,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        f"PRAGMA busy_timeout={SQLITE_TIMEOUT_SECONDS * 1000};"
    ),
}


DEBUG = envbool("DXPIA_DEBUG", True)

# What dxpia writes by default: the SQLite database, collected static files, the PDF cache. var/ of the
# checkout; for an installed wheel, var/dxpia under the virtualenv (never site-packages). DXPIA_VAR_DIR
# names another folder; DATABASE_URL and DXPIA_CACHE_DIR still override their parts.
VAR_DIR = Path(
    os.environ.get("DXPIA_VAR_DIR")
    or (BASE_DIR / "var" if (BASE_DIR / "manage.py").is_file() else Path(sys.prefix) / "var" / "dxpia")
)

SECRET_KEY = os.environ.get("DXPIA_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DXPIA_SECRET_KEY must be set when DXPIA_DEBUG is off")
    SECRET_KEY = "dxpia-development-key-not-for-production"
elif len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DXPIA_SECRET_KEY must be at least 32 characters long")

ALLOWED_HOSTS = envlist("DXPIA_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DXPIA_ALLOWED_HOSTS must be set when DXPIA_DEBUG is off")
if not DEBUG and "*" in ALLOWED_HOSTS:
    # A wildcard accepts any Host header: password-reset links and absolute URLs could point elsewhere.
    raise ImproperlyConfigured("DXPIA_ALLOWED_HOSTS must name the hosts when DXPIA_DEBUG is off, not '*'")

# E-mail: sign-up confirmations and password resets.
globals().update(email_settings(os.environ.get("DXPIA_EMAIL_URL"), debug=DEBUG))
DEFAULT_FROM_EMAIL = os.environ.get("DXPIA_DEFAULT_FROM_EMAIL") or "dxpia <noreply@localhost>"
if not DEBUG and not os.environ.get("DXPIA_DEFAULT_FROM_EMAIL"):
    raise ImproperlyConfigured("DXPIA_DEFAULT_FROM_EMAIL must be set when DXPIA_DEBUG is off (the sender of sign-up and reset mails)")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A confirmation or password-reset link stays valid this long (seconds).
PASSWORD_RESET_TIMEOUT = envint("DXPIA_LINK_HOURS", 24) * 3600
if not 0 < PASSWORD_RESET_TIMEOUT <= 7 * 24 * 3600:
    raise ImproperlyConfigured("DXPIA_LINK_HOURS must be between 1 and 168")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "dxpia.collect",  # its collectstatic, which collects less, wins over staticfiles' own
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "assessments",
]

MIDDLEWARE = [
    # First: its duration covers the others, and it logs static files and HTTPS redirects too.
    "dxpia.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get the policy and nosniff too.
    # (It reads request.user only on the way out, after AuthenticationMiddleware has set it.)
    "dxpia.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware: a language chosen with the switch beats the browser's Accept-Language.
    "dxpia.middleware.SessionLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dxpia.middleware.DocumentUnavailableMiddleware",
    # Last, as django-axes asks: locks out repeated failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("DXPIA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
# Lock a user name from one address, not a whole town hall behind one NAT address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# This site's address as its users reach it, for the links in e-mails sent outside any page request
# (the daily reminders of manage.py send_request_reminders). Required for that command in production.
SITE_URL = os.environ.get("DXPIA_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"DXPIA_SITE_URL must start with https:// or http://, not {SITE_URL!r}")

ROOT_URLCONF = "dxpia.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
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

WSGI_APPLICATION = "dxpia.wsgi.application"

DATABASES = {"default": envdatabase("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dxpia.sqlite3'}")}
if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Japanese first; English follows through gettext.
# Section B posts every inventory row (about 11 fields each): Django's default of 1,000 fields made a
# save of more than 93 rows fail with 400 and lose the input. What an assessment may hold is bounded
# by answer_saving.CONTENT_BUDGET (each row counts at least ITEM_WEIGHT = 100 of its 300,000, so at
# most 3,000 rows), and this leaves room for all of them and the section's other fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 40_000

LANGUAGE_CODE = "ja"
# English is a complete catalogue (dxpia/locale/en, compiled during set-up; tests/test_english.py
# fails on an untranslated message): a browser that prefers English gets it, the language switch
# keeps a choice in the session and the user's settings (assessments/languages.py).
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DXPIA_STATIC_ROOT") or str(VAR_DIR / "static")
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    # Bootstrap comes from the xstatic-bootstrap package and is served by WhiteNoise: no CDN.
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Rendered PDFs (reports.render): shared by every app server. The embedded default is a folder
    # beside the cache (below); DXPIA_DOCUMENTS_STORAGE names any storage class (e.g. django-storages'
    # "storages.backends.s3.S3Storage") and DXPIA_DOCUMENTS_OPTIONS its options as JSON.
    "documents": None,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The cache (rate limits) is a folder every worker process of one machine shares; rendered PDFs are
# kept in the "documents" storage, by default a folder inside it (the cache only ever counts, culls
# and clears its own *.djcache files).
CACHE_DIR = os.environ.get("DXPIA_CACHE_DIR") or str(VAR_DIR / "cache")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": CACHE_DIR,
        "OPTIONS": {"MAX_ENTRIES": envint("DXPIA_CACHE_MAX_ENTRIES", 2000)},
    }
}
STORAGES["documents"] = envstorage(
    "DXPIA_DOCUMENTS_STORAGE", "DXPIA_DOCUMENTS_OPTIONS",
    {"BACKEND": "django.core.files.storage.FileSystemStorage",
     # Residents' data: files and folders readable by the app's user only.
     "OPTIONS": {"location": os.path.join(CACHE_DIR, "documents"),
                 "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}})

# Reports rendered ahead (assessments/render_ahead.py): a change to what the documents print queues
# a render of both that runs once nothing more changed for RENDER_AHEAD_SECONDS; `manage.py
# render_worker` runs the queue (tasks are rows in the database: no broker). Tests use the dummy
# backend, which keeps what is queued and runs nothing.
RENDER_AHEAD = envbool("DXPIA_RENDER_AHEAD", True)
RENDER_AHEAD_SECONDS = envint("DXPIA_RENDER_AHEAD_SECONDS", 30)
if RENDER_AHEAD_SECONDS < 0:
    raise ImproperlyConfigured("DXPIA_RENDER_AHEAD_SECONDS must be 0 or more")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("DXPIA_SSL_REDIRECT", True)
    # A load balancer probes the health check over plain HTTP on the app server's own port.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("DXPIA_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# /healthz fails when the report worker has not been seen for this long (minutes).
WORKER_STALE_MINUTES = envint("DXPIA_WORKER_STALE_MINUTES", 10)
if WORKER_STALE_MINUTES < 1:
    raise ImproperlyConfigured("DXPIA_WORKER_STALE_MINUTES must be at least 1")

# Every line on stderr as key=value pairs (dxpia/log.py). dxpia's own loggers say what they do at
# INFO (dxpia.request: a line per request; dxpia.render: a line per PDF rendered, with its duration);
# everything else only from WARNING up. DXPIA_APP_LOG_LEVEL sets the first, DXPIA_LOG_LEVEL the second.
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def envloglevel(name: str, default: str) -> str:
    value = (os.environ.get(name) or default).strip().upper()
    if value not in _LOG_LEVELS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(sorted(_LOG_LEVELS))}, not {value!r}")
    return value


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"key_value": {"()": "dxpia.log.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "key_value"}},
    "root": {"handlers": ["console"], "level": envloglevel("DXPIA_LOG_LEVEL", "WARNING")},
    "loggers": {"dxpia": {"level": envloglevel("DXPIA_APP_LOG_LEVEL", "INFO")}},
}
