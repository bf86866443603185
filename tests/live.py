"""Listening to the live channels in tests, without waiting on the wall clock."""

import time

import pytest
from flask import current_app
from redis import Redis
from simple_websocket import Client, ConnectionClosed


def flush_new_tickets() -> None:
    """Publish the new tickets a request marked, now rather than when the coalescing
    timer (NEW_TICKETS_DELAY) fires."""
    pending = current_app.extensions.get("sq_new_tickets")
    if pending is not None:
        pending.flush_now()


def published_so_far(messages) -> list[str]:
    """Everything published so far on an in-process broker subscription: the broker
    delivers while publishing, so once the coalesced new tickets are flushed nothing is
    still on its way."""
    flush_new_tickets()
    return messages.drain()


def delivered(redis_url: str, seconds: float = 5.0) -> None:
    """Return once Redis has written every message published so far to its subscribers'
    sockets (no pub/sub client holds output), from where a subscription reads them
    without waiting. Normally true at the first look: Redis writes before it answers."""
    client = Redis.from_url(redis_url)
    deadline = time.monotonic() + seconds
    try:
        while any(
            int(c["omem"]) or int(c["obl"]) or int(c["oll"])
            for c in client.client_list(_type="pubsub")
        ):
            assert time.monotonic() < deadline, "Redis kept messages for subscribers"
    finally:
        client.close()


def refused_with(server, token: str, path: str = "board", tries: int = 3) -> int:
    """The close code of a socket that the server refuses before sending anything.

    Werkzeug's development server sometimes drops the connection before the client has
    read the close frame (the client then reports 1005, no status), more often on a
    loaded machine: a few tries, and the code must show on one of them (none fails)."""
    codes = []
    for _ in range(tries):
        url = server.url.replace("http://", "ws://") + f"/ws/{path}/{token}"
        ws = Client.connect(url)
        with pytest.raises(ConnectionClosed):  # nothing is ever sent
            ws.receive(timeout=5)
        codes.append(int(ws.close_reason))
        if codes[-1] != 1005:
            return codes[-1]


def wait_subscribed(server, channel: str) -> None:
    """Until a page's socket in the live server listens on `channel` (relay() subscribes
    right after its snapshot)."""
    import threading

    event = threading.Event()
    for _ in range(500):
        broker = server.extensions.get("sq_broker")
        if broker is not None and broker._subscribers.get(channel):
            return
        event.wait(0.01)
    raise AssertionError(f"nobody subscribed to {channel}")


def call_next_in(server, counter_id: int, agent_id: int) -> None:
    """An agent's call, made in the live server's app: it publishes to that server's
    sockets, and its notices' jobs run there (embedded mode)."""
    from smartqueue.extensions import db
    from smartqueue.models import Counter, User
    from smartqueue.queueing import operations

    with server.app_context():
        operations.call_next(
            db.session.get(Counter, counter_id), by=db.session.get(User, agent_id)
        )
        db.session.remove()
