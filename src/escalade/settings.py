"""Settings, read from ESCALADE_* environment variables.

Defaults give a zero-setup install: SQLite in WAL mode under ./var (or $ESCALADE_HOME),
an in-memory channel layer, and a secret key generated once and kept in the home folder.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("ESCALADE_HOME", Path.cwd() / "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


def _secret_key() -> str:
    configured = os.environ.get("ESCALADE_SECRET_KEY")
    if configured:
        return configured
    if not DEBUG and _env_bool("ESCALADE_PRODUCTION", False):
        raise RuntimeError("ESCALADE_SECRET_KEY must be set when ESCALADE_PRODUCTION is on")
    # A key generated per installation, so no two installs share a default secret.
    key_file = HOME / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database(url: str | None) -> dict:
    parsed = urlparse(url or "")
    if not url or parsed.scheme == "sqlite":
        # sqlite:////absolute/path.sqlite3 names the file; the default lives in the home folder.
        path = (
            Path(unquote(parsed.path))
            if url and parsed.path not in ("", "/")
            else HOME / "escalade.sqlite3"
        )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
                # timeout instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so tests can start worker and server processes on it.
            "TEST": {"NAME": str(HOME / "test.sqlite3")},
        }
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise RuntimeError(f"ESCALADE_DATABASE_URL: unsupported scheme {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "escalade",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


DEBUG = _env_bool("ESCALADE_DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _env_list(
    "ESCALADE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _env_list("ESCALADE_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = os.environ.get("ESCALADE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "escalade.core",
    "escalade.accounts",
    "escalade.tickets",
    "escalade.sla",
    "escalade.routing",
    "escalade.escalation",
    "escalade.workspace",
    "escalade.mail",
    "escalade.knowledge",
    "escalade.portal",
    "escalade.feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "escalade.accounts.middleware.AgentPreferencesMiddleware",
    "escalade.portal.middleware.CustomerLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "escalade.urls"
ASGI_APPLICATION = "escalade.asgi.application"
WSGI_APPLICATION = "escalade.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalade.accounts.context_processors.actor",
            ],
        },
    },
]

DATABASES = {"default": _database(os.environ.get("ESCALADE_DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "login"
# Failed sign-ins allowed per username and per client address within the window.
LOGIN_RATE_LIMIT = int(os.environ.get("ESCALADE_LOGIN_RATE_LIMIT", "10"))
LOGIN_RATE_WINDOW_SECONDS = int(os.environ.get("ESCALADE_LOGIN_RATE_WINDOW", "900"))

# The customer portal (docs/portal.md).
# How long a sign-in link mailed to a customer stays valid (it works once).
MAGIC_LINK_TTL_SECONDS = int(os.environ.get("ESCALADE_MAGIC_LINK_TTL", "900"))
# A sign-in link to an unknown address makes a new customer on first use.
PORTAL_SIGNUP = _env_bool("ESCALADE_PORTAL_SIGNUP", True)
# Per customer within the window: new portal requests, and portal replies.
PORTAL_TICKET_LIMIT = int(os.environ.get("ESCALADE_PORTAL_TICKET_LIMIT", "10"))
PORTAL_MESSAGE_LIMIT = int(os.environ.get("ESCALADE_PORTAL_MESSAGE_LIMIT", "30"))
PORTAL_RATE_WINDOW_SECONDS = int(os.environ.get("ESCALADE_PORTAL_RATE_WINDOW", "3600"))
# Days a satisfaction survey mailed when a ticket is solved can be answered.
SURVEY_TTL_DAYS = int(os.environ.get("ESCALADE_SURVEY_TTL_DAYS", "30"))

LANGUAGES = [
    ("en", _("English")),
    ("nb", _("Norwegian Bokmål")),
    ("tr", _("Turkish")),
    ("it", _("Italian")),
    ("pl", _("Polish")),
    ("zh-hans", _("Simplified Chinese")),
]
# The site's language: for the command line, and for mail when nothing closer is known.
LANGUAGE_CODE = os.environ.get("ESCALADE_LANGUAGE", "en").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise RuntimeError(
        f"ESCALADE_LANGUAGE={LANGUAGE_CODE!r} is not one of {', '.join(dict(LANGUAGES))}"
    )
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("ESCALADE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = HOME / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

ATTACHMENT_MAX_BYTES = int(os.environ.get("ESCALADE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_ALLOWED_TYPES = _env_list(
    "ESCALADE_ATTACHMENT_TYPES",
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/json",
        "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/octet-stream",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("ESCALADE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REDIS_URL = os.environ.get("ESCALADE_REDIS_URL")
CHANNEL_LAYERS = {
    "default": (
        {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

EMAIL_BACKEND = os.environ.get(
    "ESCALADE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("ESCALADE_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("ESCALADE_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ESCALADE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ESCALADE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("ESCALADE_SMTP_TLS", False)
EMAIL_TIMEOUT = 30
EMAIL_FILE_PATH = HOME / "sent-mail"  # where the file backend (used by `escalade demo`) writes
DEFAULT_FROM_EMAIL = os.environ.get("ESCALADE_FROM_EMAIL", "support@escalade.localhost")

# The email channel (docs/mail.md).
# Our own addresses (besides DEFAULT_FROM_EMAIL, mailbox and team addresses): mail from them
# is never acknowledged, and never becomes a customer.
MAIL_OWN_ADDRESSES = [a.lower() for a in _env_list("ESCALADE_MAIL_OWN_ADDRESSES", [])]
# Per sender: more mails than this within the window go to quarantine instead of the queue.
MAIL_SENDER_LIMIT = int(os.environ.get("ESCALADE_MAIL_SENDER_LIMIT", "30"))
# Per sender: at most this many acknowledgements within the window (breaks auto-reply loops).
MAIL_ACK_LIMIT = int(os.environ.get("ESCALADE_MAIL_ACK_LIMIT", "3"))
MAIL_RATE_WINDOW_SECONDS = int(os.environ.get("ESCALADE_MAIL_RATE_WINDOW", "3600"))
# Send an acknowledgement with the ticket number when a mail opens a ticket.
MAIL_ACKNOWLEDGE = _env_bool("ESCALADE_MAIL_ACKNOWLEDGE", True)
# Parser limits: a larger mail or attachment goes to quarantine.
MAIL_MAX_MESSAGE_BYTES = int(os.environ.get("ESCALADE_MAIL_MAX_BYTES", str(25 * 1024 * 1024)))
MAIL_MAX_ATTACHMENT_BYTES = int(
    os.environ.get("ESCALADE_MAIL_MAX_ATTACHMENT_BYTES", str(ATTACHMENT_MAX_BYTES))
)
MAIL_MAX_ATTACHMENTS = int(os.environ.get("ESCALADE_MAIL_MAX_ATTACHMENTS", "50"))
# The ticket token in subjects, "[#1234]"; its first group captures the number.
MAIL_TICKET_TOKEN_PATTERN = os.environ.get("ESCALADE_MAIL_TOKEN_PATTERN", r"\[#(\d+)\]")
# How the token is written in the subjects we send; it must match the pattern above.
MAIL_TICKET_TOKEN_FORMAT = os.environ.get("ESCALADE_MAIL_TOKEN_FORMAT", "[#{number}]")
# Seconds between IMAP polls of each mailbox (escalade mail fetch, and the worker).
MAIL_POLL_INTERVAL_SECONDS = float(os.environ.get("ESCALADE_MAIL_POLL_INTERVAL", "60"))
# The SMTP/LMTP receiver refuses (552) mails larger than this; smaller ones over the parser
# limit are accepted and quarantined.
MAIL_SMTP_MAX_BYTES = int(os.environ.get("ESCALADE_MAIL_SMTP_MAX_BYTES", str(50 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ESCALADE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
