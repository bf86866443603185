"""The transactional outbox: how every background job is asked for and run.

Contract of `enqueue(func, *args, key=None)`, relied upon by every operation:
- Call it INSIDE the unit of work, BEFORE `db.session.commit()`. It writes one outbox row
  (one INSERT) in that transaction: if the unit of work rolls back, the job never existed.
  Called outside any transaction, it commits its row at once (a unit of work of its own).
- After the commit (the session's `after_commit` event) the rows are dispatched. With
  Redis: pushed to RQ in one round trip as `run_outbox_job(row id)`, job id
  `sq-outbox-<row id>`, with a timeout and RQ's Retry; a Redis error is logged on one
  line and the row waits for a drain (the request that committed answers normally).
  Without Redis (embedded mode): the job runs in this process at once, in an app context
  and session of its own; a failure is logged, never turned into the request's error.
- `key` (optional) allows one pending row per key: an enqueue whose key a pending row
  already holds is dropped (one "near" notice per ticket however many calls ask for it).

Running (`run_outbox_job`): the row is the claim. A run takes a lease on it (one UPDATE:
`locked_until` = now + the job's timeout), runs the job, then deletes the row. A second
run of the row (a double push, a retry while the first run lives) finds the lease held
and raises JobLeased so that RQ tries later, or finds no row and does nothing. A worker
killed mid-job leaves its lease to run out with its RQ execution: RQ's StartedJobRegistry
cleanup (see jobs/worker.py) then retries the job, which takes the lease again. A failing
job gives its lease back (error kept) and RQ's Retry runs it again with back-off; after
the last try the row stays with `failed_at` set (counted by /healthz).

Draining (`drain_outbox`): rows whose RQ job is not in Redis (committed while Redis was
down, or lost when Redis restarted without its data) are pushed again. Every `flask
worker` drains on its maintenance tick (every few seconds: the workers are the processes
that come back with Redis, and there are several of them, unlike the single clock
process), and the embedded thread drains by running the jobs itself. Batches are bounded
and taken FOR UPDATE SKIP LOCKED on PostgreSQL, so two drainers never push one row twice;
a row is looked at once per RECHECK. The job id derived from the row id lets a drain ask
Redis whether the job is already there, and the lease makes any extra push harmless: a
job runs at least once, and once unless its worker dies between the mail server's
acceptance and the row's deletion.
"""

import importlib
import logging
import threading
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry, get_current_job
from rq.job import Job, JobStatus
from sqlalchemy import delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db, get_redis
from ..models import OutboxJob
from ..models.outbox import real_now
from ..work import begin_write

log = logging.getLogger(__name__)

PENDING = "sq_outbox"  # session.info: (row id, job name) written in this transaction
QUEUE = "default"
JOB_TIMEOUT = 30  # seconds a job may run (app config JOB_TIMEOUT overrides it)
# A lease outlives the job's timeout by this much (RQ stops the job at the timeout).
LEASE_MARGIN = 2
# Back-off between tries. The first retry comes at once: after a killed worker the
# abandoned job was only found once its timeout had passed.
RETRY_INTERVALS = [0, 10, 60, 300]
MAX_ATTEMPTS = len(RETRY_INTERVALS) + 1  # the embedded mode's own count
DRAIN_GRACE = timedelta(seconds=10)  # younger rows are being dispatched by their commit
RECHECK = timedelta(seconds=60)
DRAIN_BATCH = 200
GAVE_UP = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


class JobLeased(Exception):
    """Another run holds this outbox row's lease: RQ tries again later."""


