"""Appointment mail (confirmation, cancellation, the 24 h and 2 h reminders). Jobs take
ids and re-check state; the appointments' minute job (jobs/schedule.py) enqueues the
reminders now due."""

from datetime import timedelta

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import clock
from ..appointments.queries import get_settings
from ..extensions import db
from ..models import Appointment, AppointmentStatus
from ..work import begin_write
from . import enqueue
from .mail import deliver

# kind -> (column claimed when sent, sent this long before, until this long before)
REMINDERS = {
    "24h": (Appointment.reminder_24h_sent_at, timedelta(hours=24), timedelta(hours=2)),
    "2h": (Appointment.reminder_2h_sent_at, timedelta(hours=2), timedelta(0)),
}


def _subject(kind: str, appointment: Appointment, when: dict) -> str:
    if kind == "24h":
        return _("Rappel : rendez-vous le %(date)s à %(time)s", **when)
    if kind == "2h":
        return _("Rappel : votre rendez-vous à %(time)s", time=when["time"])
    if kind == "cancelled":
        return _("Rendez-vous annulé : %(number)s", number=appointment.number)
    if appointment.rescheduled_from_id:
        return _("Rendez-vous déplacé au %(date)s à %(time)s", **when)
    return _("Rendez-vous confirmé le %(date)s à %(time)s", **when)


def _send(appointment: Appointment, template: str, kind: str) -> None:
    """Render emails/<template> for this appointment, in the customer's language."""
    locale = appointment.locale
    local = clock.local(appointment.starts_at)
    with force_locale(locale):
        when = {"date": format_date(local.date(), "full"), "time": f"{local:%H:%M}"}
        subject = _subject(kind, appointment, when)
    deliver(
        appointment.customer.email,
        subject,
        template,
        locale,
        appointment=appointment,
        when=when,
        kind=kind,
        grace=get_settings(appointment.service).grace_minutes,
    )


def send_due_reminders() -> int:
    """Enqueue one job per 24 h or 2 h reminder now due; each job sends its reminder once.

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
            send_appointment_reminder,
            appointment_id,
            kind,
            key=f"reminder:{appointment_id}:{kind}",
        )
    db.session.commit()
    return len(due)


def send_appointment_reminder(appointment_id: int, kind: str) -> bool:
    """Email the 24 h ('24h') or 2 h ('2h') reminder of an appointment, once, if it still
    stands (never for a cancelled or moved one)."""
    column = REMINDERS[kind][0]
    appointment = db.session.get(Appointment, appointment_id)
    if (
        appointment is None
        or getattr(appointment, column.key) is not None
        or appointment.status is not AppointmentStatus.CONFIRMED
        or appointment.customer_id is None
        or appointment.starts_at <= clock.now()
    ):
        return False
    # The outbox row is the claim (one pending row per reminder, leased while it runs):
    # marked after sending, so a worker killed mid-send leaves it to the retry.
    _send(appointment, "appointment_reminder", kind)
    db.session.commit()  # end the read before writing (see notify_ticket)
    db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id)
        .values({column: clock.now()})
    )
    db.session.commit()
    return True


def notify_appointment(appointment_id: int, kind: str) -> bool:
    """Email a customer that an appointment is booked ('booked': confirmed, or moved) or
    cancelled ('cancelled'), if that is still true."""
    appointment = db.session.get(Appointment, appointment_id)
    wanted = {
        "booked": AppointmentStatus.CONFIRMED,
        "cancelled": AppointmentStatus.CANCELLED,
    }[kind]
    if appointment is None or appointment.customer is None:
        return False
    if appointment.status is not wanted:
        return False
    _send(appointment, f"appointment_{kind}", kind)
    return True
