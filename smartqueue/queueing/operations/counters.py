"""Counters and queues: open, pause or close a counter, take over one another agent holds
(its holder is the only agent who works there), open or close a queue. Every change of
holder is written in the counter's log."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import clock, events
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import (
    Counter,
    CounterEvent,
    CounterStatus,
    Queue,
    QueueStatus,
    Ticket,
    User,
)
from ...work import begin_write, unit_of_work
from .. import queries
from ..errors import CounterUnavailable


def locked_counter(counter_id: int) -> Counter:
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


def hold(counter: Counter, by: User, action: str) -> None:
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


def check_ticket_counter(ticket: Ticket, by: User) -> None:
    """A ticket at a counter is moved by the agent holding it (locked: a takeover waits)."""
    if ticket.counter_id is not None:
        check_holder(locked_counter(ticket.counter_id), by)


@unit_of_work
def set_counter_status(counter: Counter, status: CounterStatus, *, by: User) -> Counter:
    """Open, pause or close a counter (a counter with a customer at it cannot close).
    Opening makes `by` its holder; pausing or closing frees it. A counter another agent
    holds is taken over first (take_over_counter)."""
    counter_id = counter.id
    begin_write(db.session)
    counter = locked_counter(counter_id)
    check_holder(counter, by)
    if (
        status is CounterStatus.CLOSED
        and queries.get_current_ticket(counter) is not None
    ):
        raise CounterUnavailable(_l("Terminez d'abord le ticket en cours."))
    if status is CounterStatus.OPEN:
        if counter.agent_id is None:
            hold(counter, by, "open")
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
    counter = locked_counter(counter_id)
    if counter.agent_id != by.id:
        hold(counter, by, "take_over" if counter.agent_id else "open")
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
    was = queue.status
    queue.status = status
    service = queue.service
    if status is not was and status in (QueueStatus.PAUSED, QueueStatus.CLOSED):
        enqueue(
            notices.notify_queue_status,
            service.id,
            status.value,
            clock.now().strftime("%Y%m%dT%H%M%S%f"),
        )
    db.session.commit()
    current_app.logger.info(
        "queue of service %s set to %s by user %s", service.id, status.value, by.id
    )
    events.announce(
        events.service_changed, branch_id=service.branch_id, service_id=service.id
    )
    return queue
