"""`flask worker`: an RQ worker that survives Redis outages and killed peers.

What rq 3.0 does by itself, and what this adds:
- A job whose worker was SIGKILLed stays in the StartedJobRegistry until its execution's
  score (start + heartbeat TTL) passes; the registry cleanup, run by any worker's
  maintenance, then retries it if it has retries left (every job is enqueued with Retry,
  jobs/outbox.py), else fails it. A SimpleWorker's TTL is the job's timeout + 60 s and
  maintenance runs every 10 minutes, behind a blocking dequeue of up to 405 s: a killed
  job waited up to a quarter of an hour. Here the TTL is the timeout + ABANDONED_AFTER and
  maintenance runs every MAINTENANCE_EVERY seconds, so it runs again within a minute.
- The scheduler (enqueue_in, retries with back-off) runs in a forked process that dies on
  its first Redis error; only a worker's maintenance starts it again. With a short
  maintenance interval it is back seconds after Redis.
- The worker loop itself quits on a Redis error outside its dequeue (state, suspension
  check, heartbeat after a job) and backs off up to 60 s inside it. run_worker starts a
  fresh worker when the loop ends without a stop request, and reconnects back off 5 s.
- Each maintenance tick drains the job outbox (jobs committed while Redis was down, or
  lost with its data).
"""

import logging
import time
from datetime import datetime, timezone

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from ..extensions import db, get_redis
from .connection import HEARTBEAT_KEY
from .outbox import drain_outbox

log = logging.getLogger(__name__)

ABANDONED_AFTER = 5  # seconds after its timeout, a job whose worker is gone is retried
MAINTENANCE_EVERY = 5  # seconds: registry cleanup, scheduler restart, outbox drain
WORKER_TTL = 20  # the blocking dequeue waits WORKER_TTL - 15 s, then maintenance is due
RESTART_AFTER = 2  # seconds before a worker whose loop ended is started again


class AppWorker(SimpleWorker):
    """An RQ worker running each job in a fresh app context (its own database session)."""

    max_connection_wait_time = 5.0  # back within seconds of Redis

    def __init__(self, *args, app, **kwargs):
        kwargs.setdefault("maintenance_interval", MAINTENANCE_EVERY)
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        super().__init__(*args, **kwargs)
        self.app = app
        self.stop_asked = False

    def perform_job(self, job, queue, execution):
        started = time.perf_counter()
        with self.app.app_context():
            ok = super().perform_job(job, queue, execution)
        log.info(
            "job %s %s in %.0f ms",
            job.description,
            "done" if ok else "failed",
            (time.perf_counter() - started) * 1000,
            extra={"job_id": job.id, "request_id": None, "user_id": None},
        )
        return ok

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        # The job runs in this process and cannot outlive its timeout: past it (and a
        # margin), an execution still registered belongs to a dead worker.
        if job.timeout is None or job.timeout < 0:
            return super().get_heartbeat_ttl(job, working_time)
        return int(job.timeout) + ABANDONED_AFTER

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # RQ forgets a worker once it stops; /healthz wants the last beat even then.
        stamp = datetime.now(timezone.utc).isoformat()
        try:
            self.connection.set(HEARTBEAT_KEY, stamp)
        except RedisError:
            log.warning("could not record worker heartbeat")

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        with self.app.app_context():
            try:
                drain_outbox()
            except RedisError:
                raise  # the dequeue loop backs off and retries
            except Exception as error:  # the database may be down: try next tick
                log.warning("could not drain the job outbox: %s", error)
            finally:
                db.session.remove()

    def request_stop(self, signum, frame):
        self.stop_asked = True
        super().request_stop(signum, frame)

    def teardown(self):
        try:
            super().teardown()
        except RedisError as error:  # Redis gone: nothing to unregister from
            log.warning("worker %s stopped without Redis: %s", self.name, error)
            if self.pubsub_thread:
                self.pubsub_thread.stop()


def run_worker(app, burst: bool = False) -> None:
    """Serve the app's queues until stopped (or until empty with burst), starting the
    worker loop again whenever it ends on a Redis error."""
    while True:
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
        try:
            worker.work(burst=burst, with_scheduler=True)
        except RedisError as error:
            if burst:
                raise
            log.warning("worker loop ended on a Redis error: %s", error)
        if burst or worker.stop_asked:
            return
        log.warning("worker loop ended; starting it again in %s s", RESTART_AFTER)
        try:
            time.sleep(RESTART_AFTER)
        except StopRequested:  # SIGTERM / Ctrl+C while waiting
            return
