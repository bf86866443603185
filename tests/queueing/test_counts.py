"""Waiting counts and the longest wait: exact for real lines, bounded for huge ones."""

from datetime import timedelta

from sqlalchemy import insert

from smartqueue.extensions import db
from smartqueue.models import Channel, Priority, Ticket, TicketStatus
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries
from smartqueue.web.filters import waiting_count


def _bulk_waiting(service, count: int, first_arrival) -> None:
    rows = [
        {
            "token": f"t{service.id}x{i}",
            "branch_id": service.branch_id,
            "service_id": service.id,
            "day": first_arrival.date(),
            "number": 100 + i,
            "code": f"{service.prefix}{100 + i}",
            "status": TicketStatus.WAITING,
            "priority": Priority.NORMAL,
            "channel": Channel.KIOSK,
            "locale": "fr",
            "rank_key": (first_arrival + timedelta(seconds=i)).timestamp(),
            "arrived_at": first_arrival + timedelta(seconds=i),
            "created_at": first_arrival + timedelta(seconds=i),
            "recall_count": 0,
            "pass_count": 0,
        }
        for i in range(count)
    ]
    db.session.execute(insert(Ticket), rows)
    db.session.commit()


def test_counts_are_exact_per_service_and_ignore_other_statuses(
    db, backend, desk, frozen
):
    first = ops.issue_ticket(desk.a, channel=Channel.KIOSK)
    frozen.tick(minutes=3)
    ops.issue_ticket(desk.a, channel=Channel.KIOSK)
    ops.issue_ticket(desk.b, channel=Channel.KIOSK)
    ops.cancel_ticket(ops.issue_ticket(desk.b, channel=Channel.WEB))

    assert queries.count_waiting([desk.a.id, desk.b.id]) == {desk.a.id: 2, desk.b.id: 1}
    assert queries.count_waiting_by_service(desk.branch.id) == {
        desk.a.id: 2,
        desk.b.id: 1,
    }
    assert queries.waiting_since([desk.a.id]) == {desk.a.id: first.arrived_at}
    ops.call_next(desk.counter2, by=desk.agent)  # takes A001, the oldest
    assert queries.waiting_since([desk.a.id, desk.b.id])[desk.a.id] == frozen.now
    assert queries.count_waiting([]) == {} and queries.waiting_since([]) == {}


def test_a_huge_line_is_counted_up_to_the_cap_and_shown_as_such(
    db, backend, desk, frozen
):
    _bulk_waiting(desk.a, queries.COUNT_CAP + 50, frozen.now - timedelta(hours=2))

    counts = queries.count_waiting([desk.a.id, desk.b.id])
    assert counts == {desk.a.id: queries.COUNT_CAP + 1, desk.b.id: 0}
    assert waiting_count(counts[desk.a.id]) == f"{queries.COUNT_CAP}+"
    assert waiting_count(queries.COUNT_CAP) == str(queries.COUNT_CAP)
    oldest = queries.waiting_since([desk.a.id])[desk.a.id]
    assert oldest == frozen.now - timedelta(hours=2)
