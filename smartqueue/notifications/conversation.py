"""Answering one message received from a phone number (SMS today, USSD later): take a
ticket, say where it is, cancel it, stop or restart SMS, answer an appointment's
reminder, or explain how to write. Channel-free: the web hook hands it the gateway's
id, the sender and the text, and gets back the reply.

Each message is one unit of work: its row (unique per gateway and message id) is
written first, so a gateway's retry or a replayed request finds it and gets the same
reply with nothing done again; then the command acts; the reply is stored on the row
and written as a notification (SMS_REPLY, sent once by the send job) before the
commit. A refusal (closed queue, unknown branch, a limit) is the reply, never an error.
Answering an appointment's reminder is the appointments package's own unit of work: the
message's row is committed before it, the reply after it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..accounts.errors import InvalidPhone
from ..accounts.phones import normalize_phone
from ..appointments import operations as appointments
from ..errors import DomainError
from ..events import announce_tickets
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Branch,
    Channel,
    DeliveryChannel,
    InboundMessage,
    NotificationKind,
    Priority,
    QueueStatus,
    Service,
    Ticket,
    TicketStatus,
    User,
)
from ..queueing import operations as queueing
from ..queueing.operations.history import record_move
from ..queueing.queries import count_ahead, estimate_wait
from ..work import begin_write
from . import operations, texts
from .keywords import Command, Kind, parse
from .recipients import Holder
from .writing import Notice, write

log = logging.getLogger(__name__)

K = NotificationKind
# More messages than this from one number within a minute get no ticket: the first one
# over is told so, the next ones get no reply at all (each reply costs an SMS).
INBOUND_PER_MINUTE = 5
# The tickets STATUT and ANNULER look at, in the words of the partial index
# ix_ticket_live_day, so that SQLite reads a number's tickets of the day through it
# (ticket.contact_phone has no index of its own).
LIVE = sql("ticket.status IN ('waiting', 'called')")
LIVE_PER_NUMBER = 3  # a phone's tickets waiting at once, all lines and branches


@dataclass(frozen=True)
class Answer:
    """The reply to a message (None: nothing to say), the ticket it issued or was
    about, and whether the message had been received before (nothing done again)."""

    reply: str | None
    ticket_id: int | None = None
    replayed: bool = False
    ticket_code: str | None = None


@dataclass
class _Done:
    """What a command did: its reply, and where (for the reply's notification)."""

    reply: str
    ticket: Ticket | None = None
    branch_id: int | None = None
    organization_id: int | None = None
    announce: Callable[[], None] | None = None  # told the live screens after the commit


def answer(provider: str, message_id: str, sender: str, text: str) -> Answer:
    """Answer one message from `sender` (any form normalize_phone reads), once per
    (provider, message_id)."""
    try:
        phone = normalize_phone(sender)
    except InvalidPhone:
        phone = None
    if phone is None:
        log.info(
            "inbound %s:%s from an unknown number %r", provider, message_id, sender
        )
        return Answer(None)
    begin_write(db.session)
    inbound_id = _claim(provider, message_id, phone, text)
    if inbound_id is None:
        return _replay(provider, message_id)
    command = parse(text)
    paced = _paced(phone, command.locale)
    if paced is not None:
        done = _Done(paced) if paced else None
    elif command.kind in (Kind.YES, Kind.NO):
        done = _answer_reminder(command, phone)
    else:
        done = _act(command, phone)
    if done is None:
        db.session.commit()
        return Answer(None)
    _record(inbound_id, phone, command.locale, done)
    ticket = done.ticket
    ticket_id = ticket.id if ticket is not None else None
    code = ticket.code if ticket is not None else None
    db.session.commit()
    if done.announce is not None:
        done.announce()
    return Answer(done.reply, ticket_id, False, code)


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _claim(provider: str, message_id: str, phone: str, text: str) -> int | None:
    """The message's row, written once: its id, or None if it was received before."""
    return db.session.execute(
        _insert(InboundMessage)
        .values(
            provider=provider[:20],
            message_id=message_id[:120],
            sender=phone,
            # PostgreSQL stores no NUL; a phone's odd bytes are no reason to fail.
            text=(text or "").replace("\x00", "")[:500],
            received_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "message_id"])
        .returning(InboundMessage.id)
    ).scalar()


