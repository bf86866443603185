"""The web interface: blueprints per audience over the core."""

import logging

from flask import Flask, abort, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import IntegerConverter

from ..accounts.sessions import touch_session
from ..extensions import db
from ..work import begin_write
from .errors import BadLink
from .forms import has_control_characters
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


def _note_session_use(response):
    """Mark the sign-in as used (at most once a minute), if this request loaded it."""
    user = g.get("_login_user")  # set by Flask-Login only when something asked
    if getattr(user, "current_session", None) is not None:
        try:
            touch_session(user.current_session)
        except SQLAlchemyError as error:  # a busy database must not spoil the answer
            db.session.rollback()
            logging.getLogger(__name__).warning("sign-in not touched: %s", error)
    return response


def _refuse_control_characters_in_urls() -> None:
    """Text from a URL reaches the database (a ticket's token, a check-in link's
    ?token=), and PostgreSQL refuses NUL with an error: a path with control characters
    names nothing (404), a query with them is refused with a message (400)."""
    if has_control_characters(request.path):
        abort(404)
    if any(
        has_control_characters(key) or has_control_characters(value)
        for key, value in request.args.items(multi=True)
    ):
        raise BadLink(_("Ce lien contient des caractères non autorisés."))


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    from . import assets, errors, filters, security
    from .account.views import bp as account_bp
    from .agent.views import bp as agent_bp
    from .auth.views import bp as auth_bp
    from .board.views import bp as board_bp
    from .booking import bp as booking_bp
    from .customer import bp as customer_bp
    from .devices.views import bp as devices_bp
    from .health import bp as health_bp
    from .kiosk.views import bp as kiosk_bp
    from .manage.views import bp as manage_bp
    from .notifications import bp as notifications_bp
    from .payments import bp as payments_bp
    from .public.views import bp as public_bp

    assets.register(app)  # first, so that compression sees every other hook's answer
    for bp in (
        public_bp,
        auth_bp,
        account_bp,
        customer_bp,
        booking_bp,
        kiosk_bp,
        board_bp,
        devices_bp,
        agent_bp,
        manage_bp,
        notifications_bp,
        payments_bp,
        health_bp,
    ):
        app.register_blueprint(bp)
    errors.register(app)
    app.before_request(_refuse_control_characters_in_urls)
    app.before_request(_writes_take_the_write_lock)
    app.after_request(_note_session_use)
    filters.register(app)
    security.register(app)
