"""Error pages in the user's language; HTMX requests (not boosted ones) get a small
fragment instead."""

import logging

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)

from .. import extensions, logs
from .htmx import is_htmx

log = logging.getLogger(__name__)


class BadLink(BadRequest):
    """A link that cannot be used as it is; its description, in the user's language,
    is shown (Werkzeug's and the limiter's are English and technical)."""


def _render(code: int, description: str | None = None):
    # A boosted link or form (hx-boost) swaps the whole body: it gets the whole page.
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    page = render_template(
        template, code=code, description=description, request_id=logs.request_id()
    )
    return page, code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _render(
            400, _("Le formulaire a expiré. Rechargez la page et réessayez.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return _render(
            error.code, error.description if isinstance(error, BadLink) else None
        )

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError):
        # The database is restarting, unreachable or (SQLite) busy: nothing was
        # written, and the page says to try again rather than that something broke.
        log.warning("database unavailable on %s: %s", request.path, error.orig)
        _forget_the_user()
        try:
            extensions.db.session.rollback()
        except SQLAlchemyError:
            pass
        return _render(
            ServiceUnavailable.code,
            _(
                "Le service est momentanément indisponible. Rien n'a été perdu : "
                "réessayez dans un instant."
            ),
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s", request.path)
        extensions.db.session.rollback()
        return _render(InternalServerError.code)


def _forget_the_user() -> None:
    """Draw the error page as for a visitor: who is signed in is read from the database,
    which is what failed (Flask-Login keeps the request's user in g._login_user)."""
    g._login_user = extensions.login_manager.anonymous_user()