def _replay(provider: str, message_id: str) -> Answer:
    """The stored answer of a message received before (None while its first
    delivery is still being answered)."""
    row = db.session.execute(
        select(InboundMessage.reply, InboundMessage.ticket_id, Ticket.code)
        .outerjoin(Ticket, Ticket.id == InboundMessage.ticket_id)
        .where(
            InboundMessage.provider == provider[:20],
            InboundMessage.message_id == message_id[:120],
        )
    ).one()
    db.session.commit()
    return Answer(row.reply, row.ticket_id, True, row.code)


def _paced(phone: str, locale: str) -> str | None:
    """None if this number may be answered; else the reply for the first message over
    the limit, "" for the next ones (no reply)."""
    limit = int(current_app.config.get("SMS_INBOUND_PER_MINUTE") or INBOUND_PER_MINUTE)
    recent = db.session.scalar(
        select(func.count(InboundMessage.id)).where(
            InboundMessage.sender == phone,
            InboundMessage.received_at > clock.now() - timedelta(minutes=1),
        )
    )
    if recent <= limit:
        return None
    if recent > limit + 1:
        return ""
    with force_locale(locale):
        return _(
            "SmartQueue: trop de messages de ce numéro. Réessayez dans une minute."
        )


def _record(inbound_id: int, phone: str, locale: str, done: _Done) -> None:
    """Keep the reply on the message's row and write it as an SMS to the sender."""
    ticket_id = done.ticket.id if done.ticket is not None else None
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id)
        .values(reply=done.reply[:500], ticket_id=ticket_id)
    )
    write(
        K.SMS_REPLY,
        [
            Notice(
                holder=Holder(None, None, phone, locale),
                event=f"inbound:{inbound_id}",
                context={"message": done.reply},
                ticket_id=ticket_id,
                branch_id=done.branch_id,
                organization_id=done.organization_id,
            )
        ],
    )


# --- the commands ---------------------------------------------------------------------


def _act(command: Command, phone: str) -> _Done:
    """Run a command inside the message's unit of work; a refusal is its reply."""
    with force_locale(command.locale):
        try:
            with db.session.begin_nested():  # a refusal leaves nothing of its own
                return ACTIONS[command.kind](command, phone)
        except DomainError as refused:
            return _Done(f"SmartQueue: {refused.message}")


def _help(command: Command, phone: str) -> _Done:
    return _Done(
        _(
            "SmartQueue: pour un ticket, écrivez TICKET, le code de l'agence et la "
            "lettre du service, ex. TICKET PLATEAU A. STATUT pour suivre, ANNULER "
            "pour annuler."
        )
    )


def _ticket(command: Command, phone: str) -> _Done:
    branch = db.session.scalar(
        select(Branch).where(
            Branch.sms_code == command.branch_code,  # stored as the parser reads it
            Branch.is_active.is_(True),
        )
    )
    if branch is None:
        return _Done(
            _(
                "SmartQueue: aucune agence n'a le code %(code)s. Écrivez TICKET, le "
                "code affiché dans l'agence et la lettre du service.",
                code=command.branch_code,
            )
        )
    where = {"branch_id": branch.id, "organization_id": branch.organization_id}
    service, refusal = _pick_service(branch, command)
    if service is None:
        return _Done(refusal, **where)
    refusal = _number_limits(phone, service.id)
    if refusal:
        return _Done(refusal, **where)
    issued = queueing.issue_in_unit_of_work(
        service.id,
        at_branch=branch.id,
        channel=Channel.SMS,
        priority=Priority.NORMAL,
        customer=None,
        contact_email=None,
        contact_phone=phone,
        locale=command.locale,
        appointment_at=None,
        by=None,
    )
    # Asking for a ticket by SMS is asking for its notices by SMS, after a STOP too.
    operations.opt_in(DeliveryChannel.SMS, phone)
    ticket = issued.attach()
    ahead = count_ahead(ticket)
    context = texts.ticket_context(
        ticket, ahead, estimate_wait(ticket.service, ahead).minutes
    )
    return _Done(
        texts.words(K.TICKET_ISSUED, command.locale, **context).text,
        ticket,
        announce=partial(
            announce_tickets,
            [issued.id],
            issued.branch_id,
            "issue",
            line_moved=not issued.at_the_back(),
        ),
        **where,
    )


