"""The queue engine's rules, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartqueue import clock
from smartqueue.models import (
    BranchClosure,
    Channel,
    CounterStatus,
    DailyCounter,
    Plan,
    Priority,
    QueueStatus,
    Strategy,
    Ticket,
    TicketStatus,
)
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries, rules
from smartqueue.queueing.errors import (
    CounterUnavailable,
    IllegalMove,
    LimitReached,
    QueueUnavailable,
)

KIOSK = Channel.KIOSK


def _issue(service, **kw):
    kw.setdefault("channel", KIOSK)
    return ops.issue_ticket(service, **kw)


def test_numbers_run_per_service_and_restart_each_day(db, backend, desk, frozen):
    codes = [_issue(desk.a).code for _ in range(3)] + [_issue(desk.b).code]
    assert codes == ["A001", "A002", "A003", "B001"]
    frozen.tick(days=1)
    assert _issue(desk.a).code == "A001"


def test_codes_keep_every_digit_past_999(db, backend, desk, frozen):
    """The number is written in SQL on PostgreSQL, in Python on SQLite: the same codes."""
    db.session.add(
        DailyCounter(scope="service", scope_id=desk.a.id, day=clock.today(), value=998)
    )
    db.session.commit()
    issued = [_issue(desk.a) for _ in range(2)]
    assert [t.code for t in issued] == ["A999", "A1000"]
    db.session.expire_all()  # what was written, not what the operation remembers
    assert [db.session.get(Ticket, t.id).code for t in issued] == ["A999", "A1000"]
    assert [db.session.get(Ticket, t.id).number for t in issued] == [999, 1000]


def test_issue_writes_the_ticket_and_its_first_event(db, backend, desk, frozen):
    ticket = _issue(desk.a, priority=Priority.HIGH, contact_phone="+221771234567")
    db.session.expire_all()
    stored = db.session.get(Ticket, ticket.id)
    assert (stored.status, stored.priority, stored.channel) == (
        TicketStatus.WAITING,
        Priority.HIGH,
        KIOSK,
    )
    assert stored.contact_phone == "+221771234567"
    assert stored.arrived_at == frozen.now and stored.recall_count == 0
    assert [(e.action, e.to_status, e.note) for e in stored.events] == [
        ("issue", "waiting", "kiosk")
    ]


def test_issue_refuses_when_the_queue_or_branch_is_not_open(db, backend, desk, frozen):
    for status in (QueueStatus.PAUSED, QueueStatus.CLOSED, QueueStatus.MAINTENANCE):
        ops.set_queue_status(desk.a.queue, status, by=desk.agent)
        with pytest.raises(QueueUnavailable):
            _issue(desk.a)
    ops.set_queue_status(desk.a.queue, QueueStatus.ACTIVE, by=desk.agent)
    reopened = _issue(desk.a)
    frozen.tick(hours=8)  # 18:00, after closing
    with pytest.raises(QueueUnavailable, match="ouverte de 08:00 à 17:00"):
        _issue(desk.b)
    frozen.set(frozen.now.replace(day=6, hour=10))  # Sunday
    with pytest.raises(QueueUnavailable):
        _issue(desk.b)
    frozen.tick(days=1)  # Monday, but a closure day
    db.session.add(BranchClosure(branch_id=desk.branch.id, date=frozen.now.date()))
    db.session.commit()
    with pytest.raises(QueueUnavailable):
        _issue(desk.b)
    assert db.session.scalars(select(Ticket.id)).all() == [reopened.id]


def test_issue_refuses_appointment_only_services_to_walk_ins(db, backend, desk):
    desk.a.requires_appointment = True
    db.session.commit()
    with pytest.raises(QueueUnavailable):
        _issue(desk.a)


def test_customer_limits(db, backend, desk, make_user, make_service, monkeypatch):
    customer = make_user()
    _issue(desk.a, customer=customer, channel=Channel.WEB)
    with pytest.raises(LimitReached, match="déjà un ticket"):
        _issue(desk.a, customer=customer, channel=Channel.WEB)
    monkeypatch.setattr(rules, "CUSTOMER_TICKETS_PER_DAY", 2)
    _issue(desk.b, customer=customer, channel=Channel.WEB)
    c = make_service(desk.branch, "C")
    with pytest.raises(LimitReached, match="2 tickets par jour"):
        _issue(c, customer=customer, channel=Channel.WEB)


def test_queue_capacity_and_plan_limit(db, backend, desk, monkeypatch):
    desk.a.queue.capacity = 2
    db.session.commit()
    _issue(desk.a), _issue(desk.a)
    with pytest.raises(LimitReached, match="complète"):
        _issue(desk.a)
    desk.branch.organization.plan = Plan.FREE
    db.session.commit()
    monkeypatch.setitem(rules.PLAN_TICKETS_PER_DAY, Plan.FREE, 3)
    _issue(desk.b)
    with pytest.raises(LimitReached, match="nombre de tickets du jour"):
        _issue(desk.b)
    # a refusal gave nothing away: the next allowed number follows on
    monkeypatch.setitem(rules.PLAN_TICKETS_PER_DAY, Plan.FREE, 10)
    assert _issue(desk.b).code == "B002"


def test_call_next_fifo_across_the_counters_services(db, backend, desk, frozen):
    first = _issue(desk.b)
    frozen.tick(minutes=1)
    second = _issue(desk.a)
    called = ops.call_next(desk.counter, by=desk.agent)
    assert called.id == first.id and called.status is TicketStatus.CALLED
    assert called.counter_id == desk.counter.id and called.agent_id == desk.agent.id
    with pytest.raises(IllegalMove, match="Terminez"):
        ops.call_next(desk.counter, by=desk.agent)
    # counter 2 only handles A
    assert ops.call_next(desk.counter2, by=desk.agent2).id == second.id
    ops.finish(called, by=desk.agent)
    assert ops.call_next(desk.counter, by=desk.agent) is None


def test_call_next_needs_an_open_counter_and_skips_paused_queues(db, backend, desk):
    _issue(desk.a)
    desk.counter.status = CounterStatus.PAUSED
    db.session.commit()
    with pytest.raises(CounterUnavailable):
        ops.call_next(desk.counter, by=desk.agent)
    ops.set_counter_status(desk.counter, CounterStatus.OPEN, by=desk.agent)
    ops.set_queue_status(desk.a.queue, QueueStatus.PAUSED, by=desk.agent)
    assert ops.call_next(desk.counter, by=desk.agent) is None  # who waits, waits on
    ops.set_queue_status(desk.a.queue, QueueStatus.ACTIVE, by=desk.agent)
    assert ops.call_next(desk.counter, by=desk.agent) is not None


def test_priority_strategy_serves_higher_levels_first(
    db, backend, desk, frozen, make_service
):
    s = make_service(desk.branch, "P", strategy=Strategy.PRIORITY)
    desk.counter.services.append(s)
    db.session.commit()
    normal = _issue(s)
    frozen.tick(minutes=90)
    high = _issue(s, priority=Priority.HIGH)
    urgent = _issue(s, priority=Priority.URGENT)
    order = []
    for _ in range(3):
        t = ops.call_next(desk.counter, by=desk.agent)
        order.append(t.id)
        ops.finish(t, by=desk.agent)
    assert order == [urgent.id, high.id, normal.id]


def test_mixed_strategy_lets_a_long_wait_beat_a_fresh_priority(
    db, backend, desk, frozen, make_service
):
    s = make_service(desk.branch, "M", strategy=Strategy.MIXED)
    desk.counter.services[:] = [s]
    db.session.commit()
    old = _issue(s)
    frozen.tick(minutes=5)
    fresh_high = _issue(s, priority=Priority.HIGH)  # counts as 20 minutes earlier
    assert ops.call_next(desk.counter, by=desk.agent).id == fresh_high.id
    ops.finish(fresh_high, by=desk.agent)
    frozen.tick(minutes=40)
    fresh_urgent = _issue(
        s, priority=Priority.URGENT
    )  # 30 minutes earlier: still later
    assert ops.call_next(desk.counter, by=desk.agent).id == old.id
    ops.finish(old, by=desk.agent)
    assert ops.call_next(desk.counter, by=desk.agent).id == fresh_urgent.id


def test_appointment_first_takes_due_appointments_then_arrival_order(
    db, backend, desk, frozen, make_service
):
    s = make_service(desk.branch, "R", strategy=Strategy.APPOINTMENT_FIRST)
    desk.counter.services[:] = [s]
    db.session.commit()
    walk_in = _issue(s)
    future = _issue(s, appointment_at=frozen.now + timedelta(minutes=30))
    due = _issue(s, appointment_at=frozen.now - timedelta(minutes=1))
    order = []
    for _ in range(3):
        t = ops.call_next(desk.counter, by=desk.agent)
        order.append(t.id)
        ops.finish(t, by=desk.agent)
    assert order == [due.id, walk_in.id, future.id]


def test_recall_up_to_three_then_no_show(db, backend, desk):
    _issue(desk.a)
    t = ops.call_next(desk.counter, by=desk.agent)
    with pytest.raises(IllegalMove, match="Rappelez"):
        ops.mark_no_show(t, by=desk.agent)
    for n in range(1, 4):
        assert ops.recall(t, by=desk.agent).recall_count == n
    with pytest.raises(LimitReached):
        ops.recall(t, by=desk.agent)
    assert ops.mark_no_show(t, by=desk.agent).status is TicketStatus.NO_SHOW


def test_serving_records_every_move_with_who_and_where(db, backend, desk):
    t = _issue(desk.a)
    t = ops.call_next(desk.counter, by=desk.agent)
    ops.start_serving(t, by=desk.agent)
    ops.finish(t, by=desk.agent)
    db.session.expire_all()
    t = db.session.get(Ticket, t.id)
    assert [(e.action, e.to_status) for e in t.events] == [
        ("issue", "waiting"),
        ("call", "called"),
        ("start", "serving"),
        ("finish", "served"),
    ]
    assert all(e.by_user_id == desk.agent.id for e in t.events[1:])
    assert all(e.counter_id == desk.counter.id for e in t.events[1:])
    assert t.serving_at is not None and t.finished_at is not None


def test_illegal_moves_are_refused_with_a_message(db, backend, desk):
    t = _issue(desk.a)
    with pytest.raises(IllegalMove):
        ops.start_serving(t, by=desk.agent)  # not called yet
    with pytest.raises(IllegalMove):
        ops.recall(t, by=desk.agent)
    ops.cancel_ticket(t)
    with pytest.raises(IllegalMove):
        ops.cancel_ticket(t)
    db.session.expire_all()
    assert db.session.get(Ticket, t.id).status is TicketStatus.CANCELLED


def test_transfer_keeps_the_original_arrival(db, backend, desk, frozen):
    early = _issue(desk.a)
    frozen.tick(minutes=10)
    later_b = _issue(desk.b)
    t = ops.call_next(desk.counter2, by=desk.agent2)
    assert t.id == early.id
    new = ops.transfer(t, desk.b, by=desk.agent2)
    assert new.code == "A001" and new.transferred_from_id == early.id
    assert new.arrived_at == early.arrived_at
    db.session.expire_all()
    assert db.session.get(Ticket, early.id).status is TicketStatus.TRANSFERRED
    # it goes before the B ticket that arrived after it
    assert ops.call_next(desk.counter, by=desk.agent).id == new.id
    assert later_b.status is TicketStatus.WAITING


def test_transfer_elsewhere_than_the_branch_is_refused(
    db, backend, desk, make_branch, make_service
):
    other = make_service(make_branch(), "A")
    t = _issue(desk.a)
    with pytest.raises(IllegalMove):
        ops.transfer(t, other, by=desk.agent)
    with pytest.raises(IllegalMove):
        ops.transfer(t, desk.a, by=desk.agent)


def test_let_others_pass_moves_back_three_places_twice_at_most(
    db, backend, desk, frozen
):
    tickets = []
    for _ in range(6):
        tickets.append(_issue(desk.a))
        frozen.tick(minutes=1)
    first = ops.call_next(desk.counter2, by=desk.agent2)
    ops.let_others_pass(first)
    assert first.status is TicketStatus.WAITING and first.counter_id is None
    line = [t.id for t in queries.list_waiting([desk.a.id])]
    assert line.index(first.id) == 3
    assert queries.count_ahead(first) == 3
    ops.let_others_pass(first)
    with pytest.raises(LimitReached):
        ops.let_others_pass(first)


def test_wait_estimate_is_ahead_times_mean_over_counters(db, backend, desk, frozen):
    for _ in range(4):
        _issue(desk.a)
    last = _issue(desk.a)
    # service A: 10 min estimated, 2 open counters handle it, 4 ahead -> 20 minutes
    estimate = queries.estimate_ticket_wait(last)
    assert (estimate.ahead, estimate.minutes) == (4, 20)
    assert (
        estimate.low <= 20 <= estimate.high
        and estimate.label == f"{estimate.low}–{estimate.high} min"
    )
    # measured service times replace the estimate: two served in 4 minutes each
    for counter, agent in ((desk.counter2, desk.agent2), (desk.counter2, desk.agent2)):
        t = ops.call_next(counter, by=agent)
        ops.start_serving(t, by=agent)
        frozen.tick(minutes=4)
        ops.finish(t, by=agent)
    estimate = queries.estimate_ticket_wait(last)
    assert (estimate.ahead, estimate.minutes) == (2, 4)


def test_holders_are_emailed_when_near_and_when_called_once(db, backend, desk, mailbox):
    desk.a.queue.notify_before = 2
    db.session.commit()
    # Taken on the web: the page said the number; a kiosk's would be mailed too.
    web = {"channel": Channel.WEB}
    t1 = _issue(desk.a, contact_email="one@example.sn", **web)
    _issue(desk.a, contact_email="two@example.sn", **web)
    _issue(desk.a, contact_email="three@example.sn", **web)
    _issue(desk.a, contact_email="four@example.sn", **web)
    called = ops.call_next(desk.counter2, by=desk.agent2)
    assert called.id == t1.id
    assert "guichet 2" in mailbox.wait_for("one@example.sn")[0]["Subject"]
    assert "approche" in mailbox.wait_for("two@example.sn")[0]["Subject"]
    assert "approche" in mailbox.wait_for("three@example.sn")[0]["Subject"]
    assert mailbox.messages("four@example.sn") == []
    ops.recall(called, by=desk.agent2)
    ops.finish(called, by=desk.agent2)
    ops.call_next(desk.counter2, by=desk.agent2)  # two is called; four is now near
    mailbox.wait_for("four@example.sn")
    # A recall tells nothing more; the finish thanks them and asks for a rating.
    one = [m["Subject"] for m in mailbox.wait_for("one@example.sn", count=2)]
    assert "guichet 2" in one[0] and len(one) == 2 and "guichet" not in one[1]
    assert len(mailbox.messages("three@example.sn")) == 1
    assert len(mailbox.messages("two@example.sn")) == 2  # near, then called


def test_new_ticket_rows_take_the_tables_defaults_and_refuse_unknown_names():
    from smartqueue.queueing import statements

    row = statements.new_ticket_values(token="t", service_id=1)
    # Every column the prepared inserts bind is there, defaults filled from the model.
    assert set(row) == set(statements.TICKET_VALUES)
    assert (row["recall_count"], row["pass_count"], row["called_at"]) == (0, 0, None)
    with pytest.raises(TypeError, match="not ticket columns"):
        statements.new_ticket_values(tokn="typo")


def test_each_ticket_keeps_the_wait_it_was_told_at_issue(db, backend, desk, frozen):
    """What the page showed when the ticket was issued, kept for the analytics: the
    estimate moves afterwards, the told wait does not; a transfer's new ticket was told
    nothing (its customer keeps the first line's)."""
    for _ in range(4):
        _issue(desk.a)
    last = _issue(desk.a)
    shown = queries.estimate_ticket_wait(last)
    db.session.expire_all()
    last = db.session.get(Ticket, last.id)
    assert (last.told_minutes, last.told_low, last.told_high) == (
        shown.minutes,
        shown.low,
        shown.high,
    )
    assert last.told_minutes == 20  # 4 ahead x 10 min / 2 counters
    first = db.session.scalars(
        select(Ticket).where(Ticket.service_id == desk.a.id).order_by(Ticket.id)
    ).first()
    assert (first.told_minutes, first.told_low, first.told_high) == (0, 0, 0)
    # Under the priority strategy an urgent ticket goes first: told 0 whoever waits.
    desk.a.queue.strategy = Strategy.PRIORITY
    db.session.commit()
    urgent = _issue(desk.a, priority=Priority.URGENT)
    db.session.expire_all()
    assert db.session.get(Ticket, urgent.id).told_minutes == 0
    called = ops.call_next(desk.counter, by=desk.agent)
    moved = ops.transfer(called, desk.b, by=desk.agent)
    db.session.expire_all()
    assert db.session.get(Ticket, moved.id).told_minutes is None
    assert db.session.get(Ticket, last.id).told_minutes == 20
