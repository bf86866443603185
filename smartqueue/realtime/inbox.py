"""A signed-in person's own socket, /ws/me: the unread count of their bell, sent when the
socket opens and again each time it changes.

The core announces a change of the count (events.user_notified: an in-app message sent,
or some read) in whichever process made it, a web process or a worker; the receiver here
publishes a bare word on the person's channel, and every web process relays it to the
sockets that person holds open (a tab, a phone). Each socket then reads the count and
sends it as a number, and only when it differs from the one it sent last; the page
fetches its bell from /notifications/bell when the number is not the one it shows
(static/js/bell.js). The bell is the web's fragment: nothing is rendered here, as on the
kiosk's socket.

On a blueprint of its own, as the other sockets (see register_sockets).
"""

from flask import Blueprint
from flask_login import current_user

from .. import events
from ..extensions import sock
from ..notifications.queries import count_unread
from . import channels
from .broker import publish_many
from .guard import POLICY, live_socket
from .relay import relay

bp = Blueprint("inbox_socket", __name__)

# What the person's channel says: their count moved, whatever moved it.
NOTIFIED = "notified"


@events.user_notified.connect
def _on_user_notified(sender, user_ids: list[int], **_):
    publish_many([(channels.user(user_id), NOTIFIED) for user_id in user_ids])


class Bell:
    """What one socket last told its page: the unread count."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.sent: int | None = None

    def count(self, _messages=None) -> str:
        """The count now, or "" (nothing is sent) when the page already has it: a
        burst of messages comes to one read."""
        unread = count_unread(self.user_id)
        if unread == self.sent:
            return ""
        self.sent = unread
        return str(unread)


# The session is the access (the person's own count), so the Origin is checked: a page
# of another site must not learn whether someone signed in here has news.
@sock.route("/ws/me", bp=bp)
@live_socket("inbox", uses_session=True)
def me(ws):
    """Send the bell's count now, then each time it changes."""
    if not current_user.is_authenticated:
        ws.close(reason=POLICY, message="sign in")
        return
    bell = Bell(current_user.id)
    relay(
        ws,
        [channels.user(bell.user_id)],
        snapshot=bell.count,
        on_messages=bell.count,
    )
