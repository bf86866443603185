"""What keeps the kiosk's start screen current without being told: the branch opening or
closing by its hours publishes nothing, so the screen re-fetches itself at the next
moment its state may change (and hears everything else on its socket)."""

import math
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import OpeningHours
from ...queueing.rules import BranchState

# A screen left alone re-fetches at least this often: whatever we did not foresee (a
# closure added for today) shows within the hour.
LONGEST_WAIT = 3600
# After the change rather than on it: a clock a little behind would fetch the old state.
MARGIN = 1


def seconds_until_change(branch_id: int, state: BranchState) -> int:
    """Seconds until the branch's open/closed state may next change (a closed branch:
    its next opening; an open one: the earliest end or start of a span, or midnight,
    when a closure date begins). Early is harmless: the screen then finds no change."""
    local = state.local
    if not state.open and state.next_opening is not None:
        return _seconds(local, state.next_opening)
    today = local.date()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time())
    moments = [midnight.replace(tzinfo=local.tzinfo)]
    if state.open:
        hours = db.session.execute(
            select(
                OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
            ).where(OpeningHours.branch_id == branch_id)
        ).all()
        week = {weekday: (opens, closes) for weekday, opens, closes in hours}
        for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
            if day.weekday() not in week:
                continue
            opens, closes = week[day.weekday()]
            # Ends the next day when it closes at or before its opening (see OpeningHours).
            end_day = day if opens < closes else day + timedelta(days=1)
            moments.append(datetime.combine(day, opens, tzinfo=local.tzinfo))
            moments.append(datetime.combine(end_day, closes, tzinfo=local.tzinfo))
    return _seconds(local, min(m for m in moments if m > local))


def _seconds(local: datetime, moment: datetime) -> int:
    wait = math.ceil((moment - local).total_seconds()) + MARGIN
    return max(MARGIN, min(wait, LONGEST_WAIT))
