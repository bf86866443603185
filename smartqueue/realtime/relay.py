"""The body of every live socket: send the current state, then relay until the client goes.

Handlers stay thin: they authenticate, then call relay(). They never write to the database,
and they end their read transaction after each render (a long-lived session would pin an
old snapshot, and on SQLite hold up nothing but still see nothing new).
"""

from collections.abc import Callable

from ..extensions import db
from .broker import get_broker


def relay(
    ws,
    channels: list[str],
    snapshot: Callable[[], str],
    on_message: Callable[[str], str | None] | None = None,
) -> None:
    """Send snapshot(); then for each message published on `channels`, send
    on_message(message) (or the message itself, already rendered) while the client is there.

    Subscribed before the snapshot is read, so that nothing published in between is lost.
    on_message re-renders from the database, so messages that queued up meanwhile are
    skipped: one render shows them all (a busy branch would otherwise put the screen
    behind by one render per change). Messages that come rendered (the board's) are all
    forwarded: each one counts (the announcement of a call)."""
    with get_broker().subscribe(channels) as messages:
        try:
            ws.send(snapshot())
        finally:
            db.session.remove()
        for message in messages:
            if not ws.connected:
                break
            if (
                message is None
            ):  # a quiet second: loop to check the client is still there
                continue
            if on_message is not None:
                message = (messages.drain() or [message])[-1]
            try:
                out = on_message(message) if on_message is not None else message
            finally:
                db.session.remove()
            if out:
                ws.send(out)
