"""The appointments' minute job: what falls due with time (scheduled by jobs/schedule.py)."""

import logging

from ..extensions import db
from ..jobs.reminders import send_due_reminders
from . import arrival, operations

log = logging.getLogger(__name__)


def run_appointment_jobs() -> dict:
    """Every minute: lapse unpaid bookings, follow checked-in tickets, mark the day's
    no-shows after closing, and enqueue the reminders now due."""
    steps = {
        "lapsed": operations.expire_unpaid,
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
