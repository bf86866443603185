"""The agent serves the called customer: start, finish, no-show, or send the ticket to
another service of the branch (transfer)."""

from flask_babel import lazy_gettext as _l

from ... import clock
from ...events import announce_tickets
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import Channel, NotificationKind, Service, Ticket, TicketStatus, User
from ...notifications.notices import has_contact
from ...work import unit_of_work
from .. import rules
from ..errors import IllegalMove
from .counters import check_ticket_counter
from .history import lock_ticket, record_move
from .issuing import issue_in_unit_of_work


@unit_of_work
def start_serving(ticket: Ticket, *, by: User) -> Ticket:
    """The customer is at the counter."""
    ticket = lock_ticket(ticket)
    check_ticket_counter(ticket, by)
    record_move(ticket, TicketStatus.SERVING, "start", by=by, counter=ticket.counter)
    ticket.serving_at = clock.now()
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "start", ticket.counter_id)
    return ticket


@unit_of_work
def finish(ticket: Ticket, *, by: User) -> Ticket:
    """Served."""
    ticket = lock_ticket(ticket)
    check_ticket_counter(ticket, by)
    if ticket.status is TicketStatus.CALLED:  # served straight away, without "start"
        record_move(
            ticket, TicketStatus.SERVING, "start", by=by, counter=ticket.counter
        )
        ticket.serving_at = clock.now()
    record_move(ticket, TicketStatus.SERVED, "finish", by=by, counter=ticket.counter)
    ticket.finished_at = clock.now()
    # Thanks, and a link to rate the visit (one pending job: the outbox key).
    if has_contact(ticket):
        enqueue(
            notices.notify_ticket,
            ticket.id,
            NotificationKind.TICKET_FINISHED.value,
            key=notices.notice_key(ticket.id, "finished"),
        )
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "finish", ticket.counter_id)
    return ticket


@unit_of_work
def mark_no_show(ticket: Ticket, *, by: User) -> Ticket:
    """The customer did not come after being called (and recalled up to the limit)."""
    ticket = lock_ticket(ticket)
    check_ticket_counter(ticket, by)
    if ticket.status is TicketStatus.CALLED and ticket.recall_count < rules.MAX_RECALLS:
        raise IllegalMove(
            _l(
                "Rappelez d'abord le ticket (%(n)s fois) avant de le marquer absent.",
                n=rules.MAX_RECALLS,
            )
        )
    record_move(ticket, TicketStatus.NO_SHOW, "no_show", by=by, counter=ticket.counter)
    ticket.finished_at = clock.now()
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "no_show", ticket.counter_id)
    return ticket


@unit_of_work
def transfer(
    ticket: Ticket, target: Service, *, by: User, keep_arrival: bool = True
) -> Ticket:
    """Send a waiting or called ticket to another service of the branch: a new ticket there
    with the same code, linked to the old one and, by default, keeping its original
    arrival time."""
    ticket = lock_ticket(ticket)
    check_ticket_counter(ticket, by)
    if target.branch_id != ticket.branch_id or target.id == ticket.service_id:
        raise IllegalMove(_l("Choisissez un autre service de la même agence."))
    record_move(
        ticket,
        TicketStatus.TRANSFERRED,
        "transfer",
        by=by,
        counter=ticket.counter,
        note=target.prefix,
    )
    ticket.finished_at = clock.now()
    old_counter = ticket.counter_id
    new = issue_in_unit_of_work(
        target.id,
        channel=Channel.COUNTER,
        priority=ticket.priority,
        customer=None,
        contact_email=ticket.contact_email,
        contact_phone=ticket.contact_phone,
        locale=ticket.locale,
        appointment_at=ticket.appointment_at,
        by=by,
        arrived_at=ticket.arrived_at if keep_arrival else None,
        transferred_from=ticket,
    ).attach()
    new.customer_id = ticket.customer_id
    db.session.commit()
    announce_tickets([ticket.id, new.id], ticket.branch_id, "transfer", old_counter)
    return new
