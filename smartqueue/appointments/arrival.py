"""Writes of arrival and after: check-in into the queue, no-shows, and following the
ticket of a checked-in appointment."""

import logging
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock, events
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Priority,
    Ticket,
    TicketStatus,
    User,
)

# The appointment and its ticket are one unit of work: the engine's issuing step runs
# inside ours (as a transfer does), so that a refused ticket leaves the appointment as it
# was, and two check-ins at once (kiosk and agent) cannot both get a ticket.
from ..queueing.operations import issue_in_unit_of_work
from ..work import begin_write, unit_of_work
from . import queries
from .errors import CheckInRefused, IllegalMove, TooLate
from .operations import lock_appointment

CHECK_IN_OPENS = timedelta(hours=1)  # a customer may check in from 1 h before

log = logging.getLogger(__name__)


REFUSED_CHECK_IN = {
    AppointmentStatus.PENDING: _l("Ce rendez-vous n'est pas encore confirmé."),
    AppointmentStatus.PENDING_PAYMENT: _l(
        "L'acompte de ce rendez-vous n'est pas réglé."
    ),
    AppointmentStatus.RESCHEDULED: _l("Ce rendez-vous a été déplacé."),
    AppointmentStatus.COMPLETED: _l("Ce rendez-vous est terminé."),
    AppointmentStatus.CANCELLED: _l("Ce rendez-vous a été annulé."),
    AppointmentStatus.NO_SHOW: _l("Ce rendez-vous a été manqué."),
}


@unit_of_work
def check_in(
    appointment: Appointment, *, channel: Channel, by: User | None = None
) -> Appointment:
    """The customer has arrived (kiosk, own link, or an agent): a ticket in the service's
    queue, carrying the appointment time so that appointment_first serves it then. Later
    than the grace period, the customer joins as a normal arrival. The ticket is
    `appointment.ticket`."""
    appointment = lock_appointment(appointment)
    status = appointment.status
    if status in (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS):
        raise CheckInRefused(
            _l(
                "Vous êtes déjà enregistré : ticket %(code)s.",
                code=appointment.ticket.code if appointment.ticket else "",
            )
        )
    if status in REFUSED_CHECK_IN:
        raise CheckInRefused(REFUSED_CHECK_IN[status])
    now = clock.now()
    if clock.today() != appointment.day:
        raise CheckInRefused(
            _l(
                "Ce rendez-vous est prévu le %(day)s.",
                day=appointment.day.strftime("%d/%m/%Y"),
            )
        )
    if now < appointment.starts_at - CHECK_IN_OPENS:
        raise CheckInRefused(
            _l(
                "Enregistrement possible à partir de %(time)s.",
                time=clock.local(appointment.starts_at - CHECK_IN_OPENS).strftime(
                    "%H:%M"
                ),
            )
        )
    settings = queries.get_settings(appointment.service)
    late = now > appointment.starts_at + timedelta(minutes=settings.grace_minutes)
    ticket = issue_in_unit_of_work(
        appointment.service_id,
        channel=channel,
        priority=Priority.NORMAL,
        customer=appointment.customer,
        contact_email=None,
        contact_phone=None,
        locale=appointment.locale,
        appointment_at=appointment.starts_at,
        by=by,
    ).attach()
    if late:
        ticket.appointment_at = None  # past the grace period: served in arrival order
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.checked_in_by_id = by.id if by else None
    appointment.is_late_arrival = late
    appointment.ticket_id = ticket.id
    db.session.commit()
    events.announce_tickets([ticket.id], ticket.branch_id, "issue")
    return appointment


@unit_of_work
def mark_appointment_no_show(appointment: Appointment, *, by: User) -> Appointment:
    """Staff: the customer did not come (once the grace period has passed)."""
    appointment = lock_appointment(appointment)
    if appointment.status not in (
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.PENDING,
    ):
        raise IllegalMove(_l("Ce rendez-vous ne peut pas être marqué absent."))
    grace = queries.get_settings(appointment.service).grace_minutes
    if clock.now() <= appointment.starts_at + timedelta(minutes=grace):
        raise TooLate(
            _l(
                "Attendez %(n)s min après l'heure du rendez-vous pour le marquer absent.",
                n=grace,
            )
        )
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.finished_at = clock.now()
    db.session.commit()
    return appointment


