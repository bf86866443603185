"""A branch's day in figures from the live tables, checked figure by figure against the
hand-computed Tuesday of conftest.py, and the histogram buckets it counts in.

The Tuesday, service A (target 15 min), counter 1, first agent:
  t1 kiosk  08:00 called 08:05 (5 min)  start 08:06 finish 08:16 (10 min) served, told 4 [3-6]
  t2 mobile 08:10 called 08:30 (20 min) start 08:31 finish 08:51 (20 min) served, told 10 [8-12]
  t3 sms    08:20 called 08:55 (35 min) no-show at 08:58
  t4 web    09:00 cancelled
  t5 kiosk  09:05 called 10:30 (85 min) transferred to B at 10:32
service B (target 10 min), counter 2, second agent:
  t6 (t5's new ticket, arrival kept 09:05) called 10:40 (95 min) 10:41-10:45 (4 min) served
  t7 phone  09:30 called 09:35 (5 min) 09:35:30-09:40:30 (5 min) served, told 5 [4-7]
  t8 kiosk  16:59 expired
Ratings: t1 5, t2 3. Appointments for A: one completed, one no-show, one cancelled.
"""

from datetime import date

import pytest

from smartqueue.analytics.buckets import bucket_of, p90_minutes, percentile
from smartqueue.analytics.facts import branches_day_facts, day_facts
from smartqueue.models import Channel, TicketStatus
from smartqueue.models.analytics import BUCKETS, agent_day, service_day
from smartqueue.queueing import operations as ops
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TUESDAY = date(2026, 12, 1)


def histogram(**counts) -> list[int]:
    """histogram(b5=1, b23=2): BUCKETS counts, zeros but those named."""
    return [counts.get(f"b{i}", 0) for i in range(BUCKETS)]


def test_bucket_of_edges():
    assert bucket_of(0) == 0
    assert bucket_of(59) == 0
    assert bucket_of(60) == 1  # 1 <= t < 2 minutes
    assert bucket_of(5 * 60) == 5
    assert bucket_of(20 * 60) == 15  # 20 <= t < 25
    assert bucket_of(95 * 60) == 24  # 90 <= t < 120
    assert bucket_of(240 * 60 - 1) == BUCKETS - 2
    assert bucket_of(240 * 60) == BUCKETS - 1  # open: 240 minutes or more
    assert bucket_of(10_000 * 60) == BUCKETS - 1


def test_p90_is_the_upper_edge_of_the_ceil_nine_tenths_value():
    assert p90_minutes(histogram()) is None
    # 70 values: the 63rd (not the 64th, as 0.9 * 70 in floats would give).
    assert p90_minutes(histogram(b1=63, b10=7)) == 2
    assert p90_minutes(histogram(b1=62, b10=8)) == 12
    assert p90_minutes(histogram(b28=1)) == 240  # the open bucket reports 240
    assert percentile(histogram(b3=1, b5=1), 0.5) == 4
    with pytest.raises(ValueError):
        p90_minutes([1, 2])


def by_service(facts, service):
    return next(r for r in facts.service_rows if r["service_id"] == service.id)


def test_day_facts_rows_carry_every_rollup_column(tuesday):
    facts = day_facts(TUESDAY, tuesday.branch.id)

    assert facts.tickets == 8
    assert [set(row) for row in facts.service_rows] == [
        {c.name for c in service_day.columns}
    ] * 2
    assert all(
        set(row) == {c.name for c in agent_day.columns} - {"id"}
        for row in facts.agent_rows
    )


def test_day_facts_service_counts_and_times(tuesday):
    facts = day_facts(TUESDAY, tuesday.branch.id)
    a, b = by_service(facts, tuesday.a), by_service(facts, tuesday.b)

    assert (a["issued"], a["served"], a["cancelled"], a["no_show"]) == (5, 2, 1, 1)
    assert (a["transferred"], a["expired"], a["transfers_in"]) == (1, 0, 0)
    assert (b["issued"], b["served"], b["expired"], b["transfers_in"]) == (3, 2, 1, 1)
    assert a["weekday"] == b["weekday"] == 1  # Tuesday
    assert a["organization_id"] == tuesday.org.id
    # Waits of the called: 5, 20, 35, 85 min in A; 95 (arrival kept) and 5 in B.
    assert (a["wait_n"], a["wait_sum_s"]) == (4, (5 + 20 + 35 + 85) * 60)
    assert (b["wait_n"], b["wait_sum_s"]) == (2, (95 + 5) * 60)
    assert [a[f"w{i}"] for i in range(BUCKETS)] == histogram(b5=1, b15=1, b18=1, b23=1)
    assert [b[f"w{i}"] for i in range(BUCKETS)] == histogram(b5=1, b24=1)
    # Within target: A's 15 min (only t1), B's 10 min (only t7).
    assert (a["target_wait_minutes"], a["within_target"]) == (15, 1)
    assert (b["target_wait_minutes"], b["within_target"]) == (10, 1)
    # Service times of the served: 10 and 20 min; 4 min and 5 min.
    assert (a["service_n"], a["service_sum_s"]) == (2, 1800)
    assert (b["service_n"], b["service_sum_s"]) == (2, 540)
    assert [b[f"s{i}"] for i in range(BUCKETS)] == histogram(b4=1, b5=1)


