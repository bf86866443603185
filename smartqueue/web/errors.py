"""Error pages in the user's language; HTMX requests get a small fragment instead."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

log = logging.getLogger(__name__)


class BadLink(BadRequest):
    """A link that cannot be used as it is; its description, in the user's language,
    is shown (Werkzeug's and the limiter's are English and technical)."""


def _render(code: int, description: str | None = None):
    template = (
        "errors/_error.html"
        if request.headers.get("HX-Request")
        else "errors/error.html"
    )
    return render_template(template, code=code, description=description), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        from flask_babel import gettext as _

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

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s", request.path)
        from .. import extensions

        extensions.db.session.rollback()
        return _render(InternalServerError.code)
