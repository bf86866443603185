"""The expiry job: what is due and what is not, and what it holds while it runs."""

import threading
from datetime import time, timedelta

import pytest
from sqlalchemy import event, select, text

from smartqueue import events
from smartqueue.models import (
    BranchClosure,
    Channel,
    OpeningHours,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartqueue.queueing import expiry
from smartqueue.queueing import operations as ops

TUESDAY = 1  # OpeningHours.weekday of the frozen day


@pytest.fixture
def app_config(app_config, backend):
    """On PostgreSQL a lock wait becomes an error after a while instead of a hang."""
    if backend == "postgresql":
        options = {"connect_args": {"options": "-c lock_timeout=3s"}}
        return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options}
    return app_config


def _issue(service, **kw):
    return ops.issue_ticket(service, channel=Channel.KIOSK, **kw)


def _statuses(db, tickets):
    db.session.expire_all()
    return [db.session.get(Ticket, t.id).status for t in tickets]


def _close_today_at(db, branch, closes_at):
    """Shorten the branch's hours today (Tuesday) after its tickets were taken."""
    db.session.execute(
        OpeningHours.__table__.update()
        .where(OpeningHours.branch_id == branch.id, OpeningHours.weekday == TUESDAY)
        .values(closes_at=closes_at)
    )
    db.session.commit()


def _expire_events(db, ticket):
    return db.session.scalars(
        select(TicketEvent.action).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "expire"
        )
    ).all()


@pytest.fixture
def branch_with_line(db, make_branch, make_service):
    """Factory: a branch (open 08:00-17:00 weekdays) with service A and `waiting` tickets."""

    def make(waiting=1, **queue):
        branch = make_branch()
        service = make_service(branch, "A", **queue)
        return branch, service, [_issue(service) for _ in range(waiting)]

    return make


def test_expire_at_closing_time(db, backend, desk, frozen):
    waiting, called = _issue(desk.a), _issue(desk.b)
    ops.call_next(desk.counter, by=desk.agent)
    assert expiry.expire_tickets() == 0  # still open
    frozen.tick(hours=7, minutes=1)  # 17:01
    assert expiry.expire_tickets(desk.branch.id) == 2
    assert _statuses(db, [waiting, called]) == [TicketStatus.EXPIRED] * 2


def test_what_is_due_and_what_is_not(db, backend, desk, frozen, branch_with_line):
    # Monday: left waiting in the open branch, and never expired (the job did not run).
    frozen.tick(days=-1)
    from_yesterday = _issue(desk.a)
    frozen.tick(days=1)
    # Tuesday 10:00, every branch open when its tickets are taken.
    called = _issue(desk.a)  # first of the line: counter 1 calls it
    open_line = _issue(desk.b)
    assert ops.call_next(desk.counter2, by=desk.agent2).id == from_yesterday.id
    assert ops.call_next(desk.counter, by=desk.agent).id == called.id
    closes_early, _, (after_closing,) = branch_with_line()
    no_hours, _, (closed_weekday,) = branch_with_line()
    on_leave, _, (closure_day,) = branch_with_line()
    _, _, (too_old, just_in_time) = branch_with_line(waiting=2, expiry_minutes=30)
    db.session.get(Ticket, too_old.id).arrived_at -= timedelta(minutes=31)
    _close_today_at(db, closes_early, time(10))
    db.session.execute(
        OpeningHours.__table__.delete().where(
            OpeningHours.branch_id == no_hours.id, OpeningHours.weekday == TUESDAY
        )
    )
    db.session.add(BranchClosure(branch_id=on_leave.id, date=frozen.now.date()))
    db.session.commit()
    frozen.tick(minutes=30)  # just_in_time arrived exactly 30 minutes ago: not yet

    due = [from_yesterday, after_closing, closed_weekday, closure_day, too_old]
    kept = [open_line, called, just_in_time]
    found = expiry.list_due()
    assert sorted(i for ids in found.values() for i in ids) == sorted(t.id for t in due)
    assert expiry.list_due(desk.branch.id) == {desk.branch.id: [from_yesterday.id]}

    assert expiry.expire_tickets() == len(due)
    assert _statuses(db, due) == [TicketStatus.EXPIRED] * len(due)
    assert _statuses(db, kept) == [
        TicketStatus.WAITING,
        TicketStatus.CALLED,
        TicketStatus.WAITING,
    ]
    assert [_expire_events(db, t) for t in due] == [["expire"]] * len(due)
    assert [_expire_events(db, t) for t in kept] == [[]] * len(kept)
    expired = db.session.get(Ticket, from_yesterday.id)
    assert expired.finished_at == frozen.now
    assert expired.events[-1].from_status == "called"

    frozen.tick(microseconds=1)  # now one microsecond past its queue's 30 minutes
    assert expiry.expire_tickets() == 1
    assert _statuses(db, [just_in_time]) == [TicketStatus.EXPIRED]


def test_the_fraction_of_a_second_counts(db, backend, desk, frozen):
    """A queue expiry compares to the microsecond on both databases (SQLite rounds its
    own date arithmetic to milliseconds)."""
    desk.a.queue.expiry_minutes = 15
    db.session.commit()
    frozen.tick(microseconds=999_999)
    ticket = _issue(desk.a)
    frozen.tick(minutes=15)
    assert expiry.expire_tickets() == 0
    frozen.tick(microseconds=1)
    assert expiry.expire_tickets() == 1
    assert _statuses(db, [ticket]) == [TicketStatus.EXPIRED]


