"""After each commit, the queue engine's signals become messages on the live channels.

Runs in whichever process made the change (a web process or an RQ worker): rendering the
board's fragment once here, and publishing it, is what lets every process relay it.
"""

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Ticket
from ..queueing import events
from . import channels
from .broker import publish


@events.tickets_changed.connect
def _on_tickets_changed(
    sender,
    branch_id: int,
    ticket_ids: list[int],
    action: str,
    counter_id: int | None = None,
    **_,
):
    from ..web.board.live import (
        render_board_update,
    )  # the interface renders its fragment

    publish(
        channels.board(branch_id), render_board_update(branch_id, action, ticket_ids)
    )
    publish(channels.branch(branch_id), action)
    if ticket_ids:
        rows = db.session.execute(
            select(Ticket.token, Ticket.service_id).where(Ticket.id.in_(ticket_ids))
        ).all()
        for token, _service in rows:
            publish(channels.ticket(token), action)
        for service_id in {service_id for _, service_id in rows}:
            publish(channels.service(service_id), action)
    current_app.logger.debug("published %s on branch %s", action, branch_id)


@events.counter_changed.connect
def _on_counter_changed(sender, branch_id: int, counter_id: int, **_):
    from ..web.board.live import render_board_update

    publish(channels.board(branch_id), render_board_update(branch_id, "counter", []))
    publish(channels.branch(branch_id), "counter")
