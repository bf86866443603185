"""Unbound extensions, bound to the app in create_app() (no import cycles), and the
app's Redis client (used by the jobs, the live sockets and /healthz alike)."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from sqlalchemy import MetaData

# Named constraints so that Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
sock = Sock()
babel = Babel()
# Keyed by default on request.remote_addr, which ProxyFix sets behind trusted proxies
# (web/limits.py holds the keys views name explicitly).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def get_redis() -> Redis | None:
    """The app's Redis client (one connection pool per process), or None in embedded mode
    (no REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("sq_redis")
    if client is None:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["sq_redis"] = client
    return client
