"""Slot templates, and the availability computed from templates, hours, closures, bookings."""

from datetime import date, time, timedelta

import pytest

from smartqueue.appointments import operations as ops
from smartqueue.appointments import planning, queries
from smartqueue.appointments.errors import InvalidTemplate
from smartqueue.appointments.slots import SlotSpec
from smartqueue.models import BranchClosure

from .conftest import at

WEDNESDAY = date(2026, 12, 2)


NOT_FITTING = [
    (SlotSpec(0, time(7), time(10)), "start_time"),  # before opening (08:00)
    (SlotSpec(0, time(15), time(18)), "start_time"),  # after closing (17:00)
    (SlotSpec(6, time(9), time(12)), "start_time"),  # Sunday: closed
    (SlotSpec(0, time(9), time(12), slot_minutes=10), "slot_minutes"),
    (SlotSpec(0, time(9), time(12), slot_minutes=150), "slot_minutes"),
    (SlotSpec(0, time(9), time(12), capacity=0), "capacity"),
    (SlotSpec(0, time(9), time(12), capacity=11), "capacity"),
    (SlotSpec(0, time(12), time(9)), "end_time"),
    (SlotSpec(0, time(9), time(9, 20), slot_minutes=30), "end_time"),
    (SlotSpec(7, time(9), time(12)), "weekday"),
]


def test_set_slot_templates_refuses_what_does_not_fit(db, backend, agenda):
    for spec, field in NOT_FITTING:
        with pytest.raises(InvalidTemplate) as refused:
            planning.set_slot_templates(agenda.service, [spec])
        assert (refused.value.field, spec) == (field, spec)
        assert str(refused.value.message)
    assert len(queries.list_slot_templates(agenda.service)) == 5  # unchanged


def test_set_slot_templates_refuses_overlapping_ranges_of_a_day(db, backend, agenda):
    specs = [SlotSpec(0, time(9), time(12)), SlotSpec(0, time(11), time(14))]
    with pytest.raises(InvalidTemplate, match="chevauchent"):
        planning.set_slot_templates(agenda.service, specs)
    with pytest.raises(InvalidTemplate, match="chevauchent"):
        planning.add_slot_template(agenda.service, SlotSpec(0, time(11), time(13)))


def test_set_slot_templates_replaces_the_week_and_add_appends(db, backend, agenda):
    planning.set_slot_templates(
        agenda.service, [SlotSpec(2, time(14), time(16), 60, 3)]
    )
    planning.add_slot_template(agenda.service, SlotSpec(2, time(9), time(10), 15, 1))
    got = [
        (t.weekday, t.start_time, t.slot_minutes, t.capacity, t.branch_id)
        for t in queries.list_slot_templates(agenda.service)
    ]
    b = agenda.branch.id
    assert got == [(2, time(9), 15, 1, b), (2, time(14), 60, 3, b)]
    planning.delete_slot_template(_first(agenda))
    assert len(queries.list_branch_slot_templates(agenda.branch)) == 1


def _first(agenda):
    return queries.list_slot_templates(agenda.service)[0]


def test_list_slots_is_the_grid_of_the_day(db, backend, agenda):
    slots = queries.list_slots(agenda.service, WEDNESDAY)
    assert [s.local_start.time() for s in slots] == [
        time(9),
        time(9, 30),
        time(10),
        time(10, 30),
        time(11),
        time(11, 30),
    ]
    assert {(s.capacity, s.booked, s.ends_at - s.starts_at) for s in slots} == {
        (2, 0, timedelta(minutes=30))
    }


def test_list_slots_only_whole_slots_inside_the_template_and_the_hours(
    db, backend, agenda
):
    planning.set_slot_templates(agenda.service, [SlotSpec(2, time(9), time(10, 45))])
    assert [
        s.local_start.time() for s in queries.list_slots(agenda.service, WEDNESDAY)
    ] == [
        time(9),
        time(9, 30),
        time(10),
    ]
    # The branch later opens at 09:15 on Wednesdays: the grid keeps its own steps.
    agenda.branch.hours_on(2).opens_at = time(9, 15)
    db.session.commit()
    assert [
        s.local_start.time() for s in queries.list_slots(agenda.service, WEDNESDAY)
    ] == [
        time(9, 30),
        time(10),
    ]


def test_list_slots_is_empty_on_closures_and_closed_days(db, backend, agenda):
    db.session.add(BranchClosure(branch_id=agenda.branch.id, date=WEDNESDAY))
    db.session.commit()
    assert queries.list_slots(agenda.service, WEDNESDAY) == []
    assert queries.list_slots(agenda.service, date(2026, 12, 6)) == []  # Sunday


def test_list_available_times_respects_notice_and_bookings(db, backend, agenda, frozen):
    today = date(2026, 12, 1)  # Tuesday, 10:00: with 2 h notice nothing is left today
    assert queries.list_available_times(agenda.service, today) == []
    planning.set_booking_settings(agenda.service, min_notice_minutes=30)
    assert [
        s.local_start.time()
        for s in queries.list_available_times(agenda.service, today)
    ] == [
        time(10, 30),
        time(11),
        time(11, 30),
    ]
    for customer in (agenda.customer, agenda.agent):
        ops.book_appointment(customer, agenda.service, at(2, 9))
    times = queries.list_available_times(agenda.service, WEDNESDAY)
    assert at(2, 9) not in [s.starts_at for s in times] and len(times) == 5
    half = [s for s in times if s.starts_at == at(2, 9, 30)]
    assert half and half[0].free == 2


def test_list_available_times_stops_at_the_maximum_advance(db, backend, agenda):
    assert queries.list_available_times(agenda.service, date(2026, 12, 31))  # 30 days
    assert queries.list_available_times(agenda.service, date(2027, 1, 1)) == []
    planning.set_booking_settings(agenda.service, max_advance_days=7)
    assert queries.list_available_times(agenda.service, date(2026, 12, 8))
    assert queries.list_available_times(agenda.service, date(2026, 12, 9)) == []


def test_list_available_days_is_the_booking_calendar(db, backend, agenda, frozen):
    db.session.add(BranchClosure(branch_id=agenda.branch.id, date=date(2026, 12, 4)))
    db.session.commit()
    for customer in (agenda.customer, agenda.agent):
        ops.book_appointment(customer, agenda.service, at(2, 9))
    days = queries.list_available_days(agenda.service)
    assert len(days) == 31 and days[0].day == date(2026, 12, 1)
    free = {d.day: d.free for d in days}
    assert free[date(2026, 12, 1)] == 0  # today: nothing after the 2 h notice
    assert free[date(2026, 12, 2)] == 10  # 6 slots x 2, one slot taken
    assert free[date(2026, 12, 3)] == 12
    assert free[date(2026, 12, 4)] == 0  # closure
    assert free[date(2026, 12, 5)] == free[date(2026, 12, 6)] == 0  # weekend
    assert [d.has_room for d in days[:4]] == [False, True, True, False]
    week = queries.list_available_days(agenda.service, date(2026, 12, 28), days=7)
    assert [d.free for d in week] == [12, 12, 12, 12, 0, 0, 0]  # Jan 1st is too far
