"""Limits and opening checks applied when a ticket is issued."""

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .. import clock
from ..models import Branch, Plan

CUSTOMER_TICKETS_PER_DAY = 5
MAX_RECALLS = 3
MAX_PASSES = 2
PASS_PLACES = 3
# Tickets per organization per day (DOMAIN.md, Plans); None = unlimited.
PLAN_TICKETS_PER_DAY = {
    Plan.FREE: 50,
    Plan.STARTER: 200,
    Plan.BUSINESS: 1000,
    Plan.ENTERPRISE: None,
}


def closed_reason(branch: Branch, moment: datetime | None = None) -> str | None:
    """Why the branch is closed at `moment` (Dakar time), or None if it is open."""
    local = clock.local(moment or clock.now())
    if any(c.date == local.date() for c in branch.closures):
        return _l("L'agence est fermée aujourd'hui.")
    hours = branch.hours_on(local.weekday())
    if hours is None:
        return _l("L'agence est fermée aujourd'hui.")
    if not (hours.opens_at <= local.time() < hours.closes_at):
        return _l(
            "L'agence est ouverte de %(opens)s à %(closes)s.",
            opens=hours.opens_at.strftime("%H:%M"),
            closes=hours.closes_at.strftime("%H:%M"),
        )
    return None
