"""Appointments: weekly slots, booking that never overbooks, payment lapse, reminders, and
check-in into the queue.

Checked-in appointments follow their ticket (called, served, missed...): this package
listens to the queue engine's announcements from the moment it is imported.
"""

import logging

from .. import events

log = logging.getLogger(__name__)


@events.tickets_changed.connect
def _follow_tickets(
    sender, ticket_ids: list[int] | None = None, action: str | None = None, **_
):
    if action == "issue":  # a new ticket: check-in already set its appointment's state
        return
    from ..extensions import db
    from .arrival import follow_tickets

    try:
        follow_tickets(ticket_ids or [])
    except Exception:  # the engine's move is committed; the periodic job catches up
        db.session.rollback()
        log.exception("appointments could not follow tickets %s", ticket_ids)
