"""The agent calls a customer to the counter: the next in line (by the queue's strategy),
a chosen ticket out of turn, or the same one again; a call emails the called customer and
those now near the head of the line."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import clock
from ...events import announce_tickets
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import (
    Counter,
    CounterStatus,
    NotificationKind,
    QueueStatus,
    Strategy,
    Ticket,
    TicketStatus,
    User,
)
from ...notifications.notices import has_contact
from ...work import begin_write, unit_of_work
from .. import queries, rules
from ..errors import CounterUnavailable, IllegalMove, LimitReached
from .counters import check_holder, check_ticket_counter, hold, locked_counter
from .history import lock_ticket, record_move


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
    record_move(ticket, TicketStatus.CALLED, "call", by=by, counter=counter)
    ticket.called_at, ticket.counter_id, ticket.agent_id = now, counter.id, by.id
    ticket.first_called_at = ticket.first_called_at or now
    _notify_after_call(ticket)
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "call", counter.id)
    return ticket


def _ready_to_call(counter_id: int, by: User) -> Counter:
    """Lock the counter and check that `by` may call at it now. An open counter nobody
    holds (opened before holders were recorded) goes to the first agent who calls."""
    counter = locked_counter(counter_id)
    if counter.status is not CounterStatus.OPEN:
        raise CounterUnavailable(_l("Ouvrez le guichet avant d'appeler."))
    check_holder(counter, by)
    if queries.get_current_ticket(counter) is not None:
        raise IllegalMove(_l("Terminez d'abord le ticket en cours."))
    if counter.agent_id is None:
        hold(counter, by, "open")
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
    record_move(
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
    ticket.first_called_at = ticket.first_called_at or ticket.called_at
    _notify_after_call(ticket)
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "call", counter.id)
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
    ticket = lock_ticket(ticket)
    check_ticket_counter(ticket, by)
    if ticket.status is not TicketStatus.CALLED:
        raise IllegalMove(_l("Seul un ticket appelé peut être rappelé."))
    if ticket.recall_count >= rules.MAX_RECALLS:
        raise LimitReached(
            _l("Déjà rappelé %(n)s fois : marquez-le absent.", n=rules.MAX_RECALLS)
        )
    ticket.recall_count += 1
    record_move(ticket, TicketStatus.CALLED, "recall", by=by, counter=ticket.counter)
    ticket.called_at = clock.now()
    db.session.commit()
    announce_tickets([ticket.id], ticket.branch_id, "recall", ticket.counter_id)
    return ticket


def _notify_after_call(called: Ticket) -> None:
    """Tell the called customer, and those now within "notify N turns before" (jobs,
    once each: one pending outbox row per notice). In call_next's unit of work."""
    if has_contact(called) and called.called_notified_at is None:
        enqueue(
            notices.notify_ticket,
            called.id,
            NotificationKind.TICKET_CALLED.value,
            key=notices.notice_key(called.id, "called"),
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
        if has_contact(ticket) and ticket.near_notified_at is None:
            enqueue(
                notices.notify_ticket,
                ticket.id,
                NotificationKind.TICKET_NEAR.value,
                key=notices.notice_key(ticket.id, "near"),
            )