def enqueue(job, *args, key: str | None = None) -> int | None:
    """Ask for job(*args) to run once this unit of work commits (module docstring);
    the outbox row's id, or None if a pending row already holds `key`."""
    name = f"{job.__module__}.{job.__qualname__}"
    if "<" in job.__qualname__ or "." in job.__qualname__:
        raise ValueError(f"a job is a module-level function, not {name}")
    session = db.session()
    standalone = not session.in_transaction()
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(OutboxJob)
    statement = insert.values(func=name, args=list(args), key=key)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    row_id = session.execute(statement.returning(OutboxJob.id)).scalar()
    if row_id is not None:
        session.info.setdefault(PENDING, []).append((row_id, name))
    if standalone:
        session.commit()
    return row_id


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session) -> None:
    # SQLAlchemy calls this for a SAVEPOINT's release too: the rows are not committed
    # yet (and the write lock is still held), so they wait for the outermost commit.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(PENDING, None)
    if pending:
        dispatch(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    # A SAVEPOINT rolled back keeps the rows written before it; one written inside it is
    # gone, and its run will find no row and do nothing.
    if session.in_nested_transaction():
        return
    session.info.pop(PENDING, None)  # those rows are gone with the transaction


def dispatch(pending: list[tuple[int, str]]) -> None:
    """After commit: push the rows' jobs to RQ, or run them here without Redis. Never
    raises: what was committed stays done, and an undispatched row waits for a drain."""
    try:
        connection = get_redis()
        if connection is None:
            apart = [row_id for row_id, name in pending if name in RUN_APART]
            _run_here([row_id for row_id, name in pending if name not in RUN_APART])
            if apart:
                _run_apart(apart)
        else:
            _push(connection, pending)
    except RedisError as error:
        log.warning(
            "Redis unavailable, %d job(s) wait in the outbox: %s", len(pending), error
        )
    except Exception:
        log.exception("could not dispatch outbox rows %s", [r for r, _ in pending])


def job_id(row_id: int) -> str:
    return f"sq-outbox-{row_id}"


def job_timeout() -> int:
    return int(current_app.config.get("JOB_TIMEOUT") or JOB_TIMEOUT)


def _push(connection, rows: list[tuple[int, str]]) -> None:
    timeout = job_timeout()
    Queue(QUEUE, connection=connection).enqueue_many(
        [
            Queue.prepare_data(
                run_outbox_job,
                (row_id,),
                timeout=timeout,
                job_id=job_id(row_id),
                description=f"{name} (outbox {row_id})",
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            )
            for row_id, name in rows
        ]
    )


# Jobs long enough that, without Redis, the request that asked for them must not wait
# for them (a branch-wide message writes thousands of notices): run in a thread of
# their own. Registered by `runs_apart`.
RUN_APART: set[str] = set()
_apart_threads: list[threading.Thread] = []


def runs_apart(job):
    """Mark a job as long: in the embedded mode it runs in a thread, not in the request."""
    RUN_APART.add(f"{job.__module__}.{job.__qualname__}")
    return job


def _run_apart(row_ids: list[int]) -> None:
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=lambda: _run_with(app, row_ids), name="smartqueue-job", daemon=True
    )
    _apart_threads.append(thread)
    thread.start()


def _run_with(app, row_ids: list[int]) -> None:
    with app.app_context():
        _run_here(row_ids)


def join_apart(timeout: float = 30) -> None:
    """Wait for the jobs running apart (tests, and a process that stops)."""
    while _apart_threads:
        _apart_threads.pop().join(timeout)


def _run_here(row_ids: list[int]) -> None:
    """Embedded mode: run each job now, in an app context (so a session) of its own."""
    app = current_app._get_current_object()
    for row_id in row_ids:
        with app.app_context():
            try:
                run_outbox_job(row_id)
            except Exception:
                log.exception("in-process job of outbox row %s failed", row_id)
            finally:
                db.session.remove()


def run_outbox_job(outbox_id: int) -> bool:
    """Run the job of one outbox row once: lease the row, run the job, delete the row."""
    now = real_now()
    lease = timedelta(seconds=_current_timeout() + LEASE_MARGIN)
    claimed = db.session.execute(
        update(OutboxJob)
        .where(
            OutboxJob.id == outbox_id,
            OutboxJob.failed_at.is_(None),
            or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now),
        )
        .values(locked_until=now + lease, attempts=OutboxJob.attempts + 1)
        .returning(OutboxJob.func, OutboxJob.args, OutboxJob.attempts)
    ).one_or_none()
    db.session.commit()
    if claimed is None:
        held = db.session.scalar(
            select(OutboxJob.id).where(
                OutboxJob.id == outbox_id, OutboxJob.failed_at.is_(None)
            )
        )
        db.session.commit()
        if held is not None:
            raise JobLeased(f"outbox row {outbox_id} is being run elsewhere")
        return False  # ran already (or gave up)
    name, args, attempts = claimed
    try:
        _resolve(name)(*args)
    except Exception as error:
        db.session.rollback()
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id)
            .values(
                locked_until=None,
                last_error=f"{type(error).__name__}: {error}"[:500],
                failed_at=real_now() if _last_attempt(attempts) else None,
            )
        )
        db.session.commit()
        raise
    # End the job's own reads first: on SQLite a read turned write may fail at once.
    db.session.commit()
    db.session.execute(delete(OutboxJob).where(OutboxJob.id == outbox_id))
    db.session.commit()
    return True


