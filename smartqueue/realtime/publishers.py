"""After each commit, the queue engine's signals become messages on the live channels.

Runs in whichever process made the change (a web process or an RQ worker): rendering the
board's fragment once here, and publishing it, is what lets every process relay it.
A change's messages go out together (one round trip to Redis).
"""

from flask import current_app
from sqlalchemy import select

from .. import events
from ..extensions import db
from ..models import Service, Ticket
from ..screens.board import render_board_update
from . import channels
from .broker import publish_many
from .coalesce import announce_new_tickets

# A new ticket: nobody follows its page yet; boards and counter screens hear of it
# coalesced (coalesce.py).
NEW_TICKET = "issue"


@events.tickets_changed.connect
def _on_tickets_changed(
    sender,
    branch_id: int,
    ticket_ids: list[int],
    action: str,
    counter_id: int | None = None,
    line_moved: bool = True,
    **_,
):
    messages = []
    if action == NEW_TICKET:
        announce_new_tickets(branch_id)  # board counts and counter screens, coalesced
    else:
        messages.append(
            (
                channels.board(branch_id),
                render_board_update(branch_id, action, ticket_ids),
            )
        )
        messages.append((channels.branch(branch_id), channels.stamp(action)))
    if ticket_ids and (line_moved or action != NEW_TICKET):
        rows = db.session.execute(
            select(Ticket.token, Ticket.service_id).where(Ticket.id.in_(ticket_ids))
        ).all()
        if action != NEW_TICKET:
            messages += [(channels.ticket(token), action) for token, _ in rows]
        if line_moved:
            services = sorted({service_id for _, service_id in rows})
            line_change = channels.stamp(action)
            messages += [(channels.service(s), line_change) for s in services]
    publish_many(messages)
    current_app.logger.debug("published %s on branch %s", action, branch_id)


@events.counter_changed.connect
def _on_counter_changed(sender, branch_id: int, counter_id: int, **_):
    """A counter opened, closed, taken or edited: boards and counter screens show it, and
    the estimates of the lines it serves (or served) count its open counters."""
    line_change = channels.stamp("counter")
    services = db.session.scalars(
        select(Service.id).where(Service.branch_id == branch_id)
    )
    publish_many(
        [
            (channels.board(branch_id), render_board_update(branch_id, "counter", [])),
            (channels.branch(branch_id), channels.stamp("counter")),
            *((channels.service(s), line_change) for s in services),
        ]
    )


@events.service_changed.connect
def _on_service_changed(sender, branch_id: int, service_id: int, **_):
    """A service's name, letter, queue state or order: boards and counter screens show
    them, and a new order moves the line's tickets."""
    publish_many(
        [
            (channels.board(branch_id), render_board_update(branch_id, "service", [])),
            (channels.branch(branch_id), channels.stamp("service")),
            (channels.service(service_id), channels.stamp("service")),
        ]
    )


@events.hours_changed.connect
def _on_hours_changed(sender, branch_id: int, **_):
    """Hours or closures edited: the board's open/closed badge, and the kiosk's offer
    (counter screens hear it too and find nothing changed for them)."""
    publish_many(
        [
            (channels.board(branch_id), render_board_update(branch_id, "hours", [])),
            (channels.branch(branch_id), channels.stamp("hours")),
        ]
    )


# The trip's block is part of the ticket's own page: a bare action on its own channel
# redraws that page whole (realtime/ticket.py); the line's other pages are untouched.
TRIP = "travel"


@events.trip_changed.connect
def _on_trip_changed(sender, ticket_tokens: list[str], **_):
    publish_many([(channels.ticket(token), TRIP) for token in ticket_tokens])
