"""Publish/subscribe: Redis pub/sub with REDIS_URL, else a broker inside this process.

A subscription is an iterator of messages (str) that also yields None about once a second,
so that the socket loop can notice a closed client.
"""

import queue
import threading
from collections import defaultdict
from collections.abc import Iterator

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

from ..extensions import get_redis


class LocalBroker:
    """Embedded mode: one process, so a dict of subscriber queues is the whole bus."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[queue.Queue]] = defaultdict(set)

    def publish_many(self, messages: list[tuple[str, str]]) -> None:
        for channel, message in messages:
            self.publish(channel, message)

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for target in targets:
            target.put(message)

    def subscribe(self, channels: list[str]) -> "Subscription":
        inbox: queue.Queue = queue.Queue()
        with self._lock:
            for channel in channels:
                self._subscribers[channel].add(inbox)

        def close():
            with self._lock:
                for channel in channels:
                    self._subscribers[channel].discard(inbox)

        def messages() -> Iterator[str | None]:
            while True:
                try:
                    yield inbox.get(timeout=1.0)
                except queue.Empty:
                    yield None

        def drain() -> list[str]:
            found = []
            while True:
                try:
                    found.append(inbox.get_nowait())
                except queue.Empty:
                    return found

        return Subscription(messages(), close, drain)


# Every open socket holds one subscription, hence one Redis connection, for its whole life:
# the pool must not stop at redis-py's default (100), or the 101st screen is refused.
MAX_SUBSCRIPTIONS = 10_000


class RedisBroker:
    def __init__(self, client, subscriber):
        self.client = client
        self.subscriber = subscriber

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

    def subscribe(self, channels: list[str]) -> "Subscription":
        pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(*channels)

        def text(message) -> str:
            data = message["data"]
            return data.decode() if isinstance(data, bytes) else data

        def messages() -> Iterator[str | None]:
            while True:
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    yield None
                elif message["type"] == "message":
                    yield text(message)

        def drain() -> list[str]:
            found = []
            while (message := pubsub.get_message(timeout=0.0)) is not None:
                if message["type"] == "message":
                    found.append(text(message))
            return found

        return Subscription(messages(), pubsub.close, drain)


class Subscription:
    def __init__(self, messages: Iterator[str | None], close, drain):
        self._messages = messages
        self.close = close
        # The messages already received and not yet read, without waiting (best effort).
        self.drain = drain

    def __iter__(self):
        return self._messages

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def get_broker():
    """The app's broker: Redis when configured, else the in-process one."""
    broker = current_app.extensions.get("sq_broker")
    if broker is None:
        client = get_redis()
        if client is None:
            broker = LocalBroker()
        else:
            subscriber = Redis.from_url(
                current_app.config["REDIS_URL"],
                socket_connect_timeout=2,
                max_connections=MAX_SUBSCRIPTIONS,
            )
            broker = RedisBroker(client, subscriber)
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