def _resolve(name: str):
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _current_timeout() -> int:
    job = get_current_job()
    if job is not None and job.timeout and job.timeout > 0:
        return int(job.timeout)
    return job_timeout()


def _last_attempt(attempts: int) -> bool:
    job = get_current_job()
    if job is not None:
        return not job.retries_left
    return attempts >= MAX_ATTEMPTS


def drain_outbox(limit: int = DRAIN_BATCH, grace: timedelta = DRAIN_GRACE) -> int:
    """Push again (without Redis: run here) the jobs of outbox rows that are not in
    Redis: committed while Redis was down, or lost with Redis's data. Returns how many."""
    now = real_now()
    begin_write(db.session)  # SQLite: one drainer at a time (no SKIP LOCKED there)
    rows = db.session.execute(
        select(OutboxJob.id, OutboxJob.func)
        .where(
            OutboxJob.failed_at.is_(None),
            OutboxJob.created_at <= now - grace,
            or_(OutboxJob.checked_at.is_(None), OutboxJob.checked_at <= now - RECHECK),
            or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now),
        )
        .order_by(OutboxJob.created_at, OutboxJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        db.session.commit()
        return 0
    ids = [row.id for row in rows]
    db.session.execute(
        update(OutboxJob).where(OutboxJob.id.in_(ids)).values(checked_at=now)
    )
    connection = get_redis()
    if connection is None:
        db.session.commit()
        _run_here(ids)
        return len(ids)
    try:
        jobs = Job.fetch_many([job_id(i) for i in ids], connection=connection)
        missing = [
            (row.id, row.func)
            for row, job in zip(rows, jobs, strict=True)
            if job is None
        ]
        gave_up = [
            row.id
            for row, job in zip(rows, jobs, strict=True)
            if job is not None and job.get_status(refresh=False) in GAVE_UP
        ]
        if missing:
            _push(connection, missing)
    except RedisError as error:
        db.session.rollback()
        log.warning("Redis unavailable, outbox not drained: %s", error)
        return 0
    if gave_up:  # e.g. abandoned on its last try: RQ will not run it again
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(gave_up))
            .values(failed_at=now, last_error="failed in RQ")
        )
    db.session.commit()
    if missing:
        log.info("outbox: pushed %d job(s) again", len(missing))
    return len(missing)


def retry_failed_jobs() -> int:
    """Give the jobs that gave up a new set of tries (after their cause was fixed): their
    rows become pending again and RQ forgets the failed runs, so the next drain pushes
    them afresh. Returns how many."""
    ids = db.session.scalars(
        select(OutboxJob.id).where(OutboxJob.failed_at.is_not(None))
    ).all()
    if not ids:
        return 0
    connection = get_redis()
    if connection is not None:  # else the embedded drain runs them here
        for job in Job.fetch_many([job_id(i) for i in ids], connection=connection):
            if job is not None:
                job.delete()
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(ids))
        .values(failed_at=None, attempts=0, checked_at=None, locked_until=None)
    )
    db.session.commit()
    return len(ids)


def outbox_backlog() -> dict:
    """Jobs waiting (how many, the oldest's age in seconds) and jobs given up, for /healthz."""
    pending, oldest = db.session.execute(
        select(func.count(), func.min(OutboxJob.created_at)).where(
            OutboxJob.failed_at.is_(None)
        )
    ).one()
    failed = db.session.scalar(
        select(func.count())
        .select_from(OutboxJob)
        .where(OutboxJob.failed_at.is_not(None))
    )
    age = (real_now() - oldest).total_seconds() if oldest is not None else None
    return {
        "pending": pending,
        "oldest_seconds": age and round(age, 1),
        "failed": failed,
    }
