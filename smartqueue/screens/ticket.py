"""A ticket's live fragment: for its page, the page's htmx answers and its socket."""

from flask import render_template
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import QueueStatus, Ticket, TicketStatus
from ..queueing import queries, rules
from .sockets import socket_path


def _successor(ticket: Ticket) -> Ticket | None:
    """The ticket a transfer created from this one."""
    return db.session.scalar(
        select(Ticket).where(Ticket.transferred_from_id == ticket.id).limit(1)
    )


def ticket_context(ticket: Ticket, **extra) -> dict:
    """What _ticket.html needs, for the page, its htmx answers and its socket."""
    queue = ticket.service.queue
    return dict(
        ticket=ticket,
        estimate=(
            queries.estimate_ticket_wait(ticket)
            if ticket.status is TicketStatus.WAITING
            else None
        ),
        successor=(
            _successor(ticket) if ticket.status is TicketStatus.TRANSFERRED else None
        ),
        notify_before=queue.notify_before if queue else 3,
        # call_next skips these: the holder should know why the line stands still
        calls_stopped=not ticket.service.is_active
        or (queue is not None and queue.status is not QueueStatus.ACTIVE),
        socket_path=socket_path("live_ticket.ticket_socket", token=ticket.token),
        passes_left=max(rules.MAX_PASSES - ticket.pass_count, 0),
        pass_places=rules.PASS_PLACES,
        updated_at=clock.now(),
        **extra,
    )


def render_live_ticket(token: str) -> str:
    """The ticket's fragment as an out-of-band swap, for its socket."""
    ticket = queries.get_ticket_by_token(token)
    if ticket is None:
        return ""
    return render_template("customer/_ticket.html", oob=True, **ticket_context(ticket))
