"""Live screens: channels, a broker (Redis pub/sub or in-process), and the socket routes.

Publishing happens after commit, from whichever process made the change (web or worker);
every web process relays to the sockets it holds.
"""


def register_sockets(app) -> None:
    """Every live socket route, each on its own blueprint: flask-sock's default binds a
    route to the first app built, and tests (and each process) build their own."""
    from .board import bp as board
    from .counter import bp as counter
    from .kiosk import bp as kiosk
    from .ticket import bp as ticket

    for bp in (board, counter, kiosk, ticket):
        app.register_blueprint(bp)


def socket_path(endpoint: str, **values) -> str:
    """A socket's URL as a path: url_for() would make it absolute with ws://, and a path
    lets the browser pick ws or wss as the page was served (wss behind an HTTPS proxy)."""
    from urllib.parse import urlsplit

    from flask import url_for

    parts = urlsplit(url_for(endpoint, **values))
    return parts.path + (f"?{parts.query}" if parts.query else "")
