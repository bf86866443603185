"""The body of every live socket: send the current state, then relay until the client goes.

Handlers stay thin: they authenticate, then call relay(). They never write to the database,
and they end their read transaction after each render (a long-lived session would pin an
old snapshot, and on SQLite hold up nothing but still see nothing new).
"""

from collections.abc import Callable

from ..extensions import db
from .broker import Subscription, get_broker


class _WakeOnClose:
    """Stands in for a simple-websocket socket's event, which its reader thread sets when
    the client goes (and when a message comes in): setting it also wakes the socket's
    subscription, so that relay() notices a closed client at once, without polling."""

    def __init__(self, event, subscription: Subscription):
        self._event = event
        self._subscription = subscription

    def set(self) -> None:
        self._event.set()
        self._subscription.wake()

    def __getattr__(self, name):
        return getattr(self._event, name)


def _wake_on_close(ws, subscription: Subscription) -> None:
    event = getattr(ws, "event", None)
    if event is not None and hasattr(event, "set"):
        ws.event = _WakeOnClose(event, subscription)


def relay(
    ws,
    channels: list[str],
    snapshot: Callable[[], str],
    on_messages: Callable[[list], str | None] | None = None,
    on_subscribed: Callable[[Subscription], None] | None = None,
) -> None:
    """Send snapshot(); then for each message published on `channels`, send
    on_messages(messages) (or the message itself, already rendered) while the client is
    there.

    Subscribed before the snapshot is read, so that nothing published in between is lost.
    on_messages re-renders from the current state, so messages that queued up meanwhile
    come to it together, oldest first: one render shows them all (a busy branch would
    otherwise put the screen behind by one render per change). Its "" or None sends
    nothing. Messages that come rendered (the board's) are all forwarded: each one counts
    (the announcement of a call).

    on_subscribed(subscription) runs once subscribed, before the snapshot: a socket
    whose page others compute for (a ticket's line watch) joins them there, and what
    they deliver to the subscription comes to on_messages in order with the messages.

    The loop sleeps while nothing is published: the socket's reader wakes it when the
    client goes (see _WakeOnClose); broker.IDLE_WAKE is the safety net."""
    with get_broker().subscribe(channels) as messages:
        _wake_on_close(ws, messages)
        if on_subscribed is not None:
            on_subscribed(messages)
        try:
            ws.send(snapshot())
        finally:
            db.session.remove()
        for message in messages:
            if not ws.connected:
                break
            if message is None:  # woken (the client may have gone), or a quiet while
                continue
            try:
                if on_messages is not None:
                    out = on_messages([message, *messages.drain()])
                else:
                    out = message
            finally:
                if db.session.registry.has():  # most messages are answered without it
                    db.session.remove()
            if out:
                ws.send(out)
