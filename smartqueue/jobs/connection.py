"""The RQ queues over the app's Redis client (extensions.get_redis), and the workers'
heartbeat."""

from rq import Queue

from ..extensions import get_redis

HEARTBEAT_KEY = "sq:worker:heartbeat"


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())


def last_heartbeat() -> str | None:
    client = get_redis()
    if client is None:
        return None
    value = client.get(HEARTBEAT_KEY)
    return value.decode() if value else None
