"""The customer's moves: cancel a ticket, let others pass (staff may do them for the
customer)."""

import math

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import clock
from ...events import announce_tickets
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import NotificationKind, Ticket, TicketStatus, User
from ...notifications.notices import has_contact
from ...work import unit_of_work
from .. import rules
from ..errors import IllegalMove, LimitReached
from ..strategies import key_between
from .history import lock_ticket, record_move


@unit_of_work
def cancel_ticket(ticket: Ticket, *, by: User | None = None) -> Ticket:
    """Cancel a waiting or called ticket (the customer, or staff for them)."""
    ticket = lock_ticket(ticket)
    record_move(ticket, TicketStatus.CANCELLED, "cancel", by=by)
    ticket.finished_at = clock.now()
    if by is not None and by.id != ticket.customer_id and has_contact(ticket):
        # Staff cancelled it: its holder may be on the way (they did it themselves:
        # their page, or their SMS's reply, says so).
        enqueue(
            notices.notify_ticket,
            ticket.id,
            NotificationKind.TICKET_CANCELLED.value,
            key=notices.notice_key(ticket.id, "cancelled"),
        )
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "cancel", ticket.counter_id)
    return ticket


@unit_of_work
def let_others_pass(
    ticket: Ticket, *, by: User | None = None, places: int = rules.PASS_PLACES
) -> Ticket:
    """Step back a few places in the line (a limited number of times)."""
    ticket = lock_ticket(ticket)
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.CALLED):
        raise IllegalMove(_l("Ce ticket ne peut plus céder sa place."))
    if ticket.pass_count >= rules.MAX_PASSES:
        raise LimitReached(
            _l("Vous avez déjà cédé votre place %(n)s fois.", n=rules.MAX_PASSES)
        )
    behind = db.session.scalars(
        select(Ticket.rank_key)
        .where(
            Ticket.service_id == ticket.service_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.id != ticket.id,
            (Ticket.rank_key > ticket.rank_key)
            | ((Ticket.rank_key == ticket.rank_key) & (Ticket.id > ticket.id)),
        )
        .order_by(Ticket.rank_key, Ticket.id)
        .limit(places + 1)
    ).all()
    was_called_at = ticket.counter_id
    if behind:
        ahead_key = behind[min(places, len(behind)) - 1]
        after_key = behind[places] if len(behind) > places else None
        # Ties (same arrival instant) would leave it in place: step just past the Nth.
        ticket.rank_key = max(
            key_between(ahead_key, after_key), math.nextafter(ahead_key, math.inf)
        )
    if ticket.status is TicketStatus.CALLED:
        record_move(ticket, TicketStatus.WAITING, "pass", by=by, counter=ticket.counter)
        ticket.counter_id = ticket.agent_id = ticket.called_at = None
        ticket.recall_count = 0
    else:
        record_move(ticket, TicketStatus.WAITING, "pass", by=by)
    ticket.pass_count += 1
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "pass", was_called_at)
    return ticket
