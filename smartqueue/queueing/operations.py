"""Writes of the queue engine. Each function is one unit of work: lock, check, move, write
the notifications it wants in the job outbox, commit, then announce (signals). Every move is
recorded with who and when.
"""

import functools
import math
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import make_transient_to_detached

from .. import clock
from ..accounts.secrets import new_token
from ..errors import DomainError
from ..extensions import db
from ..jobs import enqueue
from ..models import (
    ACTIVE_STATUSES,
    Channel,
    Counter,
    CounterEvent,
    CounterStatus,
    Priority,
    Queue,
    QueueStatus,
    Service,
    Strategy,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
    begin_write,
)
from . import events, queries, rules, statements
from .errors import (
    CounterUnavailable,
    IllegalMove,
    LimitReached,
    QueueUnavailable,
    UnknownService,
)
from .numbering import take_next
from .strategies import key_between, rank_key


def unit_of_work(operation):
    """A refused operation leaves nothing behind: roll back (and free the write lock)."""

    @functools.wraps(operation)
    def run(*args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise

    return run


def _record(
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


def _announce(
    ticket_ids: list[int],
    branch_id: int,
    action: str,
    counter_id: int | None = None,
    line_moved: bool = True,
) -> None:
    """Tell listeners (live screens) after commit; their failure must not undo the move.
    `line_moved`: whether other waiting tickets' positions may have changed."""
    events.announce(
        events.tickets_changed,
        branch_id=branch_id,
        ticket_ids=ticket_ids,
        action=action,
        counter_id=counter_id,
        line_moved=line_moved,
    )


def _locked_ticket(ticket: Ticket) -> Ticket:
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


def _locked_counter(counter_id: int) -> Counter:
    """The counter's row, locked until commit, with its state fresh (inside a write)."""
    return db.session.scalar(
        select(Counter)
        .where(Counter.id == counter_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def check_holder(counter: Counter, by: User) -> None:
    """Only the agent holding a counter works at it; the others take it over first."""
    if counter.agent_id is None or counter.agent_id == by.id:
        return
    since = clock.local(counter.agent_since) if counter.agent_since else None
    raise CounterUnavailable(
        _l(
            "%(name)s tient ce guichet depuis %(time)s : prenez-le pour y travailler.",
            name=counter.agent.display_name if counter.agent else "?",
            time=since.strftime("%H:%M") if since else "?",
        )
    )


def _hold(counter: Counter, by: User, action: str) -> None:
    """`by` holds the counter from now on; the change is written in its log."""
    db.session.add(
        CounterEvent(
            counter_id=counter.id,
            action=action,
            at=clock.now(),
            by_user_id=by.id,
            from_user_id=counter.agent_id,
        )
    )
    counter.agent_id, counter.agent_since = by.id, clock.now()


def _check_ticket_counter(ticket: Ticket, by: User) -> None:
    """A ticket at a counter is moved by the agent holding it (locked: a takeover waits)."""
    if ticket.counter_id is not None:
        check_holder(_locked_counter(ticket.counter_id), by)


def get_queue(service: Service) -> Queue:
    """The service's queue, created with the defaults the first time it is needed."""
    if service.queue is None:
        service.queue = Queue()
        db.session.flush()
    return service.queue


# --- issuing ---------------------------------------------------------------------------------


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
    issued = _issue(
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
    db.session.commit()
    _announce(
        [issued.id], issued.branch_id, "issue", line_moved=not issued.at_the_back()
    )
    return issued.attach()  # after the commit, which would have expired it


def _issue(
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
) -> "Issued":
    """Issue inside the caller's unit of work (which holds the write lock and commits).

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
            _l("Le nombre de tickets du jour est atteint pour cette organisation.")
        )
    arrived = arrived_at or now
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
        rank_key=rank_key(inputs.strategy, priority, arrived),
        appointment_at=appointment_at,
        arrived_at=arrived,
        created_at=now,
        transferred_from_id=_from.id if _from else None,
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
    """A ticket just written by `_issue`: its values, and the ORM object on demand."""

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


# --- the customer's moves --------------------------------------------------------------------


@unit_of_work
def cancel_ticket(ticket: Ticket, *, by: User | None = None) -> Ticket:
    """Cancel a waiting or called ticket (the customer, or staff for them)."""
    ticket = _locked_ticket(ticket)
    _record(ticket, TicketStatus.CANCELLED, "cancel", by=by)
    ticket.finished_at = clock.now()
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "cancel", ticket.counter_id)
    return ticket


@unit_of_work
def let_others_pass(
    ticket: Ticket, *, by: User | None = None, places: int = rules.PASS_PLACES
) -> Ticket:
    """Step back a few places in the line (a limited number of times)."""
    ticket = _locked_ticket(ticket)
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
        _record(ticket, TicketStatus.WAITING, "pass", by=by, counter=ticket.counter)
        ticket.counter_id = ticket.agent_id = ticket.called_at = None
        ticket.recall_count = 0
    else:
        _record(ticket, TicketStatus.WAITING, "pass", by=by)
    ticket.pass_count += 1
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "pass", was_called_at)
    return ticket


# --- the agent's moves -----------------------------------------------------------------------


@unit_of_work
def call_next(counter: Counter, *, by: User) -> Ticket | None:
    """Call the best waiting ticket among the services this counter handles (None if empty).

    PostgreSQL: FOR UPDATE SKIP LOCKED hands each ticket to exactly one caller; SQLite:
    the write lock taken at BEGIN serialises callers.
    """
    counter_id = counter.id
    begin_write(db.session)
    counter = _ready_to_call(counter_id, by)
    queues = [
        s.queue
        for s in counter.services
        if s.is_active and s.queue is not None and s.queue.status is QueueStatus.ACTIVE
    ]
    if not queues:
        db.session.commit()
        return None
    now = clock.now()
    ticket = None
    by_appointment = [
        q.service_id for q in queues if q.strategy is Strategy.APPOINTMENT_FIRST
    ]
    if by_appointment:  # due appointments first; skipped entirely for other strategies
        ticket = _take_head(
            _waiting(by_appointment)
            .where(Ticket.appointment_at.is_not(None), Ticket.appointment_at <= now)
            .order_by(Ticket.appointment_at, Ticket.id)
        )
    if ticket is None:
        ticket = _take_next_in_line([q.service_id for q in queues])
    if ticket is None:
        db.session.commit()
        return None
    _record(ticket, TicketStatus.CALLED, "call", by=by, counter=counter)
    ticket.called_at, ticket.counter_id, ticket.agent_id = now, counter.id, by.id
    _notify_after_call(ticket)
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "call", counter.id)
    return ticket


def _ready_to_call(counter_id: int, by: User) -> Counter:
    """Lock the counter and check that `by` may call at it now. An open counter nobody
    holds (opened before holders were recorded) goes to the first agent who calls."""
    counter = _locked_counter(counter_id)
    if counter.status is not CounterStatus.OPEN:
        raise CounterUnavailable(_l("Ouvrez le guichet avant d'appeler."))
    check_holder(counter, by)
    if queries.get_current_ticket(counter) is not None:
        raise IllegalMove(_l("Terminez d'abord le ticket en cours."))
    if counter.agent_id is None:
        _hold(counter, by, "open")
    return counter


OUT_OF_TURN_REASON_MAX = 120


@unit_of_work
def call_out_of_turn(
    counter: Counter, ticket_id: int, *, reason: str, by: User
) -> Ticket:
    """Call a chosen waiting ticket of the counter's services before its turn, saying why
    (written in the ticket's history). PostgreSQL: the ticket's row lock makes a
    concurrent "call next" skip it, or this call wait and find it gone."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise IllegalMove(
            _l("Dites pourquoi ce ticket passe avant son tour."), "reason"
        )
    if len(reason) > OUT_OF_TURN_REASON_MAX:
        raise IllegalMove(
            _l(
                "Raison trop longue (%(n)s caractères au plus).",
                n=OUT_OF_TURN_REASON_MAX,
            ),
            "reason",
        )
    counter_id = counter.id
    begin_write(db.session)
    counter = _ready_to_call(counter_id, by)
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None or ticket.service_id not in {s.id for s in counter.services}:
        raise IllegalMove(_l("Ce ticket n'est pas dans les files de ce guichet."))
    if ticket.status is not TicketStatus.WAITING:
        raise IllegalMove(_l("Ce ticket n'attend plus : il a peut-être été appelé."))
    _record(
        ticket,
        TicketStatus.CALLED,
        "call_out_of_turn",
        by=by,
        counter=counter,
        note=reason,
    )
    ticket.called_at, ticket.counter_id, ticket.agent_id = (
        clock.now(),
        counter.id,
        by.id,
    )
    _notify_after_call(ticket)
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "call", counter.id)
    return ticket


def _waiting(service_ids: list[int]):
    return select(Ticket).where(
        Ticket.service_id.in_(service_ids), Ticket.status == TicketStatus.WAITING
    )


def _take_head(query) -> Ticket | None:
    """Lock and return the first row of a waiting-line query that nobody else holds."""
    return db.session.scalar(
        query.limit(1).with_for_update(skip_locked=True, of=Ticket)
    )


def _take_next_in_line(service_ids: list[int]) -> Ticket | None:
    """The best waiting ticket across services, each line read from the head of its index.

    One ORDER BY over several services would sort all their waiting tickets; instead, peek
    at each service's head (an index lookup), then take the best service's head with
    SKIP LOCKED. If a concurrent caller emptied that line meanwhile, fall back to the
    general query.
    """
    in_rank = (Ticket.rank_key, Ticket.id)
    if len(service_ids) > 1:
        heads = []
        for service_id in service_ids:
            head = db.session.execute(
                select(Ticket.rank_key, Ticket.id, Ticket.service_id)
                .where(
                    Ticket.service_id == service_id,
                    Ticket.status == TicketStatus.WAITING,
                )
                .order_by(*in_rank)
                .limit(1)
            ).first()
            if head is not None:
                heads.append(head)
        if not heads:
            return None
        best = min(heads)
        ticket = _take_head(_waiting([best.service_id]).order_by(*in_rank))
        if ticket is not None:
            return ticket
    return _take_head(_waiting(service_ids).order_by(*in_rank))


@unit_of_work
def recall(ticket: Ticket, *, by: User) -> Ticket:
    """Call the same ticket again (up to MAX_RECALLS times)."""
    ticket = _locked_ticket(ticket)
    _check_ticket_counter(ticket, by)
    if ticket.status is not TicketStatus.CALLED:
        raise IllegalMove(_l("Seul un ticket appelé peut être rappelé."))
    if ticket.recall_count >= rules.MAX_RECALLS:
        raise LimitReached(
            _l("Déjà rappelé %(n)s fois : marquez-le absent.", n=rules.MAX_RECALLS)
        )
    ticket.recall_count += 1
    _record(ticket, TicketStatus.CALLED, "recall", by=by, counter=ticket.counter)
    ticket.called_at = clock.now()
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "recall", ticket.counter_id)
    return ticket


@unit_of_work
def start_serving(ticket: Ticket, *, by: User) -> Ticket:
    """The customer is at the counter."""
    ticket = _locked_ticket(ticket)
    _check_ticket_counter(ticket, by)
    _record(ticket, TicketStatus.SERVING, "start", by=by, counter=ticket.counter)
    ticket.serving_at = clock.now()
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "start", ticket.counter_id)
    return ticket


@unit_of_work
def finish(ticket: Ticket, *, by: User) -> Ticket:
    """Served."""
    ticket = _locked_ticket(ticket)
    _check_ticket_counter(ticket, by)
    if ticket.status is TicketStatus.CALLED:  # served straight away, without "start"
        _record(ticket, TicketStatus.SERVING, "start", by=by, counter=ticket.counter)
        ticket.serving_at = clock.now()
    _record(ticket, TicketStatus.SERVED, "finish", by=by, counter=ticket.counter)
    ticket.finished_at = clock.now()
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "finish", ticket.counter_id)
    return ticket


@unit_of_work
def mark_no_show(ticket: Ticket, *, by: User) -> Ticket:
    """The customer did not come after being called (and recalled up to the limit)."""
    ticket = _locked_ticket(ticket)
    _check_ticket_counter(ticket, by)
    if ticket.status is TicketStatus.CALLED and ticket.recall_count < rules.MAX_RECALLS:
        raise IllegalMove(
            _l(
                "Rappelez d'abord le ticket (%(n)s fois) avant de le marquer absent.",
                n=rules.MAX_RECALLS,
            )
        )
    _record(ticket, TicketStatus.NO_SHOW, "no_show", by=by, counter=ticket.counter)
    ticket.finished_at = clock.now()
    db.session.commit()
    _announce([ticket.id], ticket.branch_id, "no_show", ticket.counter_id)
    return ticket


@unit_of_work
def transfer(
    ticket: Ticket, target: Service, *, by: User, keep_arrival: bool = True
) -> Ticket:
    """Send a waiting or called ticket to another service of the branch: a new ticket there
    with the same code, linked to the old one and, by default, keeping its original
    arrival time."""
    ticket = _locked_ticket(ticket)
    _check_ticket_counter(ticket, by)
    if target.branch_id != ticket.branch_id or target.id == ticket.service_id:
        raise IllegalMove(_l("Choisissez un autre service de la même agence."))
    _record(
        ticket,
        TicketStatus.TRANSFERRED,
        "transfer",
        by=by,
        counter=ticket.counter,
        note=target.prefix,
    )
    ticket.finished_at = clock.now()
    old_counter = ticket.counter_id
    new = _issue(
        target.id,
        channel=Channel.COUNTER,
        priority=ticket.priority,
        customer=None,
        contact_email=ticket.contact_email,
        contact_phone=ticket.contact_phone,
        locale=ticket.locale,
        appointment_at=ticket.appointment_at,
        by=by,
        arrived_at=ticket.arrived_at if keep_arrival else None,
        transferred_from=ticket,
    ).attach()
    new.customer_id = ticket.customer_id
    db.session.commit()
    _announce([ticket.id, new.id], ticket.branch_id, "transfer", old_counter)
    return new


# --- counters and queues ---------------------------------------------------------------------


@unit_of_work
def set_counter_status(counter: Counter, status: CounterStatus, *, by: User) -> Counter:
    """Open, pause or close a counter (a counter with a customer at it cannot close).
    Opening makes `by` its holder; pausing or closing frees it. A counter another agent
    holds is taken over first (take_over_counter)."""
    counter_id = counter.id
    begin_write(db.session)
    counter = _locked_counter(counter_id)
    check_holder(counter, by)
    if (
        status is CounterStatus.CLOSED
        and queries.get_current_ticket(counter) is not None
    ):
        raise CounterUnavailable(_l("Terminez d'abord le ticket en cours."))
    if status is CounterStatus.OPEN:
        if counter.agent_id is None:
            _hold(counter, by, "open")
    elif counter.status is not status or counter.agent_id is not None:
        db.session.add(
            CounterEvent(
                counter_id=counter.id,
                action=status.value,
                at=clock.now(),
                by_user_id=by.id,
                from_user_id=counter.agent_id,
            )
        )
        counter.agent_id = counter.agent_since = None
    counter.status = status
    db.session.commit()
    events.announce(
        events.counter_changed, branch_id=counter.branch_id, counter_id=counter.id
    )
    return counter


@unit_of_work
def take_over_counter(counter: Counter, *, by: User) -> Counter:
    """Take a counter another agent holds (or nobody does): `by` holds it, open, from
    now; the log says from whom. The other agent's buttons stop working there."""
    counter_id = counter.id
    begin_write(db.session)
    counter = _locked_counter(counter_id)
    if counter.agent_id != by.id:
        _hold(counter, by, "take_over" if counter.agent_id else "open")
    counter.status = CounterStatus.OPEN
    db.session.commit()
    events.announce(
        events.counter_changed, branch_id=counter.branch_id, counter_id=counter.id
    )
    return counter


@unit_of_work
def set_queue_status(queue: Queue, status: QueueStatus, *, by: User) -> Queue:
    """Open, pause or close a queue (what waits stays; only new tickets are refused)."""
    queue_id = queue.id
    begin_write(db.session)
    queue = db.session.get(
        Queue, queue_id, with_for_update=True, populate_existing=True
    )
    queue.status = status
    service = queue.service
    db.session.commit()
    current_app.logger.info(
        "queue of service %s set to %s by user %s", service.id, status.value, by.id
    )
    events.announce(
        events.service_changed, branch_id=service.branch_id, service_id=service.id
    )
    return queue


# --- notifications ---------------------------------------------------------------------------


def _notify_after_call(called: Ticket) -> None:
    """Tell the called customer, and those now within "notify N turns before" (jobs,
    once each: one pending outbox row per notice). In call_next's unit of work."""
    from ..jobs import notify

    if called.contact_email and called.called_notified_at is None:
        enqueue(
            notify.notify_ticket,
            called.id,
            "called",
            key=notify.notice_key(called.id, "called"),
        )
    queue = called.service.queue
    ahead_limit = queue.notify_before if queue else 3
    near = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.service_id == called.service_id,
            Ticket.status == TicketStatus.WAITING,
        )
        .order_by(Ticket.rank_key, Ticket.id)
        .limit(ahead_limit)
    ).all()
    for ticket in near:
        if ticket.contact_email and ticket.near_notified_at is None:
            enqueue(
                notify.notify_ticket,
                ticket.id,
                "near",
                key=notify.notice_key(ticket.id, "near"),
            )
