"""Quiet hours: when a message that can wait is held until morning (Dakar time)."""

from datetime import datetime, time, timedelta

from .. import clock

DEFAULT_START = time(22, 0)
DEFAULT_END = time(7, 0)


def quiet_until(
    now: datetime, start: time = DEFAULT_START, end: time = DEFAULT_END
) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None outside them.

    The hours may run over midnight (22:00-07:00) or not (13:00-15:00); start == end
    means none."""
    if start == end:
        return None
    local = clock.local(now)
    at = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= at < end
        ends_on = local.date()
    else:
        inside = at >= start or at < end
        ends_on = local.date() + timedelta(days=1) if at >= start else local.date()
    if not inside:
        return None
    ends = datetime.combine(ends_on, end, tzinfo=local.tzinfo)
    return ends.astimezone(now.tzinfo)
