"""Devices (boards and kiosks) speaking for themselves: pairing and last contact.

No login. A screen being paired holds its secret in a cookie; a paired one holds it in its
link (the secret is its token), which is its key to report in.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time

from ...extensions import csrf, limiter
from ...queueing import pairing as pairing_ops
from ...queueing.devices import record_contact
from ..limits import client_address
from ..qr import qr_svg
from .links import device_link

bp = Blueprint("devices", __name__)

COOKIE = "sq_pairing"
COOKIE_SECONDS = 24 * 3600
REFRESH_SECONDS = 3
# A screen left waiting draws a new code every 15 minutes (4 an hour); a branch's Wi-Fi
# may hold a dozen screens being set up. Refreshes of a live request cost nothing.
STARTS = "40 per hour"
SOUNDS = {"on", "blocked"}


def _screen():
    """(paired device, waiting pairing) behind this screen's cookie, read once a request."""
    # On the request, not on g: an app context may outlive a request (tests push one).
    if "sq.pairing_screen" not in request.environ:
        secret = request.cookies.get(COOKIE)
        device = pairing_ops.get_paired_device(secret)
        waiting = None if device else pairing_ops.get_waiting_pairing(secret)
        request.environ["sq.pairing_screen"] = (secret, device, waiting)
    return request.environ["sq.pairing_screen"]


def _holds_a_request() -> bool:
    _secret, device, waiting = _screen()
    return device is not None or waiting is not None


def _address() -> str:
    return "pair:" + client_address()


@bp.get("/p")
def short():
    """The address typed on a TV's remote: as short as it can be."""
    return redirect(url_for(".pair"))


@bp.get("/pair")
@limiter.limit(STARTS, key_func=_address, exempt_when=_holds_a_request)
def pair():
    """Show this screen's pairing code until a manager claims it, then open its screen."""
    secret, device, waiting = _screen()
    if device is not None:
        response = redirect(device_link(device.kind, secret, external=False), 303)
        response.delete_cookie(COOKIE, path=url_for(".pair"))
        return _private(response)
    if waiting is None:
        if request.args.get("again") and secret is None:
            # A reload of ours came back without the cookie: this browser refuses
            # cookies, and a new code at each reload could never be typed in time.
            return _private(make_response(render_template("devices/no_cookies.html")))
        waiting, secret = pairing_ops.start_pairing()
    return _private(_show_code(waiting, secret))


def _show_code(waiting, secret: str):
    """The code, large, with its QR code; the secret goes back in the cookie."""
    response = make_response(
        render_template(
            "devices/pair.html",
            code=pairing_ops.format_code(waiting.code),
            expires_at=format_time(waiting.expires_at, "short"),
            refresh=REFRESH_SECONDS,
            again=url_for(".pair", again=1),
            qr=qr_svg(
                url_for("manage.pair_device", code=waiting.code, _external=True),
                "pair-qr-code",
            ),
        )
    )
    response.set_cookie(
        COOKIE,
        secret,
        # Outlives its code: a screen whose code expired is known by it, and given
        # a new code, while a reload without it means that cookies are refused.
        max_age=COOKIE_SECONDS,
        path=url_for(".pair"),
        secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.errorhandler(429)
def _too_many(error):
    """Too many codes drawn from this address: the screen says so and tries again later."""
    return _private(make_response(render_template("devices/pair_later.html"), 429))


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.post("/devices/<token>/report")
@csrf.exempt  # no session, no cookie: the link token in the URL is the credential
@limiter.exempt
def report(token: str):
    """A board or kiosk says it is alive (and whether its sound is blocked)."""
    sound = request.form.get("sound")
    if not record_contact(token, sound if sound in SOUNDS else None):
        abort(404)
    return "", 204
