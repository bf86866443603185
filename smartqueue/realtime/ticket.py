"""The live ticket page's socket: the ticket's token is the access, as for the page.

The page is drawn whole when the socket opens and when the ticket itself changes (its own
channel: called, passed, cancelled...). When only its line moves (the service's channel:
another ticket called, a new one ahead, the queue paused), the line is read once per change
for the whole process (shared.py) and this socket sends the parts of its page that changed,
or nothing: a few hundred bytes, no database read of its own.

Registered on a blueprint rather than on sock's default: an app is built per test and per
process, and create_app registers this blueprint on each (see register_sockets).
"""

from flask import Blueprint

from ..extensions import sock
from ..queueing import queries
from ..screens.ticket import read_line, render_live_ticket, render_moved
from . import channels
from .guard import POLICY, live_socket
from .relay import relay
from .shared import once_per_change

bp = Blueprint("live_ticket", __name__)


class TicketPage:
    """What one open page shows, and what to send it after each batch of messages."""

    def __init__(self, token: str):
        self.token = token
        self.shown = None

    def draw(self) -> str:
        html, self.shown = render_live_ticket(self.token)
        return html

    def on_messages(self, messages: list[str]) -> str:
        if self.shown is None:  # the ticket is gone: nothing more to show
            return ""
        line_changes = [m for m in messages if channels.is_stamped(m)]
        if len(line_changes) < len(messages):  # the ticket itself changed
            return self.draw()
        service_id = self.shown.service_id
        line = once_per_change(
            ("line", service_id, line_changes[-1]), lambda: read_line(service_id)
        )
        moved = render_moved(self.token, self.shown, line) if line else None
        if moved is None:
            return self.draw()
        html, self.shown = moved
        return html


# The ticket's fragment carries a CSRF token of the visitor's session (its cancel form)
# and is drawn in the session's language: the Origin is checked.
@sock.route("/ws/ticket/<token>", bp=bp)
@live_socket("ticket", uses_session=True)
def ticket_socket(ws, token: str):
    """Send the ticket now, then what changes of it as it or its line moves."""
    ticket = queries.get_ticket_by_token(token)
    if ticket is None:
        ws.close(reason=POLICY, message="unknown ticket")  # not retried
        return
    # Kept open even once the ticket is over: a close from this side makes Werkzeug's
    # dev server write its HTTP response into the socket, which browsers take for a
    # broken connection, and the htmx ws extension then retries forever. A page loaded
    # for a finished ticket does not open a socket at all.
    page = TicketPage(token)
    relay(
        ws,
        [channels.ticket(token), channels.service(ticket.service_id)],
        snapshot=page.draw,
        on_messages=page.on_messages,
    )