def _pick_service(branch: Branch, command: Command) -> tuple[Service | None, str]:
    """The service a TICKET message asks for, or why there is none."""
    services = list(
        db.session.scalars(
            select(Service)
            .where(Service.branch_id == branch.id, Service.is_active.is_(True))
            .order_by(Service.prefix)
        )
    )
    name = texts.cut(branch.name)
    if command.service_letter is not None:
        for service in services:
            if service.prefix.upper() == command.service_letter:
                return service, ""
        letters = ", ".join(s.prefix for s in services)
        return None, _(
            "SmartQueue: %(branch)s n'a pas de service %(letter)s. Services : "
            "%(letters)s.",
            branch=name,
            letter=command.service_letter,
            letters=letters or "-",
        )
    open_now = [
        s
        for s in services
        if s.queue is not None
        and s.queue.status is QueueStatus.ACTIVE
        and not s.requires_appointment
    ]
    if len(open_now) == 1:
        return open_now[0], ""
    if not open_now:
        return None, _(
            "SmartQueue: %(branch)s ne prend pas de ticket pour le moment.",
            branch=name,
        )
    return None, _(
        "SmartQueue: précisez le service (%(letters)s), ex. TICKET %(code)s "
        "%(letter)s.",
        letters=", ".join(s.prefix for s in open_now),
        code=command.branch_code,
        letter=open_now[0].prefix,
    )


def _number_limits(phone: str, service_id: int) -> str | None:
    """A number's limits, as an account's (issuing.py): one live ticket per line, and
    a few at once."""
    live = db.session.execute(
        select(Ticket.service_id, Ticket.code).where(
            Ticket.day == clock.today(), LIVE, Ticket.contact_phone == phone
        )
    ).all()
    for row in live:
        if row.service_id == service_id:
            return _(
                "SmartQueue: vous avez déjà le ticket %(code)s dans cette file. "
                "STATUT pour suivre.",
                code=row.code,
            )
    if len(live) >= LIVE_PER_NUMBER:
        return _(
            "SmartQueue: vous avez déjà %(n)s tickets en cours. Attendez d'être servi "
            "ou ANNULER.",
            n=len(live),
        )
    return None


