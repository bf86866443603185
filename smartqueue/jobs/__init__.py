"""Background jobs: one entry point, enqueue(), over RQ (REDIS_URL) or the process itself.

Jobs are module-level functions taking ids; operations enqueue them after commit.
"""

import logging
from datetime import datetime, timezone

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

log = logging.getLogger(__name__)

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


def enqueue(func, *args, **kwargs):
    """Run func(*args) in the background: on an RQ worker with Redis, else now, in this process."""
    if get_redis() is not None:
        return get_queue().enqueue(func, *args, **kwargs)
    try:
        func(*args, **kwargs)
    except Exception:  # a failed job must not fail the request that already committed
        log.exception("in-process job %s failed", getattr(func, "__name__", func))
    return None


class AppWorker(SimpleWorker):
    """An RQ worker running each job in a fresh app context (its own database session)."""

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job, queue, execution):
        with self.app.app_context():
            return super().perform_job(job, queue, execution)

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # RQ forgets a worker once it stops; /healthz wants the last beat even then.
        stamp = datetime.now(timezone.utc).isoformat()
        try:
            self.connection.set(HEARTBEAT_KEY, stamp)
        except RedisError:
            log.warning("could not record worker heartbeat")


def run_worker(app, burst: bool = False) -> None:
    """Serve the app's queues until stopped (or until empty with burst)."""
    with app.app_context():
        connection = get_redis()
        if connection is None:
            raise RuntimeError(
                "flask worker needs REDIS_URL; without it jobs run in the web process."
            )
        queues = [
            Queue(name, connection=connection) for name in app.config["RQ_QUEUES"]
        ]
    worker = AppWorker(queues, connection=connection, app=app)
    worker.work(burst=burst, with_scheduler=True)


def last_heartbeat() -> str | None:
    client = get_redis()
    if client is None:
        return None
    value = client.get(HEARTBEAT_KEY)
    return value.decode() if value else None
