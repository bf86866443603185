"""Error pages in the user's language; HTMX requests get a small fragment instead."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


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
        # Our own abort(code, message) says why, in the user's language; Werkzeug's
        # default descriptions are English and technical.
        ours = error.description != type(error).description
        return _render(error.code, error.description if ours else None)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s", request.path)
        from .. import extensions

        extensions.db.session.rollback()
        return _render(InternalServerError.code)