def _live_ticket(phone: str, lock: bool = False) -> Ticket | None:
    """The number's latest waiting or called ticket of today."""
    statement = (
        select(Ticket)
        .where(Ticket.day == clock.today(), LIVE, Ticket.contact_phone == phone)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if lock:
        statement = statement.with_for_update().execution_options(
            populate_existing=True
        )
    return db.session.scalar(statement)


def _no_ticket() -> _Done:
    return _Done(
        _(
            "SmartQueue: aucun ticket en cours pour ce numéro. Pour en prendre un, "
            "écrivez TICKET, le code de l'agence et la lettre du service."
        )
    )


def _status(command: Command, phone: str) -> _Done:
    ticket = _live_ticket(phone)
    if ticket is None:
        return _no_ticket()
    where = {
        "ticket": ticket,
        "branch_id": ticket.branch_id,
        "organization_id": ticket.branch.organization_id,
    }
    if ticket.status is TicketStatus.CALLED:
        context = texts.ticket_context(ticket)
        return _Done(
            texts.words(K.TICKET_CALLED, command.locale, **context).text, **where
        )
    ahead = count_ahead(ticket)
    context = texts.ticket_context(
        ticket, ahead, estimate_wait(ticket.service, ahead).minutes
    )
    return _Done(
        _(
            "SmartQueue: ticket %(code)s, %(service)s, %(branch)s. %(ahead)s avant "
            "vous, env. %(minutes)s min. ANNULER pour annuler.",
            **context,
        ),
        **where,
    )


def _cancel(command: Command, phone: str) -> _Done:
    """Cancel the number's live ticket in this unit of work (queueing's cancel_ticket
    is a unit of work of its own: the message's row would be committed without its
    reply)."""
    ticket = _live_ticket(phone, lock=True)
    if ticket is None:
        return _no_ticket()
    counter_id = ticket.counter_id
    record_move(ticket, TicketStatus.CANCELLED, "cancel")
    ticket.finished_at = clock.now()
    context = texts.ticket_context(ticket)
    return _Done(
        texts.words(K.TICKET_CANCELLED, command.locale, **context).text,
        ticket,
        branch_id=ticket.branch_id,
        organization_id=ticket.branch.organization_id,
        announce=partial(
            announce_tickets, [ticket.id], ticket.branch_id, "cancel", counter_id
        ),
    )


def _stop(command: Command, phone: str) -> _Done:
    operations.opt_out(DeliveryChannel.SMS, phone)
    return _Done(
        _(
            "SmartQueue: vous ne recevrez plus nos SMS. Écrivez START pour les "
            "recevoir à nouveau."
        )
    )


def _start(command: Command, phone: str) -> _Done:
    operations.opt_in(DeliveryChannel.SMS, phone)
    return _Done(
        _("SmartQueue: vous recevrez à nouveau nos SMS. Écrivez STOP pour les arrêter.")
    )


ACTIONS = {
    Kind.TICKET: _ticket,
    Kind.STATUS: _status,
    Kind.CANCEL: _cancel,
    Kind.HELP: _help,
    Kind.UNKNOWN: _help,
    Kind.STOP: _stop,
    Kind.START: _start,
}


def _answer_reminder(command: Command, phone: str) -> _Done:
    """OUI / NON to a reminder: the number's next confirmed appointment that was
    reminded. answer_reminder is a unit of work of its own: the message's row is
    committed before it (a retry meanwhile finds it and does nothing), its reply after."""
    appointment = db.session.scalar(
        select(Appointment)
        .join(User, User.id == Appointment.customer_id)
        .where(
            User.phone == phone,
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at > clock.now(),
            or_(
                Appointment.reminder_24h_sent_at.is_not(None),
                Appointment.reminder_2h_sent_at.is_not(None),
            ),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    with force_locale(command.locale):
        if appointment is None:
            return _Done(
                _("SmartQueue: aucun rendez-vous n'attend de réponse de ce numéro.")
            )
        context = texts.appointment_context(appointment, command.locale)
        where = {
            "branch_id": appointment.branch_id,
            "organization_id": appointment.branch.organization_id,
        }
        db.session.commit()
        coming = command.kind is Kind.YES
        try:
            appointments.answer_reminder(appointment, coming=coming)
        except DomainError as refused:
            reply = f"SmartQueue: {refused.message}"
        else:
            reply = (
                _(
                    "SmartQueue: merci, RDV %(number)s du %(short_date)s à %(time)s "
                    "confirmé, %(branch)s.",
                    **context,
                )
                if coming
                else _(
                    "SmartQueue: RDV %(number)s du %(short_date)s à %(time)s annulé. "
                    "Merci de nous avoir prévenus.",
                    **context,
                )
            )
    begin_write(db.session)
    return _Done(reply, **where)