@unit_of_work
def mark_no_shows(day: date | None = None) -> int:
    """End of day: confirmed appointments of `day` (today) and before that nobody checked
    in become no_show, once their branch has closed for that day; idempotent."""
    begin_write(db.session)
    now = clock.now()
    today = clock.today()
    target = min(day or today, today)
    missed = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.status.in_(
                (AppointmentStatus.CONFIRMED, AppointmentStatus.PENDING)
            ),
            Appointment.day <= target,
            Appointment.starts_at <= now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    local_now = clock.local(now)
    marked = 0
    for appointment in missed:
        if appointment.day == today:
            hours = appointment.branch.hours_on(today.weekday())
            if hours is not None and local_now.time() < hours.closes_today:
                continue  # still open: a late customer may yet come
        appointment.status = AppointmentStatus.NO_SHOW
        appointment.finished_at = now
        marked += 1
    db.session.commit()
    return marked


# Where a checked-in appointment stands, from its ticket.
FROM_TICKET = {
    TicketStatus.WAITING: AppointmentStatus.CHECKED_IN,
    TicketStatus.CALLED: AppointmentStatus.IN_PROGRESS,
    TicketStatus.SERVING: AppointmentStatus.IN_PROGRESS,
    TicketStatus.SERVED: AppointmentStatus.COMPLETED,
    TicketStatus.NO_SHOW: AppointmentStatus.NO_SHOW,
    TicketStatus.CANCELLED: AppointmentStatus.CANCELLED,
    TicketStatus.EXPIRED: AppointmentStatus.CANCELLED,
}
FOLLOWED = (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS)


def _out_of_step(ticket_ids) -> list[int]:
    """Checked-in appointments whose ticket has moved on (a read: no write lock)."""
    query = (
        select(Appointment.id, Appointment.status, Ticket.status)
        .join(Ticket, Ticket.id == Appointment.ticket_id)
        .where(Appointment.status.in_(FOLLOWED))
    )
    if ticket_ids is not None:
        query = query.where(Appointment.ticket_id.in_(ticket_ids))
    return [
        appointment_id
        for appointment_id, status, ticket_status in db.session.execute(query)
        if ticket_status is TicketStatus.TRANSFERRED
        or FROM_TICKET.get(ticket_status, status) is not status
    ]


@unit_of_work
def follow_tickets(ticket_ids: list[int] | None = None) -> int:
    """Bring checked-in appointments in line with their tickets (called, served, missed,
    transferred...): after each move of the queue engine, and periodically for all."""
    if ticket_ids is not None and not ticket_ids:
        return 0
    if not _out_of_step(ticket_ids):  # most engine moves concern no appointment
        db.session.commit()
        return 0
    begin_write(db.session)
    changed = 0
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.id.in_(_out_of_step(ticket_ids)))
        .with_for_update(skip_locked=True)
    ).all()
    for appointment in appointments:
        ticket = db.session.get(Ticket, appointment.ticket_id)
        while ticket.status is TicketStatus.TRANSFERRED:
            moved = db.session.scalar(
                select(Ticket).where(Ticket.transferred_from_id == ticket.id)
            )
            if moved is None:
                break
            ticket = moved
        status = FROM_TICKET.get(ticket.status, appointment.status)
        if (status, ticket.id) != (appointment.status, appointment.ticket_id):
            appointment.ticket_id = ticket.id
            appointment.status = status
            if status in (
                AppointmentStatus.COMPLETED,
                AppointmentStatus.NO_SHOW,
                AppointmentStatus.CANCELLED,
            ):
                appointment.finished_at = ticket.finished_at or clock.now()
            if status is AppointmentStatus.CANCELLED:
                appointment.cancelled_at = appointment.finished_at
            changed += 1
    db.session.commit()
    return changed


@events.tickets_changed.connect
def _follow_tickets(
    sender, ticket_ids: list[int] | None = None, action: str | None = None, **_
):
    """After each move of the queue engine (committed): the appointments follow."""
    if action == "issue":  # a new ticket: check-in already set its appointment's state
        return
    try:
        follow_tickets(ticket_ids or [])
    except Exception:  # the engine's move is committed; the periodic job catches up
        db.session.rollback()
        log.exception("appointments could not follow tickets %s", ticket_ids)
