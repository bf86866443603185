"""Periodic jobs: run by `flask cron` (RQ's cron scheduler) with Redis, else by a thread of
the single embedded process."""

import logging
import threading
import time

from ..appointments import arrival
from ..appointments import operations as appointments
from ..extensions import db, get_redis
from ..orgs.holidays import prefill_due_branches
from ..orgs.plans import apply_due_plan_changes
from ..queueing.expiry import expire_tickets
from .analytics import roll_up_closed_days
from .billing import run_billing
from .notices import release_held_notifications
from .outbox import drain_outbox
from .payments import follow_open_payments
from .reminders import send_due_reminders
from .travel import recompute_trips, send_due_departures

log = logging.getLogger(__name__)


def expire_due_tickets() -> int:
    """Expire tickets left at closing time (and queue expiry limits); idempotent."""
    return expire_tickets()


def prefill_public_holidays() -> int:
    """Add this year's public holidays to branches without them, and next year's from
    1 December; idempotent."""
    return prefill_due_branches()


def run_appointment_jobs() -> dict:
    """Every minute: lapse unpaid bookings, follow checked-in tickets, mark the day's
    no-shows after closing, and enqueue the reminders now due."""
    steps = {
        "lapsed": appointments.expire_unpaid,
        "followed": arrival.follow_tickets,
        "no_shows": arrival.mark_no_shows,
        "reminders": send_due_reminders,
    }
    done = {}
    for name, step in steps.items():
        try:
            done[name] = step()
        except Exception:  # one failing step must not stop the others
            db.session.rollback()
            log.exception("appointment job step %s failed", name)
    return done


# (job, every N seconds)
PERIODIC = [
    (expire_due_tickets, 60),
    (run_appointment_jobs, 60),
    (prefill_public_holidays, 3600),
    # Travel: the hour's traffic and the line's pace move every trip and departure.
    (recompute_trips, 300),
    (send_due_departures, 60),
    # Messages held by quiet hours go out when they end.
    (release_held_notifications, 60),
    # Payments whose callback has not come: ask their provider, expire after 24 h.
    (follow_open_payments, 60),
    # Last month's invoices from the 1st (Dakar), then overdue invoices' reminders;
    # listed before the plan changes: an invoice bills the plan its month was on.
    (run_billing, 3600),
    (apply_due_plan_changes, 3600),  # downgrades waiting for the 1st (Dakar)
    # Yesterday's figures once its tickets are ended (the expiry job, after closing).
    (roll_up_closed_days, 3600),
]
# Embedded mode only: with Redis, every `flask worker` drains the outbox itself.
EMBEDDED = [(drain_outbox, 15)]


def run_cron(app) -> None:
    """Production: enqueue each periodic job on its interval (run exactly one of these)."""
    from rq.cron import CronScheduler

    with app.app_context():
        scheduler = CronScheduler(connection=get_redis(), name="smartqueue")
        for job, every in PERIODIC:
            scheduler.register(job, queue_name="default", interval=every)
    scheduler.start()


def start_embedded(app, stop: threading.Event | None = None) -> threading.Thread:
    """Embedded mode: one process, so a daemon thread runs the periodic jobs itself
    (until `stop` is set)."""
    stop = stop or threading.Event()

    def loop():
        last: dict = {}
        while not stop.is_set():
            for job, every in PERIODIC + EMBEDDED:
                if time.monotonic() - last.get(job, -every) >= every:
                    last[job] = time.monotonic()
                    with app.app_context():
                        try:
                            job()
                        except Exception:
                            log.exception("periodic job %s failed", job.__name__)
                        finally:
                            db.session.remove()
            stop.wait(5)

    thread = threading.Thread(target=loop, name="smartqueue-periodic", daemon=True)
    thread.start()
    return thread
