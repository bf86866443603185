"""The time, in one place: UTC for storage, Africa/Dakar for people (no DST, UTC+0).

Tests freeze it with `freeze()`; everything in the core asks `now()`.
"""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DAKAR = ZoneInfo("Africa/Dakar")
_frozen: datetime | None = None


def now() -> datetime:
    return _frozen or datetime.now(timezone.utc)


def today() -> date:
    """The date in Dakar: ticket numbers restart from 001 each day."""
    return now().astimezone(DAKAR).date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(DAKAR)


def freeze(moment: datetime | None) -> None:
    """Tests only: stop the clock at `moment` (None starts it again)."""
    global _frozen
    _frozen = moment
