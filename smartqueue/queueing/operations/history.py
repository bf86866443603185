"""How a ticket moves: its row locked for the unit of work, the move checked against its
status, and written in its history with who, when and where."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import clock
from ...extensions import db
from ...models import Counter, Ticket, TicketEvent, TicketStatus, User
from ...work import begin_write
from ..errors import IllegalMove


def lock_ticket(ticket: Ticket) -> Ticket:
    """Start a unit of work holding the ticket's row lock, with its state fresh."""
    ticket_id = ticket.id
    begin_write(db.session)
    locked = db.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return locked


def record_move(
    ticket: Ticket,
    to: TicketStatus,
    action: str,
    by: User | None = None,
    counter: Counter | None = None,
    note: str | None = None,
) -> None:
    """Move a ticket and write down the move (caller commits). `to` may equal the current
    status only for a recall, or a waiting ticket stepping back."""
    same = to is ticket.status and action in ("recall", "pass")
    allowed = same or ticket.can_move_to(to)
    if not allowed:
        raise IllegalMove(_l("Ce ticket n'en est plus à cette étape."))
    # Added from the event's side: appending to ticket.events would first load the
    # ticket's whole history, on every move.
    event = TicketEvent(
        ticket=ticket,
        from_status=ticket.status.value if ticket.status else None,
        to_status=to.value,
        action=action,
        at=clock.now(),
        by_user_id=by.id if by else None,
        counter_id=counter.id if counter else None,
        note=note,
    )
    db.session.add(event)
    ticket.status = to
