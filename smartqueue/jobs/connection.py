"""The app's Redis client and RQ queues (REDIS_URL), or None in embedded mode."""

from flask import current_app
from redis import Redis
from rq import Queue

HEARTBEAT_KEY = "sq:worker:heartbeat"


def get_redis() -> Redis | None:
    """The app's Redis client (one connection pool per process), or None in embedded mode."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("sq_redis")
    if client is None:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["sq_redis"] = client
    return client


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())


def last_heartbeat() -> str | None:
    client = get_redis()
    if client is None:
        return None
    value = client.get(HEARTBEAT_KEY)
    return value.decode() if value else None
