"""How sure a service's wait estimates are: the share of its tickets of the last
CONFIDENCE_DAYS closed days whose wait fell inside the range they were told at issue,
read from the rollups (`rollup_service_day.told_n / told_inside`).

A waiting ticket's page says it ("8 times out of 10") when at least MIN_TOLD tickets
back it, nothing otherwise. The figure changes once a day (the nightly rollup), so each
process reads it once per service and Dakar day: a page drawn again costs a dict lookup.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models.analytics import service_day

CONFIDENCE_DAYS = 28
MIN_TOLD = 30  # fewer told waits than this: too few to say anything


@dataclass(frozen=True)
class Confidence:
    """A service's told waits over the window, and how many came true."""

    told: int
    inside: int

    @property
    def share(self) -> float:
        return self.inside / self.told if self.told else 0.0

    @property
    def in_ten(self) -> int:
        """'n times out of 10', rounded down: never says better than it was."""
        return int(self.share * 10)


def read_confidence(service_id: int, today: date) -> Confidence:
    """The told waits of `service_id` over the CONFIDENCE_DAYS days before `today`."""
    told, inside = db.session.execute(
        select(
            func.coalesce(func.sum(service_day.c.told_n), 0),
            func.coalesce(func.sum(service_day.c.told_inside), 0),
        ).where(
            service_day.c.service_id == service_id,
            service_day.c.day >= today - timedelta(days=CONFIDENCE_DAYS),
            service_day.c.day < today,
        )
    ).one()
    return Confidence(int(told), int(inside))


def estimate_confidence(service_id: int) -> Confidence | None:
    """What a waiting ticket's page may say of its service's estimates (None: too few
    told waits to say anything); read once per service and Dakar day in this process."""
    today = clock.today()
    cache = current_app.extensions.get("sq_confidence")
    if cache is None or cache[0] != today:
        # A new day drops yesterday's figures: the cache holds one day's services only.
        cache = current_app.extensions["sq_confidence"] = (today, {})
    known = cache[1]
    if service_id not in known:
        known[service_id] = read_confidence(service_id, today)
    confidence = known[service_id]
    return confidence if confidence.told >= MIN_TOLD else None
