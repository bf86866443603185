"""Publish/subscribe: Redis pub/sub with REDIS_URL, else a broker inside this process.

A subscription is an iterator of messages (str). It also yields None when it is woken
(wake(): the socket loop asks for it when its client goes) and after IDLE_WAKE quiet
seconds, so that the socket loop can look whether its client is still there.

With Redis, a web process holds ONE pub/sub connection, whatever the number of its open
sockets: a listener (a thread, a greenlet under gunicorn's gevent worker) reads it and
hands each message to the local subscribers' queues, as the in-process broker does. A
channel is subscribed on Redis when its first local subscriber comes, unsubscribed when
its last one goes; the connection is opened by the first subscription and closed with
the last one (an idle process holds none).
"""

import os
import queue
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator

from flask import current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..extensions import get_redis

# A socket loop is woken when its client goes (relay() asks for it); this rare wake-up is
# only the safety net for a client that cannot say so. simple-websocket pings every 25 s
# (SOCK_SERVER_OPTIONS) and marks a silent client gone at the next ping: by then this
# loop has looked again.
IDLE_WAKE = 30.0

# How long subscribe() waits for Redis to confirm a channel (normally a round trip).
CONFIRM_TIMEOUT = 5.0


class Inbox:
    """A subscription's queue (one reader, any number of writers): a deque and an event,
    because a change wakes every socket that listens, and queue.Queue takes several locks
    for each message put and got."""

    def __init__(self):
        self._items: deque = deque()
        self._ready = threading.Event()

    def put(self, item) -> None:
        self._items.append(item)
        self._ready.set()

    def get(self, timeout: float):
        """The oldest item; queue.Empty after `timeout` seconds without one."""
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                pass
            self._ready.clear()
            if self._items:  # put between the popleft and the clear
                continue
            if not self._ready.wait(timeout):
                raise queue.Empty

    def get_nowait(self):
        try:
            return self._items.popleft()
        except IndexError:
            raise queue.Empty from None


