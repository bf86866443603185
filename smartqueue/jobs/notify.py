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
    ticket = db.session.get(Ticket, ticket_id)
    if (
        ticket is None
        or ticket.status is not status
        or not ticket.contact_email
        or getattr(ticket, column.key) is not None
    ):
        return False
    # The outbox row is the claim (one pending row per notice, leased while it runs), so
    # the notice is marked after sending: a worker killed mid-send leaves it unmarked
    # and the retry sends it (a claim made before sending would have been lost with it).
    with force_locale(ticket.locale):
        if kind == "called":
            subject = _(
                "C'est votre tour : ticket %(code)s, guichet %(n)s",
                code=ticket.code,
                n=ticket.counter.number if ticket.counter else "",
            )
        else:
            subject = _("Votre tour approche : ticket %(code)s", code=ticket.code)
    deliver(
        ticket.contact_email, subject, f"ticket_{kind}", ticket.locale, ticket=ticket
    )
    # End the read first: on SQLite a read turned write fails at once if anyone wrote
    # meanwhile, and the mail just sent would then be sent again by the retry.
    db.session.commit()
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket_id).values({column: clock.now()})
    )
    db.session.commit()
    return True


def notice_key(ticket_id: int, kind: str) -> str:
    """The outbox key allowing one pending job per ticket notice."""
    return f"notify_ticket:{ticket_id}:{kind}"
