"""Today, live (analytics.live.today_by_service): each figure of each line, from tickets
moved through the core at set times, on both databases; only the scope's lines; a few
statements whatever the number of branches."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from smartqueue import clock
from smartqueue.analytics.live import today_by_service
from smartqueue.analytics.queries import period_report
from smartqueue.analytics.report import Scope
from smartqueue.extensions import db as _db
from smartqueue.models import Channel, CounterStatus, Ticket
from smartqueue.queueing import operations as ops
from smartqueue.queueing.rules import MAX_RECALLS
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _issue(service) -> Ticket:
    return ops.issue_ticket(service, channel=Channel.KIOSK)


def _called(counter, agent) -> Ticket:
    ticket = ops.call_next(counter, by=agent)
    assert ticket is not None
    return ticket


def _no_show(ticket, agent) -> None:
    for _ in range(MAX_RECALLS):
        ops.recall(ticket, by=agent)
    ops.mark_no_show(ticket, by=agent)


@pytest.fixture
def hall(make_hall, frozen, db):
    """Agence Plateau at 10:00: line A (counter 1), line B (counter 2 serves A and B),
    both open and held by their agents."""
    hall = make_hall(
        services=(("A", "Ouverture de compte"), ("B", "Retrait")),
        counters={1: "A", 2: "AB"},
        opened=(),
        staff=(
            {"role": "agent", "full_name": "Awa Ndiaye"},
            {"role": "agent", "full_name": "Moussa Diop"},
        ),
        name="Agence Plateau",
    )
    for number, agent in zip((1, 2), hall.staff, strict=True):
        ops.set_counter_status(hall.counters[number], CounterStatus.OPEN, by=agent)
    return hall


def test_today_by_service_figure_by_figure(hall, frozen, db):
    awa, moussa = hall.staff
    # Yesterday's tickets are yesterday's: served, never counted today.
    frozen.set(datetime(2026, 11, 30, 11, 0, tzinfo=timezone.utc))
    _issue(hall.a)
    frozen.tick(minutes=50)
    ops.finish(_called(hall.counters[1], awa), by=awa)

    frozen.set(at(1, 10, 0))
    first, second = _issue(hall.a), _issue(hall.a)
    _issue(hall.a), _issue(hall.a)
    frozen.set(at(1, 10, 3))
    assert _called(hall.counters[1], awa).id == first.id  # waited 3 min
    ops.start_serving(first, by=awa)
    frozen.set(at(1, 10, 10))
    ops.finish(first, by=awa)
    frozen.set(at(1, 10, 20))
    assert _called(hall.counters[1], awa).id == second.id  # 20 min, then recalled
    _no_show(second, awa)  # recalls move called_at: its wait is to the last call
    frozen.set(at(1, 10, 40))
    _issue(hall.b)
    frozen.set(at(1, 10, 45, 30))

    a, b = today_by_service(Scope(hall.org.id))
    assert (a.branch_name, a.prefix, a.name) == (
        "Agence Plateau",
        "A",
        "Ouverture de compte",
    )
    assert (a.waiting, a.served, a.no_show, a.called) == (2, 1, 1, 2)
    assert a.oldest_arrived_at == at(1, 10, 0)
    assert a.longest_wait_minutes == 45  # whole minutes: 45 min 30 s
    assert a.wait_mean_minutes == pytest.approx((3 + 20) / 2)
    # The 2nd of 2 waits (ceil(0.9 x 2)), 20 min, is in the bucket [20, 25): 25.
    assert a.wait_p90_minutes == 25
    assert a.target_wait_minutes == 15
    assert a.beyond_target  # 45 min waiting now, and a p90 of 25, past 15
    assert [(c.number, c.agent) for c in a.counters] == [
        (1, "Awa Ndiaye"),
        (2, "Moussa Diop"),
    ]

    assert (b.prefix, b.waiting, b.served, b.no_show, b.called) == ("B", 1, 0, 0, 0)
    assert b.longest_wait_minutes == 5
    assert (b.wait_mean_minutes, b.wait_p90_minutes) == (None, None)
    assert not b.beyond_target
    assert [(c.number, c.agent) for c in b.counters] == [(2, "Moussa Diop")]


def test_today_by_service_says_what_the_period_report_says_of_today(hall, frozen, db):
    """The live page and the period pages (analytics.queries, from facts.py) agree."""
    awa, moussa = hall.staff
    for _ in range(4):
        _issue(hall.a)
        _issue(hall.b)
        frozen.tick(minutes=7, seconds=13)
    for minutes in (2, 11, 19):
        frozen.tick(minutes=minutes)
        ops.finish(_called(hall.counters[1], awa), by=awa)
    _no_show(_called(hall.counters[2], moussa), moussa)
    frozen.tick(minutes=3)
    _called(hall.counters[2], moussa)

    live = {line.service_id: line for line in today_by_service(Scope(hall.org.id))}
    report = period_report(Scope(hall.org.id), clock.today(), clock.today())
    assert len(report.by_service) == 2
    for row in report.by_service:
        line = live[row.id]
        figures = row.figures
        assert (line.served, line.no_show) == (figures.served, figures.no_show)
        assert line.wait_mean_minutes == pytest.approx(figures.wait_mean_minutes)
        assert line.wait_p90_minutes == figures.wait_p90_minutes


def test_today_by_service_beyond_target_by_p90_alone(hall, frozen, db):
    """Nobody waiting now, but today's 9 in 10 waited past the target."""
    awa = hall.staff[0]
    hall.a.target_wait_minutes = 10
    db.session.commit()
    ticket = _issue(hall.a)
    frozen.tick(minutes=12)
    _called(hall.counters[1], awa)
    ops.finish(ticket, by=awa)
    (a, b) = today_by_service(Scope(hall.org.id))
    assert (a.waiting, a.longest_wait_minutes, a.wait_p90_minutes) == (0, None, 14)
    assert a.beyond_target
    # At the target exactly is within it.
    hall.a.target_wait_minutes = 14
    db.session.commit()
    assert not today_by_service(Scope(hall.org.id))[0].beyond_target


def test_today_by_service_keeps_to_its_scope(hall, make_hall, frozen, db):
    other_org = make_hall(org="Banque B", name="Agence B")
    sister = make_hall(name="Agence Almadies")  # another organization too by default
    _issue(other_org.a)
    _issue(hall.a)
    in_org = today_by_service(Scope(hall.org.id))
    assert {line.branch_id for line in in_org} == {hall.branch.id}
    assert [line.waiting for line in in_org] == [1, 0]
    one_branch = today_by_service(Scope(hall.org.id, (hall.branch.id,)))
    assert [line.service_id for line in one_branch] == [hall.a.id, hall.b.id]
    assert today_by_service(Scope(hall.org.id, (other_org.branch.id,))) == []
    one_service = today_by_service(Scope(hall.org.id, service_id=hall.b.id))
    assert [line.service_id for line in one_service] == [hall.b.id]
    everything = today_by_service(Scope(None))
    assert {line.branch_id for line in everything} == {
        hall.branch.id,
        other_org.branch.id,
        sister.branch.id,
    }


def test_today_by_service_reads_an_organization_in_four_statements(
    hall, make_branch, make_service, make_counter, frozen, db
):
    for n in range(6):
        branch = make_branch(hall.org, name=f"Agence {n}")
        services = [make_service(branch, prefix) for prefix in "ABC"]
        make_counter(branch, 1, services)
        _issue(services[0])
    scope = Scope(hall.org.id)
    statements = []
    engine = _db.engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        lines = today_by_service(scope)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(lines) == 2 + 6 * 3
    assert len(statements) == 4, statements
