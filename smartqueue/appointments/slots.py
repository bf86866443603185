"""The grid of bookable times: pure arithmetic on templates, opening hours and dates.

A template (weekday, start, end, slot length, capacity) yields slots start, start + length,
... while a whole slot fits before its end and inside the branch's opening hours that day.
Times are Dakar wall-clock times; slots carry UTC instants.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise

from ..clock import DAKAR

MIN_SLOT_MINUTES, MAX_SLOT_MINUTES, DEFAULT_SLOT_MINUTES = 15, 120, 30
MIN_CAPACITY, MAX_CAPACITY = 1, 10


@dataclass(frozen=True)
class SlotSpec:
    """What a manager asks for: a weekly range of slots (Monday = 0)."""

    weekday: int
    start_time: time
    end_time: time
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    capacity: int = 1


@dataclass(frozen=True)
class Slot:
    """One bookable time of one day, and how many places are taken."""

    starts_at: datetime  # UTC
    ends_at: datetime
    capacity: int
    booked: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def is_full(self) -> bool:
        return self.free == 0

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(DAKAR)


@dataclass(frozen=True)
class DayAvailability:
    """One day of the booking calendar: places left over its bookable slots."""

    day: date
    free: int
    capacity: int

    @property
    def has_room(self) -> bool:
        return self.free > 0


def at(day: date, moment: time) -> datetime:
    """A Dakar wall-clock time of a day, as a UTC instant."""
    return datetime.combine(day, moment, tzinfo=DAKAR).astimezone(timezone.utc)


def local_day(moment: datetime) -> date:
    return moment.astimezone(DAKAR).date()


def grid(templates: Iterable, day: date, opens: time, closes: time) -> list[Slot]:
    """The slots of `day` from the templates of its weekday, inside opens-closes."""
    slots: dict[datetime, Slot] = {}
    for template in templates:
        if template.weekday != day.weekday():
            continue
        length = timedelta(minutes=template.slot_minutes)
        start = at(day, max(template.start_time, opens))
        # Keep the template's own grid when opening hours cut its beginning.
        first = at(day, template.start_time)
        if start > first:
            steps = -(-(start - first) // length)  # ceiling division
            start = first + steps * length
        end = min(at(day, template.end_time), at(day, closes))
        while start + length <= end:
            slots.setdefault(start, Slot(start, start + length, template.capacity))
            start += length
    return [slots[k] for k in sorted(slots)]


def spec_problem(spec: SlotSpec, opens: time | None, closes: time | None) -> str | None:
    """Why a spec cannot be used (a key of MESSAGES in operations), or None."""
    if not 0 <= spec.weekday <= 6:
        return "weekday"
    if not MIN_SLOT_MINUTES <= spec.slot_minutes <= MAX_SLOT_MINUTES:
        return "length"
    if not MIN_CAPACITY <= spec.capacity <= MAX_CAPACITY:
        return "capacity"
    if spec.start_time >= spec.end_time:
        return "order"
    if _minutes(spec.end_time) - _minutes(spec.start_time) < spec.slot_minutes:
        return "short"
    if opens is None or spec.start_time < opens or spec.end_time > closes:
        return "hours"
    return None


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def overlapping(specs: Iterable[SlotSpec]) -> SlotSpec | None:
    """The first spec that overlaps another of the same weekday, or None."""
    ordered = sorted(specs, key=lambda s: (s.weekday, s.start_time))
    for before, after in pairwise(ordered):
        if before.weekday == after.weekday and after.start_time < before.end_time:
            return after
    return None
