"""Live screens: channels, a broker (Redis pub/sub or in-process), and the socket routes.

Publishing happens after commit, from whichever process made the change (web or worker);
every web process relays to the sockets it holds. What the sockets send is rendered by
smartqueue/screens/, which the web pages use too: this package never imports the web.
"""

from . import broadcasts  # noqa: F401 - its receivers publish urgent messages to boards
from .board import bp as board
from .counter import bp as counter
from .inbox import bp as inbox
from .kiosk import bp as kiosk
from .ticket import bp as ticket
from .today import bp as today


def register_sockets(app) -> None:
    """Every live socket route (create_app calls this), each on its own blueprint:
    flask-sock's default binds a route to the first app built, and tests (and each
    process) build their own."""
    for bp in (board, counter, inbox, kiosk, ticket, today):
        app.register_blueprint(bp)
