"""The live ticket page's socket: the ticket's token is the access, as for the page.

The page is drawn whole when the socket opens and when the ticket itself changes (its own
channel: called, passed, cancelled...). When only its line moves (the service's channel:
another ticket called, a new one ahead, the queue paused), the line's watch (lines.py)
reads the line once for the whole process and works out what this page must be sent: the
parts of it that changed, or nothing (the socket is then not even woken). A few hundred
bytes, no database read of its own.

Registered on a blueprint rather than on sock's default: an app is built per test and per
process, and create_app registers this blueprint on each (see register_sockets).
"""

import math
import time
from dataclasses import dataclass

from flask import Blueprint

from ..extensions import sock
from ..queueing import queries
from ..screens.ticket import Shown, render_live_ticket, render_moved
from . import channels
from .guard import POLICY, live_socket
from .lines import Reading, line_watches
from .relay import relay

bp = Blueprint("live_ticket", __name__)


@dataclass(frozen=True)
class Moved:
    """What a reading of the line makes of one page, worked out by the line's watch:
    `html` turns `based_on` into `shown` (None: draw the page whole)."""

    reading: Reading
    based_on: Shown | None
    html: str | None = None
    shown: Shown | None = None


class TicketPage:
    """What one open page shows, and what to send it: after its own ticket's messages
    (in its socket), and after its line's moves (in the line's watch, then its socket)."""

    def __init__(self, token: str):
        self.token = token
        self.shown: Shown | None = None
        # When the last whole drawing began (time.monotonic): a reading of the line that
        # began before it shows nothing newer.
        self.drawn_at = -math.inf
        self.drawing = False

    def draw(self) -> str:
        self.drawing = True
        started = time.monotonic()
        try:
            html, self.shown = render_live_ticket(self.token)
        finally:
            self.drawing = False
        self.drawn_at = started
        return html

    def line_moved(self, reading: Reading) -> Moved | None:
        """In the watch's thread: what this page must be sent, None for nothing."""
        shown = self.shown
        if shown is None or reading.started < self.drawn_at:
            return None
        if self.drawing or reading.line is None:  # its socket works it out
            return Moved(reading, None)
        moved = render_moved(self.token, shown, reading.line)
        if moved is None:  # it left the line: drawn whole
            return Moved(reading, shown)
        html, new = moved
        if not html:
            return None
        return Moved(reading, shown, html, new)

    def on_messages(self, messages: list) -> str:
        """In the socket: a batch of its own ticket's messages (str) and of what the
        watch handed it (Moved), oldest first."""
        if self.shown is None:  # the ticket is gone: nothing more to show
            return ""
        if any(isinstance(m, str) for m in messages):  # the ticket itself changed
            return self.draw()
        latest = messages[-1]
        if latest.reading.started < self.drawn_at:
            return ""
        if latest.based_on is self.shown and latest.html is not None:
            self.shown = latest.shown
            return latest.html
        # Worked out for what the page showed before (or while it was drawn): again,
        # for what it shows now.
        line = latest.reading.line
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
    watches = line_watches()
    try:
        relay(
            ws,
            [channels.ticket(token)],
            snapshot=page.draw,
            on_messages=page.on_messages,
            on_subscribed=lambda subscription: watches.join(
                page, ticket.service_id, subscription.deliver
            ),
        )
    finally:
        watches.leave(page, ticket.service_id)
