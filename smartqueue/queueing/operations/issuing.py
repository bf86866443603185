"""Issuing a ticket: the next number of a service's queue, if every rule allows it (the
service and its queue open, the branch's hours, appointment-only services, capacity, the
customer's and the plan's limits). The hottest write of the product."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import make_transient_to_detached

from ... import clock
from ...accounts.secrets import new_token
from ...events import announce_tickets
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import (
    ACTIVE_STATUSES,
    Channel,
    NotificationKind,
    Priority,
    Queue,
    QueueStatus,
    Service,
    Ticket,
    TicketStatus,
    User,
)
from ...payments.fees import fcfa, ticket_fee
from ...work import begin_write, unit_of_work
from .. import rules, statements
from ..errors import LimitReached, PaymentRequired, QueueUnavailable, UnknownService
from ..numbering import take_next
from ..queries import wait_range
from ..strategies import rank_key

# Taken away from a screen (a kiosk, a counter, a call): the number and the place in
# line are told by SMS or email. On the web the page says it; by SMS, the reply does.
TOLD_AT_ISSUE = (Channel.KIOSK, Channel.COUNTER, Channel.PHONE)


# Where a customer takes a ticket alone: a paying queue's ticket is paid first there.
PAID_BEFORE_ISSUE = (Channel.WEB, Channel.MOBILE, Channel.SMS, Channel.KIOSK)


@unit_of_work
def issue_ticket(
    service: Service | int,
    *,
    channel: Channel,
    priority: Priority = Priority.NORMAL,
    customer: User | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    locale: str = "fr",
    appointment_at: datetime | None = None,
    by: User | None = None,
    at_branch: int | None = None,
) -> Ticket:
    """Give a customer the next number of a service's queue, if every rule allows it.

    `service`: the service or its id (a kiosk's request has no use for the object).
    `at_branch`: where the ticket is asked for (a kiosk's branch): a service of any other
    branch is refused as unknown."""
    # Read the id before begin_write, which may expire the object (SQLite).
    service_id = service if isinstance(service, int) else service.id
    begin_write(db.session)
    issued = issue_in_unit_of_work(
        service_id,
        at_branch=at_branch,
        channel=channel,
        priority=priority,
        customer=customer,
        contact_email=contact_email,
        contact_phone=contact_phone,
        locale=locale,
        appointment_at=appointment_at,
        by=by,
    )
    values = issued.values
    if channel in TOLD_AT_ISSUE and (
        values["contact_email"] or values["contact_phone"]
    ):
        enqueue(
            notices.notify_ticket,
            issued.id,
            NotificationKind.TICKET_ISSUED.value,
            key=notices.notice_key(issued.id, "issued"),
        )
    db.session.commit()
    announce_tickets(
        [issued.id], issued.branch_id, "issue", line_moved=not issued.at_the_back()
    )
    return issued.attach()  # after the commit, which would have expired it


def issue_in_unit_of_work(
    service_id: int,
    *,
    channel: Channel,
    priority: Priority,
    customer: User | None,
    contact_email: str | None,
    contact_phone: str | None,
    locale: str,
    appointment_at: datetime | None,
    by: User | None,
    arrived_at: datetime | None = None,
    transferred_from: Ticket | None = None,
    at_branch: int | None = None,
    paid: bool = False,
) -> "Issued":
    """Issue inside the caller's unit of work, which holds the write lock, commits and
    announces (an appointment's check-in, a transfer).

    The hottest write of the product, so it speaks SQLAlchemy Core with statements built
    once (statements.py): one read of every rule's inputs, the limits that apply, the
    number, and two inserts. No ORM flush; the caller gets the new ticket's values and
    makes it an ORM object when it needs one (`Issued.attach`).
    """
    _from = transferred_from
    conn = db.session.connection()
    now = clock.now()
    day = clock.today()
    local = clock.local(now)
    inputs = statements.issue_inputs(conn, service_id, local)
    if inputs is None:  # no such service, or one whose queue was never needed yet
        service = db.session.get(Service, service_id)
        if service is None:
            raise UnknownService(_l("Ce service n'existe pas."))
        get_queue(service)
        inputs = statements.issue_inputs(conn, service_id, local)
    if at_branch is not None and inputs.branch_id != at_branch:
        raise UnknownService(_l("Ce service n'existe pas."))
    if (
        not inputs.service_active
        or not inputs.branch_active
        or not inputs.organization_active
    ):
        raise QueueUnavailable(_l("Ce service n'est pas disponible."))
    if inputs.queue_status is not QueueStatus.ACTIVE:
        raise QueueUnavailable(_l("Cette file est fermée pour le moment."))
    if inputs.requires_appointment and appointment_at is None and _from is None:
        raise QueueUnavailable(_l("Ce service est uniquement sur rendez-vous."))
    fee = ticket_fee(inputs.queue_type)
    if fee and not paid and _from is None and channel in PAID_BEFORE_ISSUE:
        # The ticket is made by its payment (payments/fulfilment.py); at a counter the
        # agent takes the fee.
        raise PaymentRequired(
            _l(
                "Un ticket de ce service coûte %(fee)s, à payer avant de le recevoir.",
                fee=fcfa(fee),
            )
        )
    reason = rules.closed_reason_for(
        local, inputs.opens_at, inputs.closes_at, inputs.closed_today
    )
    if reason and _from is None:
        raise QueueUnavailable(reason)
    if customer is not None:
        _check_customer_limits(customer, service_id, day)
    if inputs.capacity and not statements.has_room(conn, service_id):
        raise LimitReached(_l("Cette file est complète. Réessayez plus tard."))
    plan_limit = rules.PLAN_TICKETS_PER_DAY.get(inputs.plan)
    # Only a limited plan counts tickets per organization: the counter's row lock would
    # otherwise serialise every issue across all of an organization's branches.
    if (
        plan_limit is not None
        and take_next("org", inputs.organization_id, day, plan_limit) is None
    ):
        raise LimitReached(
            _l(
                "Le nombre de tickets du jour est atteint pour cette organisation : "
                "sa formule en permet %(limit)s par jour.",
                limit=plan_limit,
            )
        )
    arrived = arrived_at or now
    rank = rank_key(inputs.strategy, priority, arrived)
    told = None
    if _from is None:
        told = wait_range(*statements.wait_inputs(conn, service_id, rank))
    values = statements.new_ticket_values(
        token=new_token()[:32],
        branch_id=inputs.branch_id,
        service_id=service_id,
        day=day,
        status=TicketStatus.WAITING,
        priority=priority,
        channel=channel,
        customer_id=customer.id if customer else None,
        contact_email=contact_email or (customer.email if customer else None),
        contact_phone=contact_phone or (customer.phone if customer else None),
        locale=locale if locale in ("fr", "wo", "en") else "fr",
        rank_key=rank,
        appointment_at=appointment_at,
        arrived_at=arrived,
        created_at=now,
        transferred_from_id=_from.id if _from else None,
        told_minutes=told.minutes if told else None,
        told_low=told.low if told else None,
        told_high=told.high if told else None,
    )
    event = {
        "from_status": None,
        "to_status": TicketStatus.WAITING.value,
        "action": "transfer_in" if _from else "issue",
        "at": now,
        "by_user_id": by.id if by else None,
        "counter_id": None,
        "note": _from.code if _from else channel.value,
    }
    if _from is not None:
        # The customer holds a paper with this code: it stays theirs in the new line,
        # which gives it no number (see Ticket.number).
        ticket_id = statements.insert_transferred_ticket(
            conn, _from.code, values, event
        )
        values["number"], values["code"] = None, _from.code
        return Issued(ticket_id, values)
    ticket_id, number = statements.insert_numbered_ticket(
        conn, inputs.prefix, values, event
    )
    values["number"] = number
    values["code"] = statements.ticket_code(inputs.prefix, number)
    return Issued(ticket_id, values)


class Issued:
    """A ticket just written by `issue_in_unit_of_work`: its values, and the ORM object on demand."""

    def __init__(self, ticket_id: int, values: dict):
        self.id = ticket_id
        self.values = values

    @property
    def branch_id(self) -> int:
        return self.values["branch_id"]

    def at_the_back(self) -> bool:
        """Whether it joined behind everyone waiting (nobody's position moved): a normal
        ticket arriving now, neither transferred nor from an appointment."""
        values = self.values
        return (
            values["priority"] is Priority.NORMAL
            and values["appointment_at"] is None
            and values["transferred_from_id"] is None
            and values["arrived_at"] == values["created_at"]
        )

    def attach(self) -> Ticket:
        """The ticket as an ORM object in the session, without reading it back: what was
        written is what it holds (anything else loads on first use)."""
        ticket = Ticket(id=self.id, **self.values)
        make_transient_to_detached(ticket)
        db.session.add(ticket)
        return ticket


def _check_customer_limits(customer: User, service_id: int, day) -> None:
    """One active ticket per customer and line, and a few tickets a day."""
    active = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.customer_id == customer.id,
            Ticket.service_id == service_id,
            Ticket.status.in_(ACTIVE_STATUSES),
        )
    )
    if active:
        raise LimitReached(_l("Vous avez déjà un ticket en cours dans cette file."))
    today = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.customer_id == customer.id, Ticket.day == day
        )
    )
    if today >= rules.CUSTOMER_TICKETS_PER_DAY:
        raise LimitReached(
            _l(
                "Vous avez atteint la limite de %(n)s tickets par jour.",
                n=rules.CUSTOMER_TICKETS_PER_DAY,
            )
        )


def get_queue(service: Service) -> Queue:
    """The service's queue, created with the defaults the first time it is needed."""
    if service.queue is None:
        service.queue = Queue()
        db.session.flush()
    return service.queue
