"""Around every live socket: refuse pages of other sites where the session is used, and
end quietly (one warning line, a close code the page retries later) when Redis is away.

A browser sends the cookies of this site with a websocket opened by any page, on any
site: without the Origin check, a page elsewhere could watch a counter screen with an
agent's cookies, or read a CSRF token in a ticket's fragment.
"""

import functools
from urllib.parse import urlsplit

from flask import current_app, request
from redis.exceptions import RedisError
from simple_websocket import ConnectionClosed

POLICY = 1008  # a refusal: the page does not retry
INTERNAL_ERROR = 1011  # retried by the page
TRY_AGAIN_LATER = 1013  # retried by the page, with its back-off


def origin_allowed() -> bool:
    """The page that opened the socket is this site's (as the browser reached it:
    request.host honours ProxyFix), or one of WEBSOCKET_ALLOWED_ORIGINS."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser: no page of another site is behind it
        return True
    if origin.rstrip("/") in current_app.config.get("WEBSOCKET_ALLOWED_ORIGINS", ()):
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == (
        request.host.lower()
    )


def live_socket(name: str, uses_session: bool):
    """Wrap a socket handler (under @sock.route): the Origin check first if it uses the
    session, then its errors become close codes instead of tracebacks."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapped(ws, *args, **kwargs):
            log = current_app.logger
            if uses_session and not origin_allowed():
                log.warning(
                    "%s socket refused: origin %r is not this site",
                    name,
                    request.headers.get("Origin"),
                )
                ws.close(reason=POLICY, message="origin not allowed")
                return
            try:
                handler(ws, *args, **kwargs)
            except ConnectionClosed:
                raise
            except RedisError as error:
                # An outage, not a bug: one line, and the page comes back later and
                # gets a fresh snapshot.
                log.warning("%s socket closed, Redis unavailable: %s", name, error)
                ws.close(reason=TRY_AGAIN_LATER, message="live updates unavailable")
            except Exception:
                log.exception("%s socket failed", name)
                ws.close(reason=INTERNAL_ERROR)

        return wrapped

    return decorate
