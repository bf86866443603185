"""Appointment reminders: the appointments' minute job (jobs/schedule.py) enqueues the
24 h and 2 h reminders now due; each is written once (notifications/notices.py), with
its one-tap answers, and sent on the customer's channels."""

from datetime import timedelta

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Appointment, AppointmentStatus
from ..work import begin_write
from . import enqueue, notices

# kind -> (column claimed when written, sent this long before, until this long before)
REMINDERS = {
    "24h": (Appointment.reminder_24h_sent_at, timedelta(hours=24), timedelta(hours=2)),
    "2h": (Appointment.reminder_2h_sent_at, timedelta(hours=2), timedelta(0)),
}


def send_due_reminders() -> int:
    """Enqueue one job per 24 h or 2 h reminder now due; each job writes its reminder once.

    A reminder whose moment had already passed when the appointment was booked (or moved)
    is skipped: the confirmation said it all."""
    begin_write(db.session)  # reads, then writes the outbox rows
    now = clock.now()
    due = []
    for kind, (column, before, until) in REMINDERS.items():
        rows = db.session.execute(
            select(Appointment.id, Appointment.starts_at, Appointment.created_at).where(
                Appointment.status == AppointmentStatus.CONFIRMED,
                Appointment.customer_id.is_not(None),
                column.is_(None),
                Appointment.starts_at > now + until,
                Appointment.starts_at <= now + before,
            )
        ).all()
        due += [
            (appointment_id, kind)
            for appointment_id, starts_at, created_at in rows
            if created_at <= starts_at - before
        ]
    for appointment_id, kind in due:
        # One pending job per reminder, however many runs find it due meanwhile.
        enqueue(
            notices.notify_reminder,
            appointment_id,
            kind,
            key=f"reminder:{appointment_id}:{kind}",
        )
    db.session.commit()
    return len(due)