def test_statements_do_not_grow_with_open_lines(db, backend, frozen, branch_with_line):
    """Waiting tickets in open branches cost the job nothing: it never reads them."""

    def statements_of_a_run():
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert expiry.expire_tickets() == 0
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    for _ in range(2):
        branch_with_line(waiting=2, expiry_minutes=60)
    few = statements_of_a_run()
    for _ in range(6):
        branch_with_line(waiting=3, expiry_minutes=60)
    assert statements_of_a_run() == few <= 3


def test_each_batch_is_one_branch_and_at_most_batch_size(
    db, backend, frozen, branch_with_line, monkeypatch
):
    monkeypatch.setattr(expiry, "BATCH_SIZE", 2)
    first, _, five = branch_with_line(waiting=5)
    second, _, one = branch_with_line(waiting=1)
    _, _, open_line = branch_with_line(waiting=2)
    for branch in (first, second):
        _close_today_at(db, branch, time(10))
    announced = []

    def listen(sender, **kw):
        announced.append((kw["branch_id"], kw["ticket_ids"], kw["action"]))

    with events.tickets_changed.connected_to(listen):
        assert expiry.expire_tickets() == 6
    ids = [t.id for t in five]
    assert announced == [
        (first.id, ids[0:2], "expire"),
        (first.id, ids[2:4], "expire"),
        (first.id, ids[4:5], "expire"),
        (second.id, [one[0].id], "expire"),
    ]
    assert _statuses(db, open_line) == [TicketStatus.WAITING] * 2


def test_a_ticket_moved_after_it_was_found_due_is_left_alone(db, backend, desk, frozen):
    stays, cancelled = _issue(desk.a), _issue(desk.a)
    frozen.tick(hours=7)  # 17:00, closing time
    due = expiry.list_due()
    assert due == {desk.branch.id: [stays.id, cancelled.id]}
    ops.cancel_ticket(cancelled)
    assert expiry._expire_batch(desk.branch.id, due[desk.branch.id], frozen.now) == 1
    assert _statuses(db, [stays, cancelled]) == [
        TicketStatus.EXPIRED,
        TicketStatus.CANCELLED,
    ]
    assert _expire_events(db, cancelled) == []


@pytest.mark.backends("postgresql")
def test_a_due_ticket_someone_holds_is_skipped_not_waited_for(
    db, backend, desk, frozen
):
    held, other = _issue(desk.a), _issue(desk.a)
    frozen.tick(hours=7)
    with db.engine.connect() as agent:  # another process in the middle of a move
        agent.execute(
            text("SELECT id FROM ticket WHERE id = :id FOR UPDATE"), {"id": held.id}
        )
        assert expiry.expire_tickets() == 1
        agent.rollback()
    assert _statuses(db, [held, other]) == [TicketStatus.WAITING, TicketStatus.EXPIRED]
    assert expiry.expire_tickets() == 1  # the next run takes it
    assert _statuses(db, [held]) == [TicketStatus.EXPIRED]


@pytest.mark.backends("postgresql")
def test_the_job_held_mid_batch_leaves_the_open_lines_to_the_agents(
    app, db, backend, desk, frozen, branch_with_line
):
    """The job is stopped inside its batch (holding its locks, before writing): agents of
    an open branch still call their waiting customer and finish the one at the counter,
    without waiting (lock_timeout turns a wait into an error)."""
    closed, _, due = branch_with_line(waiting=2)
    at_counter, waiting = _issue(desk.a), _issue(desk.a)
    assert ops.call_next(desk.counter, by=desk.agent).id == at_counter.id
    _close_today_at(db, closed, time(10))  # 10:00 now: closed, desk's branch open

    test_thread = threading.get_ident()
    reached, release = threading.Event(), threading.Event()

    def hold(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() != test_thread and statement.startswith(
            "INSERT INTO ticket_event"
        ):
            reached.set()
            release.wait(60)

    outcome = {}

    def run_job():
        with app.app_context():
            try:
                outcome["expired"] = expiry.expire_tickets()
            except Exception as error:  # reported below, in the test's thread
                outcome["error"] = error
            finally:
                reached.set()
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    job = threading.Thread(target=run_job)
    try:
        job.start()
        assert reached.wait(60) and not outcome
        called = ops.call_next(desk.counter2, by=desk.agent2)
        assert called is not None and called.id == waiting.id
        ops.finish(at_counter, by=desk.agent)
        with db.engine.connect() as probe:  # the job holds the due tickets, no other
            free = probe.scalars(
                text(
                    "SELECT id FROM ticket WHERE status IN ('waiting', 'called') "
                    "FOR UPDATE SKIP LOCKED"
                )
            ).all()
            probe.rollback()
        assert free == [waiting.id]
    finally:
        release.set()
        job.join()
        event.remove(db.engine, "before_cursor_execute", hold)
    assert outcome == {"expired": 2}
    assert _statuses(db, [*due, waiting, at_counter]) == [
        TicketStatus.EXPIRED,
        TicketStatus.EXPIRED,
        TicketStatus.CALLED,
        TicketStatus.SERVED,
    ]
