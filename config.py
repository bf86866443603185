"""Configuration: the only place the environment is read.

Nothing configured = the embedded default (SQLite under instance/, jobs and live
events in the process, mail printed and saved under instance/mail/).
DATABASE_URL / REDIS_URL switch to PostgreSQL and Redis (production).
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
_INSTANCE = Path(os.environ.get("SMARTQUEUE_INSTANCE", BASE_DIR / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else 0


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{_INSTANCE / 'smartqueue.db'}"
    # Heroku-style URLs and plain postgresql:// both go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if os.environ.get("DATABASE_URL"):
        raise RuntimeError(
            "SECRET_KEY must be set in production (DATABASE_URL is set)."
        )
    # Embedded mode: one random key kept in instance/ so sessions survive restarts.
    _INSTANCE.mkdir(parents=True, exist_ok=True)
    path = _INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    PRODUCTION = bool(os.environ.get("DATABASE_URL"))
    INSTANCE_DIR = str(_INSTANCE)
    # The port `make run` serves on (the Makefile reads the same variable); `flask
    # seed-demo` prints the demo screens' links with it.
    PORT = os.environ.get("PORT", "5000")

    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUES = ["default"]
    # Seconds a job may run; a killed worker's job is retried about this + 5 s later.
    JOB_TIMEOUT = _count("JOB_TIMEOUT") or 30
    # "plain" for a terminal, "json" (one object a line) for a production log shipper.
    LOG_FORMAT = (
        "json" if os.environ.get("LOG_FORMAT", "").lower() == "json" else "plain"
    )
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()

    # An OSRM server's base URL (smartqueue/travel/osrm.py; "{profile}" in it reaches
    # one server per profile); None: the embedded estimator, no network.
    OSRM_URL = os.environ.get("OSRM_URL") or None

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None  # None = print and save
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "SmartQueue <no-reply@smartqueue.sn>"
    )
    MAIL_DIR = str(_INSTANCE / "mail")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("COOKIE_SECURE", PRODUCTION)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Africa/Dakar"
    LANGUAGES = ["fr", "wo", "en"]

    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Redis down: the counters move into each process's memory (one warning line) and
    # back to Redis once it answers again, instead of every limited form answering 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A dead or unreachable Redis costs a limited request at most half a second.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    RATELIMIT_HEADERS_ENABLED = True
    # Counted over the last N seconds, not per calendar window: a burst that straddles a
    # window's edge cannot pass twice the limit.
    RATELIMIT_STRATEGY = "moving-window"

    # How many reverse proxies in front of the app set X-Forwarded-* (0: none trusted,
    # the headers are ignored, so a client cannot pick its own address).
    PROXY_FIX_X_FOR = _count("PROXY_FIX_X_FOR")
    PROXY_FIX_X_PROTO = _count("PROXY_FIX_X_PROTO")
    PROXY_FIX_X_HOST = _count("PROXY_FIX_X_HOST")
    PROXY_FIX_X_PORT = _count("PROXY_FIX_X_PORT")
    PROXY_FIX_X_PREFIX = _count("PROXY_FIX_X_PREFIX")
    # Websockets that use the session accept pages from this site's own host, and these
    # origins (comma-separated, e.g. https://app.smartqueue.sn).
    WEBSOCKET_ALLOWED_ORIGINS = [
        o.strip().rstrip("/")
        for o in os.environ.get("WEBSOCKET_ALLOWED_ORIGINS", "").split(",")
        if o.strip()
    ]

    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"
    # Without Redis, the one process runs periodic jobs (ticket expiry) in a thread.
    EMBEDDED_SCHEDULER = _flag("EMBEDDED_SCHEDULER", True)

    # Where customers reach the site: links in emails, SMS and push sent by jobs.
    PUBLIC_URL = os.environ.get("PUBLIC_URL") or (
        f"http://localhost:{os.environ.get('PORT', '5000')}"
    )
    SMS_NUMBER = os.environ.get("SMS_NUMBER") or None  # customers write to ("21 21")
    # The shared secret the gateway signs inbound messages and delivery reports with.
    SMS_INBOUND_SECRET = os.environ.get("SMS_INBOUND_SECRET") or None
    # Messages a minute one number may send before it gets no more tickets.
    SMS_INBOUND_PER_MINUTE = _count("SMS_INBOUND_PER_MINUTE") or 5
    ORANGE_SMS_URL = os.environ.get("ORANGE_SMS_URL", "https://api.orange.com")
    ORANGE_SMS_CLIENT_ID = os.environ.get("ORANGE_SMS_CLIENT_ID") or None
    ORANGE_SMS_CLIENT_SECRET = os.environ.get("ORANGE_SMS_CLIENT_SECRET") or None
    ORANGE_SMS_SENDER = os.environ.get("ORANGE_SMS_SENDER") or None  # E.164
    ORANGE_SMS_SENDER_NAME = os.environ.get("ORANGE_SMS_SENDER_NAME") or None
    SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL") or None
    SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN") or None
    SMS_HTTP_SENDER = os.environ.get("SMS_HTTP_SENDER") or None
    SMS_DIR = str(_INSTANCE / "sms")
    SMS_COST_FCFA = _count("SMS_COST_FCFA") or 20  # per part, counted per organization
    # A number gets at most this many SMS an hour ("called" always goes); an
    # organization this many a day (0: no limit).
    SMS_PER_NUMBER_PER_HOUR = _count("SMS_PER_NUMBER_PER_HOUR") or 10
    SMS_PER_ORGANIZATION_PER_DAY = _count("SMS_PER_ORGANIZATION_PER_DAY")
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY") or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:contact@smartqueue.sn")
    # A push endpoint must be HTTPS (the server POSTs to it); only tests allow http://.
    PUSH_ALLOW_HTTP = False

    # Mobile money (smartqueue/payments/providers/): each provider is off until its
    # settings are whole (each adapter's docstring names them).
    WAVE_API_KEY = os.environ.get("WAVE_API_KEY") or None
    WAVE_WEBHOOK_SECRET = os.environ.get("WAVE_WEBHOOK_SECRET") or None
    WAVE_API_URL = os.environ.get("WAVE_API_URL") or None
    ORANGE_MONEY_CLIENT_ID = os.environ.get("ORANGE_MONEY_CLIENT_ID") or None
    ORANGE_MONEY_CLIENT_SECRET = os.environ.get("ORANGE_MONEY_CLIENT_SECRET") or None
    ORANGE_MONEY_MERCHANT_KEY = os.environ.get("ORANGE_MONEY_MERCHANT_KEY") or None
    ORANGE_MONEY_API_URL = os.environ.get("ORANGE_MONEY_API_URL") or None
    FREE_MONEY_API_URL = os.environ.get("FREE_MONEY_API_URL") or None
    FREE_MONEY_API_KEY = os.environ.get("FREE_MONEY_API_KEY") or None
    FREE_MONEY_WEBHOOK_SECRET = os.environ.get("FREE_MONEY_WEBHOOK_SECRET") or None
    # SmartQueue's details on its invoices (payments/invoices.py SELLER has placeholders):
    # INVOICE_SELLER_NAME, _ADDRESS, _NINEA, _RCCM, _EMAIL, _PHONE, each optional.
    INVOICE_SELLER = {
        field: os.environ[f"INVOICE_SELLER_{field.upper()}"]
        for field in ("name", "address", "ninea", "rccm", "email", "phone")
        if os.environ.get(f"INVOICE_SELLER_{field.upper()}")
    }
    # The payment simulator (smartqueue/paysim/), mounted at /paysim with the three
    # providers pointed at it when none is configured: the embedded mode's mobile money.
    # Unset: on for `make run`, off for tests (TESTING); never with DATABASE_URL.
    PAYMENT_SIMULATOR = (
        _flag("PAYMENT_SIMULATOR") if os.environ.get("PAYMENT_SIMULATOR") else None
    )

    # A period page that includes today counts today's tickets (analytics/facts.py) at
    # most once this many seconds per branch and process: a year's page of a large
    # organization stays fast, the live "today" page is the second-fresh one.
    ANALYTICS_TODAY_SECONDS = (
        _count("ANALYTICS_TODAY_SECONDS")
        if os.environ.get("ANALYTICS_TODAY_SECONDS")
        else 60
    )

    SOCK_SERVER_OPTIONS = {"ping_interval": 25}
    # New tickets reach boards and counter screens coalesced, this many seconds later.
    NEW_TICKETS_DELAY = 0.25

    def __init__(self) -> None:
        # Read lazily so that importing config never writes files.
        self.SECRET_KEY = _secret_key()
        # SMS (smartqueue/notifications/sms/): "orange", "http" (a generic gateway), or
        # "file" (printed and saved under instance/sms/: the embedded default). Nothing
        # in production until a provider is named. create_app turns SMS_ENABLED and
        # PUSH_ENABLED on from the settings it ends with.
        default_sms = None if self.PRODUCTION else "file"
        self.SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "").strip() or default_sms
