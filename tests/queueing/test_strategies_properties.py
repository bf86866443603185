"""The order of each strategy, as properties over random arrivals, through the real engine.

Each example issues tickets with the clock frozen at each arrival, then calls and finishes
them one by one at one counter, and compares the order served with the strategy's rule.
Many examples run on SQLite, a few on PostgreSQL (same engine, other locking).
"""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from smartqueue import clock, events
from smartqueue.models import (
    Channel,
    CounterStatus,
    DailyCounter,
    Priority,
    Strategy,
    Ticket,
    TicketEvent,
)
from smartqueue.queueing import operations as ops
from smartqueue.queueing.strategies import AGEING_SECONDS

OPENING = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # a Tuesday, 08:00 in Dakar
EXAMPLES = {"sqlite": 25, "postgresql": 3}
SERVICE_MINUTES = 5  # the clock moves on this much between two calls

minutes = st.integers(min_value=0, max_value=150)  # arrival, minutes after opening
priorities = st.sampled_from(list(Priority))
walk_ins = st.lists(st.tuples(minutes, priorities, st.none()), min_size=1, max_size=9)
# with appointments at 0-200 minutes after opening: some due when the calls start, some
# falling due while the line is served, some never before their holder's turn
booked = st.lists(
    st.tuples(
        minutes,
        priorities,
        st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
    ),
    min_size=1,
    max_size=9,
)


@pytest.fixture
def line(db, make_branch, make_service, make_counter, make_user):
    """One service at one open counter; `line.serve(arrivals, strategy)` runs a day."""
    branch = make_branch()
    service = make_service(branch, "S")
    counter = make_counter(branch, 1, [service])
    counter.status = CounterStatus.OPEN
    agent = make_user(role="agent", branch=branch)
    db.session.commit()

    class Line:
        def serve(self, strategy, people):
            """Issue (minute, priority, appointment) arrivals in time order, then call and
            finish until the line is empty; the issued tickets in the order served."""
            for model in (TicketEvent, Ticket, DailyCounter):  # a fresh day per example
                db.session.execute(delete(model))
            service.queue.strategy = strategy
            db.session.commit()
            issued = []
            for minute, priority, appointment_minute in sorted(
                people, key=lambda p: p[0]
            ):
                clock.freeze(OPENING + timedelta(minutes=minute))
                appointment_at = (
                    None
                    if appointment_minute is None
                    else OPENING + timedelta(minutes=appointment_minute)
                )
                ticket = ops.issue_ticket(
                    service,
                    channel=Channel.KIOSK,
                    priority=priority,
                    appointment_at=appointment_at,
                )
                issued.append(Arrival(ticket, minute, priority, appointment_minute))
            by_id = {a.id: a for a in issued}
            now = OPENING + timedelta(minutes=max(a.minute for a in issued))
            served = []
            while True:
                clock.freeze(now)
                ticket = ops.call_next(counter, by=agent)
                if ticket is None:
                    break
                served.append((by_id[ticket.id], now))
                ops.finish(ticket, by=agent)
                now += timedelta(minutes=SERVICE_MINUTES)
            assert len(served) == len(issued), "every ticket is served once"
            return issued, served

    # The live screens' announcements after each commit are read-only and tested with
    # the screens; muted here to keep hundreds of examples fast.
    with events.tickets_changed.muted():
        yield Line()
    clock.freeze(None)


class Arrival:
    def __init__(self, ticket, minute, priority, appointment_minute):
        self.id = ticket.id
        self.minute = minute
        self.priority = priority
        self.appointment_minute = appointment_minute

    def __repr__(self):
        return f"<#{self.id} +{self.minute}min {self.priority.value}>"


def check(backend):
    """Hypothesis settings for a property run on `backend` (fewer examples on PostgreSQL)."""
    return settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


def test_fifo_serves_in_arrival_order(db, backend, line):
    @check(backend)
    @given(walk_ins)
    def prop(people):
        issued, served = line.serve(Strategy.FIFO, people)
        assert [a for a, _ in served] == issued  # issued in arrival order

    prop()


def test_priority_serves_by_level_then_arrival(db, backend, line):
    @check(backend)
    @given(walk_ins)
    def prop(people):
        issued, served = line.serve(Strategy.PRIORITY, people)
        rank = {a.id: i for i, a in enumerate(issued)}
        expected = sorted(issued, key=lambda a: (-a.priority.level, rank[a.id]))
        assert [a for a, _ in served] == expected
        # urgent > high > medium > normal: levels never go up along the order served
        levels = [a.priority.level for a, _ in served]
        assert levels == sorted(levels, reverse=True)

    prop()


def test_mixed_never_starves_a_normal_ticket(db, backend, line):
    @check(backend)
    @given(walk_ins)
    def prop(people):
        issued, served = line.serve(Strategy.MIXED, people)
        position = {a.id: i for i, (a, _) in enumerate(served)}
        for normal in (a for a in issued if a.priority is Priority.NORMAL):
            for later in issued:
                if (later.minute - normal.minute) * 60 > 3 * AGEING_SECONDS:
                    assert position[normal.id] < position[later.id], (normal, later)
        # and the whole order: priority counts as AGEING_SECONDS of waiting per level
        rank = {a.id: i for i, a in enumerate(issued)}
        expected = sorted(
            issued,
            key=lambda a: (
                a.minute * 60 - a.priority.level * AGEING_SECONDS,
                rank[a.id],
            ),
        )
        assert [a for a, _ in served] == expected

    prop()


def test_appointment_first_serves_due_appointments_before_others(db, backend, line):
    @check(backend)
    @given(booked)
    def prop(people):
        issued, served = line.serve(Strategy.APPOINTMENT_FIRST, people)
        waiting = list(issued)  # in arrival order
        for got, at in served:
            due = [
                a
                for a in waiting
                if a.appointment_minute is not None
                and OPENING + timedelta(minutes=a.appointment_minute) <= at
            ]
            if due:  # the earliest due appointment, before anyone else
                expected = min(due, key=lambda a: (a.appointment_minute, a.id))
            else:  # then the line in arrival order (future appointments included)
                expected = waiting[0]
            assert got is expected, (at, waiting)
            waiting.remove(got)

    prop()
