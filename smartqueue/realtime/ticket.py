"""The live ticket page's socket: the ticket's token is the access, as for the page.

Registered on a blueprint rather than on sock's default: an app is built per test and per
process, and create_app registers this blueprint on each (see register_sockets).
"""

from flask import Blueprint

from ..extensions import sock
from ..queueing import queries
from ..screens.ticket import render_live_ticket
from . import channels
from .guard import POLICY, live_socket
from .relay import relay

bp = Blueprint("live_ticket", __name__)


# The ticket's fragment carries a CSRF token of the visitor's session (its cancel form)
# and is drawn in the session's language: the Origin is checked.
@sock.route("/ws/ticket/<token>", bp=bp)
@live_socket("ticket", uses_session=True)
def ticket_socket(ws, token: str):
    """Send the ticket now, then again each time it or its line moves."""
    ticket = queries.get_ticket_by_token(token)
    if ticket is None:
        ws.close(reason=POLICY, message="unknown ticket")  # not retried
        return
    # Kept open even once the ticket is over: a close from this side makes Werkzeug's
    # dev server write its HTTP response into the socket, which browsers take for a
    # broken connection, and the htmx ws extension then retries forever. A page loaded
    # for a finished ticket does not open a socket at all.
    relay(
        ws,
        [channels.ticket(token), channels.service(ticket.service_id)],
        snapshot=lambda: render_live_ticket(token),
        on_message=lambda _action: render_live_ticket(token),
    )
