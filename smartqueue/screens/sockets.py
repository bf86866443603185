"""Where a page's live socket connects (the socket routes themselves are in realtime/)."""

from urllib.parse import urlsplit

from flask import url_for


def socket_path(endpoint: str, **values) -> str:
    """A socket's URL as a path: url_for() would make it absolute with ws://, and a path
    lets the browser pick ws or wss as the page was served (wss behind an HTTPS proxy)."""
    parts = urlsplit(url_for(endpoint, **values))
    return parts.path + (f"?{parts.query}" if parts.query else "")