def test_day_facts_arrivals_channels_told_appointments_ratings(tuesday):
    facts = day_facts(TUESDAY, tuesday.branch.id)
    a, b = by_service(facts, tuesday.a), by_service(facts, tuesday.b)

    # Arrivals by hour; the transfer's new ticket is not a new arrival, nor a channel.
    assert (a["h8"], a["h9"], b["h9"], b["h16"]) == (3, 2, 1, 1)
    assert sum(b[f"h{h}"] for h in range(24)) == 2
    assert (a["ch_kiosk"], a["ch_mobile"], a["ch_sms"], a["ch_web"]) == (2, 1, 1, 1)
    assert (b["ch_phone"], b["ch_kiosk"], b["ch_counter"]) == (1, 1, 0)
    # Told 4 [3-6] waited 5: 1 min off, inside; told 10 [8-12] waited 20: 10 min off.
    assert (a["told_n"], a["told_error_sum_s"], a["told_inside"]) == (2, 660, 1)
    assert (b["told_n"], b["told_error_sum_s"], b["told_inside"]) == (1, 0, 1)
    assert (a["appointments"], a["appointments_kept"], a["appointments_missed"]) == (
        2,
        1,
        1,
    )
    assert (a["rating_n"], a["rating_sum"], a["r3"], a["r5"]) == (2, 8, 1, 1)
    assert facts.commune_rows == [
        {
            "day": TUESDAY,
            "branch_id": tuesday.branch.id,
            "organization_id": tuesday.org.id,
            "service_id": tuesday.a.id,
            "commune_id": tuesday.plateau.id,
            "tickets": 1,
        }
    ]


def test_day_facts_agents_call_to_start_and_idle(tuesday):
    facts = day_facts(TUESDAY, tuesday.branch.id)
    first, second = facts.agent_rows

    assert (first["agent_id"], first["counter_id"], first["service_id"]) == (
        tuesday.first.id,
        tuesday.counters[1].id,
        tuesday.a.id,
    )
    assert (first["called"], first["served"], first["no_show"]) == (4, 2, 1)
    assert first["transferred"] == 1
    assert (first["call_to_start_n"], first["call_to_start_sum_s"]) == (2, 120)
    # Idle 08:16 -> 08:30 (14 min), 08:51 -> 08:55 (4 min); 08:58 -> 10:30 is a break.
    assert (first["idle_n"], first["idle_sum_s"]) == (2, 18 * 60)
    assert (first["rating_n"], first["rating_sum"]) == (2, 8)
    # 09:40:30 -> 10:40: 59.5 minutes, just under the hour: still idle time.
    assert (second["idle_n"], second["idle_sum_s"]) == (1, 3570)
    assert (second["call_to_start_n"], second["call_to_start_sum_s"]) == (2, 90)
    assert (second["service_n"], second["service_sum_s"]) == (2, 540)


def test_day_facts_dakar_day_boundary(tuesday, make_ticket):
    late = make_ticket(tuesday.a, at(1, 23, 59), status=TicketStatus.EXPIRED)
    early = make_ticket(tuesday.a, at(2, 0, 1), status=TicketStatus.CANCELLED)

    tuesday_a = by_service(day_facts(TUESDAY, tuesday.branch.id), tuesday.a)
    wednesday = day_facts(date(2026, 12, 2), tuesday.branch.id)

    assert late.day == TUESDAY and early.day == date(2026, 12, 2)
    assert (tuesday_a["issued"], tuesday_a["h23"], tuesday_a["expired"]) == (6, 1, 1)
    [row] = wednesday.service_rows
    assert (row["issued"], row["h0"], row["cancelled"], row["weekday"]) == (1, 1, 1, 2)
    assert wednesday.agent_rows == [] and wednesday.tickets == 1


def test_day_facts_of_a_quiet_day_is_empty(tuesday):
    facts = day_facts(date(2026, 12, 6), tuesday.branch.id)

    assert (facts.tickets, facts.service_rows, facts.agent_rows) == (0, [], [])


def test_branches_day_facts_reads_several_branches_at_once(tuesday, make_hall):
    other = make_hall(org="Autre Banque")

    both = branches_day_facts(TUESDAY, [other.branch.id, tuesday.branch.id])

    assert both == {
        tuesday.branch.id: day_facts(TUESDAY, tuesday.branch.id),
        other.branch.id: day_facts(TUESDAY, other.branch.id),
    }
    assert both[other.branch.id].tickets == 0


def test_a_wait_ends_at_the_first_call_whatever_the_recalls(db, frozen, make_hall):
    """Recalls move called_at (the board shows the latest call); the wait a customer had
    ended when they were first called, and the agent's call-to-start runs from the last."""
    hall = make_hall()
    ticket = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    frozen.tick(minutes=6)
    ops.call_next(hall.counter, by=hall.agent)
    frozen.tick(minutes=2)
    ops.recall(ticket, by=hall.agent)
    frozen.tick(minutes=2)
    ops.recall(ticket, by=hall.agent)
    frozen.tick(minutes=1)
    ops.start_serving(ticket, by=hall.agent)
    ops.finish(ticket, by=hall.agent)

    facts = day_facts(frozen.now.date(), hall.branch.id)
    (row,) = facts.service_rows
    assert (row["wait_n"], row["wait_sum_s"]) == (1, 6 * 60)
    (agent,) = facts.agent_rows
    assert agent["call_to_start_sum_s"] == 60
