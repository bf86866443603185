"""Rate-limit keys: who a request counts against.

The client's address is `request.remote_addr`, which ProxyFix (create_app) sets from
X-Forwarded-For only when PROXY_FIX_X_FOR proxies are trusted: otherwise a client could
name any address it likes and dodge every limit.
"""

from flask import g, request

from ..accounts.secrets import keyed_hash


def client_address() -> str:
    """The address the request came from (the last trusted proxy's view of it)."""
    return request.remote_addr or "unknown"


def kiosk_link() -> str:
    """A kiosk's device link, hashed (the link's token is its secret): a kiosk is one
    shared touchscreen, whoever stands at it."""
    return "kiosk:" + keyed_hash(g.get("kiosk_token") or "")[:24]


def ticket_link() -> str:
    """A ticket's link, hashed (its token is the access to the ticket, like a kiosk's)."""
    return "ticket:" + keyed_hash((request.view_args or {}).get("token") or "")[:24]


def appointment_link() -> str:
    """An appointment, by its number (its pages are its customer's alone)."""
    return "appointment:" + str((request.view_args or {}).get("number") or "")[:40]