class Subscription:
    """Messages published on some channels since subscribe(), in order."""

    def __init__(self, inbox: Inbox, close: Callable[[], None]):
        self._inbox = inbox
        self._messages = self._read()
        self.close = close

    def _read(self) -> Iterator[str | None]:
        while True:
            try:
                item = self._inbox.get(timeout=IDLE_WAKE)
            except queue.Empty:
                item = None
            if isinstance(item, Exception):  # the listener lost Redis
                raise item
            yield item

    def drain(self) -> list:
        """The messages (and deliveries) already received and not yet read, without
        waiting."""
        found = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return found
            if isinstance(item, Exception):
                raise item
            if item is not None:
                found.append(item)

    def wake(self) -> None:
        """Make the iterator yield None now (from any thread)."""
        self._inbox.put(None)

    def deliver(self, item) -> None:
        """Hand the reader something of this process's own, in order with the messages
        (from any thread): what a line's watch computed for this socket's page."""
        self._inbox.put(item)

    def __iter__(self):
        return self._messages

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalBroker:
    """Embedded mode: one process, so a dict of subscriber queues is the whole bus."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Inbox]] = defaultdict(set)

    def publish_many(self, messages: list[tuple[str, str]]) -> None:
        for channel, message in messages:
            self.publish(channel, message)

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for target in targets:
            target.put(message)

    def subscribe(self, channels: list[str]) -> Subscription:
        inbox = Inbox()
        with self._lock:
            for channel in channels:
                self._subscribers[channel].add(inbox)

        def close():
            with self._lock:
                for channel in channels:
                    self._subscribers[channel].discard(inbox)

        return Subscription(inbox, close)


class _Pending:
    """A SUBSCRIBE sent, until Redis confirms it (or the connection is lost)."""

    def __init__(self):
        self.done = threading.Event()
        self.error: Exception | None = None

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisBroker:
    """Publishes with `client`; listens on one connection made by `connect()` (a new,
    unconnected redis Connection) for all of this process's subscriptions."""

    def __init__(self, client, connect: Callable[[], object]):
        self.client = client
        self._connect = connect
        self._lock = threading.Lock()
        # channel -> the local subscribers' queues (a channel is here iff subscribed)
        self._subscribers: dict[str, set[Inbox]] = {}
        # channel -> its SUBSCRIBEs not confirmed yet, in the order they were sent
        self._pending: dict[str, deque[_Pending]] = {}
        self._conn = None
        self._pid = os.getpid()

    def publish(self, channel: str, message: str) -> None:
        self.client.publish(channel, message)

    def publish_many(self, messages: list[tuple[str, str]]) -> None:
        """In one round trip (a pipeline, not a transaction: each is independent)."""
        if len(messages) == 1:
            self.client.publish(*messages[0])
            return
        with self.client.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            pipe.execute()

    def subscribe(self, channels: list[str]) -> Subscription:
        """Returns once Redis has confirmed every channel: nothing published after this
        returns is missed. Raises RedisError when Redis cannot be reached."""
        inbox = Inbox()
        wanted = list(dict.fromkeys(channels))
        with self._lock:
            conn = self._connection()
            new = [c for c in wanted if c not in self._subscribers]
            for channel in wanted:
                self._subscribers.setdefault(channel, set()).add(inbox)
            for channel in new:
                self._pending.setdefault(channel, deque()).append(_Pending())
            # Confirmed channels need no wait; a channel another socket subscribed a
            # moment ago is waited for like a new one.
            waits = [self._pending[c][-1] for c in wanted if self._pending.get(c)]
            if new:
                try:
                    conn.send_command("SUBSCRIBE", *new, check_health=False)
                except Exception as error:
                    self._lose(conn, error)
                    raise RedisConnectionError(
                        f"could not subscribe: {error}"
                    ) from None
        subscription = Subscription(inbox, lambda: self._leave(inbox, wanted))
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        for pending in waits:
            if not pending.done.wait(max(deadline - time.monotonic(), 0)):
                subscription.close()
                raise RedisTimeoutError("Redis did not confirm the subscription")
            if pending.error is not None:
                subscription.close()
                raise RedisConnectionError(f"Redis lost: {pending.error}")
        return subscription

    def _connection(self):
        """The listening connection, opened (and its listener started) if there is none.
        Under the lock."""
        if (
            self._pid != os.getpid()
        ):  # a forked child: its parent's state is not its own
            self._pid, self._conn = os.getpid(), None
            self._subscribers.clear()
            self._pending.clear()
        if self._conn is None:
            conn = self._connect()
            conn.connect()
            self._conn = conn
            listener = threading.Thread(
                target=self._listen,
                args=(conn,),
                name="sq-broker-listener",
                daemon=True,
            )
            listener.start()
        return self._conn

    def _listen(self, conn) -> None:
        """Read the connection until it is closed or lost; hand each message over."""
        while True:
            try:
                response = conn.read_response()
                kind = _text(response[0])
            except Exception as error:  # lost, or closed by _leave()
                with self._lock:
                    if self._conn is conn:
                        self._lose(conn, error)
                return
            if kind == "message":
                channel, message = _text(response[1]), _text(response[2])
                with self._lock:
                    targets = list(self._subscribers.get(channel, ()))
                for target in targets:
                    target.put(message)
            elif kind == "subscribe":
                with self._lock:
                    waiting = self._pending.get(_text(response[1]))
                    if waiting:
                        waiting.popleft().done.set()
                        if not waiting:
                            del self._pending[_text(response[1])]

    def _lose(self, conn, error: Exception) -> None:
        """Redis is gone: every subscription ends with an error (its socket closes, and
        the page comes back later for a fresh snapshot). Under the lock."""
        self._conn = None
        inboxes = {inbox for found in self._subscribers.values() for inbox in found}
        for inbox in inboxes:
            inbox.put(RedisConnectionError(f"Redis lost: {error}"))
        for waiting in self._pending.values():
            for pending in waiting:
                pending.fail(error)
        self._subscribers.clear()
        self._pending.clear()
        try:
            conn.disconnect()
        except Exception:
            pass

    def _leave(self, inbox: Inbox, channels: Iterable[str]) -> None:
        with self._lock:
            gone = []
            for channel in channels:
                found = self._subscribers.get(channel)
                if found is None:
                    continue
                found.discard(inbox)
                if not found:
                    del self._subscribers[channel]
                    gone.append(channel)
            conn = self._conn
            if conn is None or not gone:
                return
            if (
                not self._subscribers
            ):  # the last one: an idle process holds no connection
                self._conn = None
                self._pending.clear()
                conn.disconnect()  # the listener ends
                return
            try:
                conn.send_command("UNSUBSCRIBE", *gone, check_health=False)
            except Exception as error:
                self._lose(conn, error)


def get_broker():
    """The app's broker: Redis when configured, else the in-process one."""
    broker = current_app.extensions.get("sq_broker")
    if broker is None:
        client = get_redis()
        if client is None:
            broker = LocalBroker()
        else:
            # The listener's connection (made by this client's pool, used bare): one
            # connect attempt, as the per-socket pub/subs had, so a screen opened during
            # an outage is refused at once and retries with its back-off.
            listening = Redis.from_url(
                current_app.config["REDIS_URL"],
                socket_connect_timeout=2,
                socket_timeout=None,  # the listener waits for messages as long as it takes
                socket_keepalive=True,  # and notices a Redis that vanished
                protocol=2,  # messages as replies (RESP3 would push them to a handler)
                client_name="smartqueue-listener",
            )
            broker = RedisBroker(client, listening.connection_pool.make_connection)
        current_app.extensions["sq_broker"] = broker
    return broker


def publish(channel: str, message: str) -> None:
    """Best effort: a live screen missing one message resynchronises on its next one."""
    try:
        get_broker().publish(channel, message)
    except RedisError:
        current_app.logger.warning("could not publish on %s", channel)


def publish_many(messages: list[tuple[str, str]]) -> None:
    """Several messages at once (channel, message), best effort like publish()."""
    if not messages:
        return
    try:
        get_broker().publish_many(messages)
    except RedisError:
        current_app.logger.warning("could not publish on %s", messages[0][0])
