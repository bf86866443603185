"""SmartQueue: queue management for Senegal's banks, hospitals, prefectures and shops."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def _channels_from_settings(app: Flask) -> None:
    """SMS and push are on where their settings are whole (after the overrides): a
    provider named without its settings stops the start, saying what is missing."""
    from .notifications.sms import gateway_from_config

    config = app.config
    config["SMS_ENABLED"] = gateway_from_config(config) is not None
    config["PUSH_ENABLED"] = bool(
        config.get("VAPID_PRIVATE_KEY") and config.get("VAPID_PUBLIC_KEY")
    )


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: the only place one is made (wsgi.py, the CLI and tests call this)."""
    from config import Config

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=Config.INSTANCE_DIR,
    )
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "smartqueue" / "translations")
    )
    _channels_from_settings(app)
    _mount_payment_simulator(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    proxies = {
        key: app.config.get(f"PROXY_FIX_X_{key.upper()}", 0)
        for key in ("for", "proto", "host", "port", "prefix")
    }
    if any(proxies.values()):  # X-Forwarded-* believed only from configured proxies
        from werkzeug.middleware.proxy_fix import ProxyFix

        trusted = {f"x_{key}": count for key, count in proxies.items()}
        app.wsgi_app = ProxyFix(app.wsgi_app, **trusted)

    from . import logs

    logs.configure(app)  # first: its hooks time and tag every request
    _init_extensions(app)

    # Imported here, not at the top of the package: every `import smartqueue.<module>`
    # runs this file first, and importing the core (a job, a migration, a test) must not
    # pull the three interfaces in with it. The layer test allows these.
    from . import cli
    from .realtime import (
        publishers,  # noqa: F401  (connects the live channels to the engine)
        register_sockets,
    )
    from .web import register_web

    register_web(app)
    register_sockets(app)
    cli.register(app)
    if app.config.get("EMBEDDED_SCHEDULER") and not app.config.get("REDIS_URL"):
        _start_scheduler_on_first_request(app)
    return app


# Any of these set: a real provider is configured, and the simulator stays out.
PROVIDER_SETTINGS = ("WAVE_API_KEY", "ORANGE_MONEY_CLIENT_ID", "FREE_MONEY_API_URL")


def _mount_payment_simulator(app: Flask) -> None:
    """The embedded mode's mobile money: the payment simulator served by this process
    under /paysim, and the three adapters pointed at it over HTTP (the server must have
    threads: a payment's request calls the simulator on the same server). Its secrets
    are made for this run; never in production (DATABASE_URL), nor beside a real
    provider's settings."""
    config = app.config
    wanted = config.get("PAYMENT_SIMULATOR")
    if wanted is None:
        wanted = not app.testing
    configured = any(config.get(name) for name in PROVIDER_SETTINGS)
    if not wanted or config.get("PRODUCTION") or configured:
        return
    import secrets

    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from .paysim import create_simulator

    here = f"http://127.0.0.1:{config['PORT']}"
    accounts = {
        "WAVE_API_KEY": "wave_sn_demo_" + secrets.token_hex(8),
        "WAVE_WEBHOOK_SECRET": "wave_sn_WHS_" + secrets.token_hex(16),
        "ORANGE_MONEY_CLIENT_ID": "demo-client",
        "ORANGE_MONEY_CLIENT_SECRET": secrets.token_hex(16),
        "ORANGE_MONEY_MERCHANT_KEY": secrets.token_hex(8),
        "FREE_MONEY_API_KEY": secrets.token_hex(16),
        "FREE_MONEY_WEBHOOK_SECRET": secrets.token_hex(16),
    }
    simulator = create_simulator(
        {**accounts, "WAVE_WEBHOOK_URL": here + "/hooks/payments/wave"}
    )
    config.update(
        accounts,
        WAVE_API_URL=here + "/paysim/wave",
        ORANGE_MONEY_API_URL=here + "/paysim/orange-money",
        FREE_MONEY_API_URL=here + "/paysim/free-money",
        PAYMENT_SIMULATOR_URL=here + "/paysim",
    )
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/paysim": simulator})


def _start_scheduler_on_first_request(app: Flask) -> None:
    """Embedded mode runs its periodic jobs in a thread, started by the server (not by
    `flask db upgrade` or other commands that build an app too)."""
    started = []

    @app.before_request
    def _start():
        if not started:
            from .jobs.schedule import start_embedded

            started.append(start_embedded(app))


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (mappers configured before first use)
    from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate, sock
    from .web.i18n import select_locale

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    mail.init_app(app)
    sock.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=lambda: "Africa/Dakar"
    )
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Connectez-vous pour continuer.")

    from .accounts.sessions import load_session_user

    # "<user id>:<session token>" from the session or remember cookie: a sign-in that was
    # revoked (sign-out, password change or reset) or never existed is anonymous.
    login_manager.user_loader(load_session_user)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)


def _tune_sqlite(engine: Engine) -> None:
    """Make SQLite safe for concurrent writers: WAL, a busy timeout, our own BEGIN.

    Reads begin DEFERRED (in WAL they never block anyone); a unit of work that reads then
    writes asks for BEGIN IMMEDIATE through begin_write(), so that two writers never act on
    the same snapshot (measured: 2 processes x 200 "take the next number" lost 177 of
    400 under pysqlite's own transactions, none with BEGIN IMMEDIATE + WAL).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
