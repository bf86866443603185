"""Telling a ticket's holder that their turn is near, or has come (by email, once)."""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from .. import clock
from ..extensions import db
from ..models import Ticket, TicketStatus
from .mail import deliver

KINDS = {
    "near": (Ticket.near_notified_at, TicketStatus.WAITING),
    "called": (Ticket.called_notified_at, TicketStatus.CALLED),
}


def notify_ticket(ticket_id: int, kind: str) -> bool:
    """Email the holder of a ticket that it is near ('near') or called ('called'), once."""
    column, status = KINDS[kind]
    # Claim the notice with one conditional UPDATE: a second job for it finds nothing to do.
    claimed = db.session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            column.is_(None),
            Ticket.status == status,
            Ticket.contact_email.is_not(None),
        )
        .values({column: clock.now()})
        .returning(Ticket.id)
    ).scalar()
    db.session.commit()
    if claimed is None:
        return False
    ticket = db.session.get(Ticket, ticket_id)
    with force_locale(ticket.locale):
        if kind == "called":
            subject = _(
                "C'est votre tour : ticket %(code)s, guichet %(n)s",
                code=ticket.code,
                n=ticket.counter.number if ticket.counter else "",
            )
        else:
            subject = _("Votre tour approche : ticket %(code)s", code=ticket.code)
    try:
        deliver(
            ticket.contact_email,
            subject,
            f"ticket_{kind}",
            ticket.locale,
            ticket=ticket,
        )
    except Exception:
        # Give the notice back so that a retry can send it; then let RQ record the failure.
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values({column: None})
        )
        db.session.commit()
        raise
    return True
