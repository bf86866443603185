"""A signed-in person's messages: the bell in the header (its count on every page, and
the fragment its socket asks for again), the list of in-app messages with the history
of what went out to them on the other channels, and marking messages read.

Only the person's own messages: every read and write here is by the signed-in user's id
(the notifications' queries and mark_read filter on it), never by an id from the URL.
"""

from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...models import Notification, NotificationStatus
from ...notifications import operations, queries
from ...notifications.recipients import REASONS
from ...screens.sockets import socket_path
from ..safety import acting_user, parse_id
from . import bp

# The reasons a message was not sent, as the history shows them to its recipient (kept
# in French on the message, for staff: notifications/recipients.py).
REASON_LABELS = {
    REASONS[key]: label
    for key, label in {
        "sms": _l("Les SMS ne sont pas encore envoyés."),
        "push": _l("Les notifications push ne sont pas encore envoyées."),
        "stop": _l("Vous avez arrêté ce canal."),
        "stale": _l("Plus d'actualité au moment de l'envoi."),
        "pace": _l("Trop de messages envoyés à ce numéro dans l'heure."),
        "no_address": _l("Adresse inconnue."),
    }.items()
}
# Whatever else a channel answered (a gateway's error, an exception) is for staff, who
# see it on the branch's page; the person is told what it means for them.
OTHER_REASON = {
    NotificationStatus.FAILED: _l("Le service d'envoi a refusé le message."),
    NotificationStatus.NOT_SENT: _l("Ce canal n'est pas disponible."),
}
READ_AT_ONCE = 200  # ids in one "mark read" form: more than a page shows


@bp.app_template_global()
def unread_notifications() -> int:
    """The bell's count for the signed-in person (base.html's header, on every page)."""
    if not current_user.is_authenticated:
        return 0
    return queries.count_unread(current_user.id)


@bp.app_template_global()
def bell_socket_path() -> str:
    return socket_path("inbox_socket.me")


def on_this_site(link: str | None) -> str | None:
    """A message's link as a path on the site the person is on: messages are written
    by jobs with the configured public address, and a link must never be javascript:."""
    if not link:
        return None
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def reason_shown(note: Notification) -> str | None:
    if note.reason is None:
        return None
    if note.reason in REASON_LABELS:
        return str(REASON_LABELS[note.reason])
    other = OTHER_REASON.get(note.status)
    return str(other) if other else None


@bp.get("/notifications")
@login_required
def inbox():
    me = current_user.id
    return render_template(
        "notifications/inbox.html",
        messages=queries.list_inbox(me),
        history=queries.list_history(me),
        on_this_site=on_this_site,
        reason_shown=reason_shown,
    )


@bp.get("/notifications/bell")
@login_required
def bell():
    """The header's bell alone, for the page whose socket said its count changed."""
    response = make_response(
        render_template(
            "notifications/_bell.html",
            bell_unread=queries.count_unread(current_user.id),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark the messages named by the form read (`ids`), or all of them (`all`)."""
    if request.form.get("all"):
        operations.mark_read(acting_user())
    else:
        ids = [parse_id(value) for value in request.form.getlist("ids")]
        ids = [i for i in ids if i is not None][:READ_AT_ONCE]
        if ids:
            operations.mark_read(acting_user(), ids)
    return redirect(url_for("notifications.inbox"), 303)
