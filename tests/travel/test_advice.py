"""Advice: leave at, leave now, too far, telling again, appointments, a place in line."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartqueue.queueing.queries import wait_range
from smartqueue.travel import (
    advise_ticket,
    appointment_departure,
    place_for_arrival,
    should_tell,
)
from smartqueue.travel.advice import wait_low_minutes

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)

waits = st.integers(min_value=0, max_value=600)
travels = st.integers(min_value=0, max_value=300)
margins = st.integers(min_value=5, max_value=30)


def test_leave_at_is_wait_minus_travel_minus_margin():
    advice = advise_ticket(
        NOW, wait_low_minutes=60, travel_minutes=25, margin_minutes=10
    )
    assert advice.leave_at == NOW + timedelta(minutes=25)
    assert (advice.leave_now, advice.too_far, advice.slack_minutes) == (
        False,
        False,
        25,
    )


def test_leave_now_when_the_slack_reaches_zero():
    assert advise_ticket(NOW, 35, 25, 10).leave_now
    assert advise_ticket(NOW, 35, 25, 10).leave_at == NOW
    assert not advise_ticket(NOW, 36, 25, 10).leave_now


def test_too_far_when_travel_exceeds_wait_plus_margin():
    assert not advise_ticket(NOW, 20, 30, 10).too_far  # leave now: just in time
    assert advise_ticket(NOW, 20, 31, 10).too_far
    assert advise_ticket(NOW, 20, 31, 10).leave_now


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        advise_ticket(datetime(2026, 12, 1, 10, 0), 60, 20, 10)


@given(waits, waits, travels, margins)
def test_a_longer_wait_never_makes_leave_at_earlier(a, b, travel, margin):
    shorter, longer = sorted((a, b))
    assert (
        advise_ticket(NOW, longer, travel, margin).leave_at
        >= advise_ticket(NOW, shorter, travel, margin).leave_at
    )


@given(waits, travels, travels, margins)
def test_a_longer_trip_never_makes_leave_at_later(wait, a, b, margin):
    shorter, longer = sorted((a, b))
    assert (
        advise_ticket(NOW, wait, longer, margin).leave_at
        <= advise_ticket(NOW, wait, shorter, margin).leave_at
    )


def test_told_once_when_leave_now_comes():
    not_yet = advise_ticket(NOW, 60, 25, 10)
    due = advise_ticket(NOW, 30, 25, 10)
    assert not should_tell(not_yet, None, 10)
    assert should_tell(due, None, 10)
    # Five minutes later the line moved as estimated: the same leave_at, told already.
    later = advise_ticket(NOW + timedelta(minutes=5), 25, 25, 10)
    assert later.leave_at == due.leave_at
    assert not should_tell(later, due.leave_at, 10)


def test_told_again_only_when_the_advice_slips_earlier_by_more_than_the_margin():
    told = advise_ticket(NOW, 35, 25, 10)  # leave_at = NOW
    by_the_margin = advise_ticket(NOW, 25, 25, 10)  # 10 minutes earlier
    past_it = advise_ticket(NOW, 24, 25, 10)  # 11 minutes earlier: traffic got worse
    assert not should_tell(by_the_margin, told.leave_at, 10)
    assert should_tell(past_it, told.leave_at, 10)
    # The line stalled: leave_at moves later by the minute; whoever left on time waits
    # a little at the branch, and is not mailed again at every margin.
    for minutes in (11, 60, 180):
        stalled = advise_ticket(NOW + timedelta(minutes=minutes), 35, 25, 10)
        assert not should_tell(stalled, told.leave_at, 10)


def test_appointment_departure():
    starts_at = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
    assert appointment_departure(starts_at, 40, 15) == starts_at - timedelta(minutes=55)


@given(
    ahead=st.integers(0, 500),
    mean=st.floats(min_value=0.5, max_value=60),
    counters=st.integers(0, 12),
)
def test_wait_low_is_queueings_low_bound(ahead, mean, counters):
    assert (
        wait_low_minutes(ahead, mean, counters) == wait_range(ahead, mean, counters).low
    )


@given(
    travel=st.integers(0, 300),
    margin=margins,
    mean=st.floats(min_value=0.5, max_value=60),
    counters=st.integers(0, 12),
)
def test_place_for_arrival_is_the_first_whose_earliest_call_follows_the_arrival(
    travel, margin, mean, counters
):
    place = place_for_arrival(
        travel, margin, mean, counters, ahead_now=0, others_waiting=100_000
    )
    low = wait_range(place, mean, counters).low
    assert low >= travel + margin
    if place > 0:
        assert wait_range(place - 1, mean, counters).low < travel + margin
    # Moved there and leaving at once, the holder is not too far any more.
    assert not advise_ticket(NOW, low, travel, margin).too_far


def test_place_for_arrival_by_hand():
    # 5 min a person at 1 counter; travel 40 + margin 15 = 55 -> a low bound of 55:
    # 0.75 x ahead x 5 >= 55 -> ahead >= 14.67 -> 15 (low 56.25 -> 55).
    assert place_for_arrival(40, 15, 5.0, 1, ahead_now=3, others_waiting=40) == 15
    # Two counters halve each person's minutes: 30 people.
    assert place_for_arrival(40, 15, 5.0, 2, ahead_now=3, others_waiting=40) == 30


def test_place_for_arrival_stays_within_the_line_and_only_moves_back():
    assert place_for_arrival(40, 15, 5.0, 1, ahead_now=3, others_waiting=9) == 9
    assert place_for_arrival(5, 5, 5.0, 1, ahead_now=12, others_waiting=40) == 12


def test_no_place_when_the_line_does_not_move():
    assert place_for_arrival(40, 15, 0.0, 1, ahead_now=3, others_waiting=9) is None
