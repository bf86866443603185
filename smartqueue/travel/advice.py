"""When to leave: pure functions a job and a page call with numbers already read.

A ticket's wait is the low bound of the range its page shows (queueing's `wait_range`):
the earliest its holder may be called, so advice never sends anyone too late.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# queueing/queries.py `wait_range`: the low bound is 3/4 of the expected minutes, rounded
# down to 5 (0 under 5 minutes); a test checks these against it.
WAIT_LOW_SHARE = 0.75
WAIT_STEP_MINUTES = 5


@dataclass(frozen=True)
class TicketAdvice:
    leave_at: datetime  # may be past: the slack it measures stays put as time goes on
    leave_now: bool  # wait - travel - margin <= 0
    too_far: bool  # travel > wait + margin: offer to move back in the line
    slack_minutes: int  # wait - travel - margin


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("advice needs an aware datetime")
    return moment


def advise_ticket(
    now: datetime, wait_low_minutes: int, travel_minutes: int, margin_minutes: int
) -> TicketAdvice:
    """A waiting ticket's advice from its wait's low bound, travel and margin."""
    slack = wait_low_minutes - travel_minutes - margin_minutes
    return TicketAdvice(
        leave_at=_aware(now) + timedelta(minutes=slack),
        leave_now=slack <= 0,
        too_far=travel_minutes > wait_low_minutes + margin_minutes,
        slack_minutes=slack,
    )


def should_tell(
    advice: TicketAdvice, told_leave_at: datetime | None, margin_minutes: int
) -> bool:
    """Tell "leave now" once when it is due; again only if the advice has slipped
    earlier by more than the margin since the leave_at that was told (a counter opened,
    the line ran faster: who left on time would now be late).

    Not when it slips later: leave_at is measured from now, so a stalled line moves it
    later by the minute, and telling again on that would mail a holder already on the
    way at every margin for as long as the line stands still (they simply wait a little
    at the branch)."""
    if not advice.leave_now:
        return False
    if told_leave_at is None:
        return True
    earlier = _aware(told_leave_at) - advice.leave_at
    return earlier > timedelta(minutes=margin_minutes)


def appointment_departure(
    starts_at: datetime, travel_minutes: int, margin_minutes: int
) -> datetime:
    """Departure = appointment time - travel - margin."""
    return _aware(starts_at) - timedelta(minutes=travel_minutes + margin_minutes)


def wait_low_minutes(
    ahead: int, mean_service_minutes: float, open_counters: int
) -> int:
    """The low bound queueing's `wait_range` shows for that many people ahead."""
    minutes = ahead * mean_service_minutes / max(open_counters, 1)
    if minutes < WAIT_STEP_MINUTES:
        return 0
    step = WAIT_STEP_MINUTES
    return max(0, int(math.floor(minutes * WAIT_LOW_SHARE / step) * step))


def place_for_arrival(
    travel_minutes: int,
    margin_minutes: int,
    mean_service_minutes: float,
    open_counters: int,
    *,
    ahead_now: int,
    others_waiting: int,
) -> int | None:
    """How many people should be ahead so the holder, leaving now, arrives a margin
    before the earliest moment they may be called; the inputs are those of queueing's
    `wait_range` (`mean_service_minutes`, `count_open_counters`).

    The same rule as "leave now": after the move the wait's low bound covers travel +
    margin, so the holder is told to leave at once and neither waits long nor is called
    on the road. Never ahead of where they are (a move is only back), never past the end
    of the line (`others_waiting`). None when the line does not move (no mean service
    time): no place matches any arrival.
    """
    if mean_service_minutes <= 0:
        return None
    arrival = travel_minutes + margin_minutes
    per_person = mean_service_minutes / max(open_counters, 1)
    # The inverse of the low bound (a multiple of the step, at least one step when any
    # arrival is asked), then a step either way for float rounding.
    low_needed = math.ceil(max(arrival, 0) / WAIT_STEP_MINUTES) * WAIT_STEP_MINUTES
    needed = math.ceil(low_needed / WAIT_LOW_SHARE / per_person)
    while wait_low_minutes(needed, mean_service_minutes, open_counters) < arrival:
        needed += 1
    while needed > 0 and (
        wait_low_minutes(needed - 1, mean_service_minutes, open_counters) >= arrival
    ):
        needed -= 1
    return max(ahead_now, min(needed, others_waiting))
