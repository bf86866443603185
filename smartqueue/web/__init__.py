"""The web interface: blueprints per audience over the core."""

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from ..extensions import db
from ..models import begin_write
from .safety import MAX_ID


class IdConverter(IntegerConverter):
    """<int:...> in URLs, bounded so a huge number is a 404, not a database overflow."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _writes_take_the_write_lock() -> None:
    """A form post reads then writes: on SQLite it holds the write lock from the start."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        begin_write(db.session)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    from ..realtime import register_sockets
    from . import errors, filters, security
    from .account.views import bp as account_bp
    from .agent.views import bp as agent_bp
    from .auth.views import bp as auth_bp
    from .board.views import bp as board_bp
    from .booking import bp as booking_bp
    from .customer import bp as customer_bp
    from .health import bp as health_bp
    from .kiosk.views import bp as kiosk_bp
    from .manage.views import bp as manage_bp
    from .public.views import bp as public_bp

    for bp in (
        public_bp,
        auth_bp,
        account_bp,
        customer_bp,
        booking_bp,
        kiosk_bp,
        board_bp,
        agent_bp,
        manage_bp,
        health_bp,
    ):
        app.register_blueprint(bp)
    register_sockets(app)
    errors.register(app)
    app.before_request(_writes_take_the_write_lock)
    filters.register(app)
    security.register(app)
