"""Web push on the web side: the service worker (served from the site's root so that it
may control every page), and a signed-in customer's browser subscribing or not.

The subscribe button (templates/notifications/_push_toggle.html, static/js/push.js)
posts JSON with fetch and the CSRF token in X-CSRFToken, as htmx does; answers are JSON
({"error": message} on a refusal, in the user's language), never a page.
"""

import re

from flask import current_app, jsonify, make_response, request
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import DomainError
from ...notifications import operations as notifications
from ..forms import has_control_characters
from ..safety import acting_user
from . import bp

# A browser's keys in base64url (p256dh: a 65-byte point, 87 characters; auth: 16 bytes,
# 22), no longer than the model keeps them: operations cut what is longer, and a cut
# key would never work.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_LONGEST_KEYS = (200, 100)
# The User-Agent's words that name a phone's system and browser, for the preferences
# page's list of subscribed browsers ("Chrome · Android").
_SYSTEMS = ("Android", "iPhone", "iPad", "KAIOS", "Windows", "Mac OS X", "Linux")
_BROWSERS = (
    ("SamsungBrowser", "Samsung Internet"),
    ("OPR/", "Opera"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)


@bp.get("/sw.js")
def service_worker():
    # From the root, not /static/: a worker controls only pages under its own path. Never
    # cached as a static file is: a new worker must reach phones with the next deploy.
    asset = current_app.extensions["sq_assets"]["sw.js"]
    response = make_response(asset.body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/push/subscribe")
def push_subscribe():
    if not current_user.is_authenticated:
        return _refuse(_("Connectez-vous pour recevoir les notifications."), 401)
    data = request.get_json(silent=True)
    keys = data.get("keys") if isinstance(data, dict) else None
    fields = (
        (data.get("endpoint"), keys.get("p256dh"), keys.get("auth"))
        if isinstance(keys, dict)
        else ()
    )
    if len(fields) != 3 or not all(map(_is_text, fields)):
        return _refuse(_("Abonnement push invalide."), 400)
    for key, longest in zip(fields[1:], _LONGEST_KEYS, strict=True):
        if len(key) > longest or not _BASE64URL.fullmatch(key):
            return _refuse(_("Abonnement push invalide."), 400)
    try:
        notifications.subscribe_push(
            acting_user(), *fields, device=_device(request.user_agent.string)
        )
    except DomainError as error:
        return _refuse(str(error.message), 400)
    return jsonify(subscribed=True), 201


@bp.post("/push/unsubscribe")
def push_unsubscribe():
    if not current_user.is_authenticated:
        return _refuse(_("Connectez-vous pour recevoir les notifications."), 401)
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not _is_text(endpoint):
        return _refuse(_("Abonnement push invalide."), 400)
    forgotten = notifications.unsubscribe_push(acting_user(), endpoint)
    return jsonify(subscribed=False, forgotten=forgotten)


def _is_text(value) -> bool:
    # NUL reaches no database (PostgreSQL refuses it with an error, not a 400).
    return isinstance(value, str) and bool(value) and not has_control_characters(value)


def _refuse(message: str, status: int):
    return jsonify(error=message), status


def _device(user_agent: str) -> str | None:
    system = next((s for s in _SYSTEMS if s in user_agent), None)
    browser = next((name for word, name in _BROWSERS if word in user_agent), None)
    return " · ".join(n for n in (browser, system) if n) or None
