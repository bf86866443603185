"""Background jobs: one entry point, enqueue(), over RQ (REDIS_URL) or the process itself.

Jobs are module-level functions taking ids, idempotent (they re-check state). Operations
call enqueue() inside their unit of work, before the commit: the job is written to the
outbox in the same transaction and dispatched after it (jobs/outbox.py says how, and
what happens when Redis or a worker goes down).
"""

from .connection import HEARTBEAT_KEY, get_queue, last_heartbeat
from .outbox import drain_outbox, enqueue, outbox_backlog, run_outbox_job
from .worker import AppWorker, run_worker

__all__ = [
    "HEARTBEAT_KEY",
    "AppWorker",
    "drain_outbox",
    "enqueue",
    "get_queue",
    "last_heartbeat",
    "outbox_backlog",
    "run_outbox_job",
    "run_worker",
]
