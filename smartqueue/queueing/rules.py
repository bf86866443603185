"""Limits and opening checks applied when a ticket is issued."""

from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Branch, BranchClosure, OpeningHours, Plan

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
    """Why the branch is closed at `moment` (Dakar time), or None if it is open.

    One statement (that day's hours and whether it is a closure day), not the branch's
    whole calendar: it runs on every ticket issued.
    """
    local = clock.local(moment or clock.now())
    closed_today = (
        select(BranchClosure.id)
        .where(BranchClosure.branch_id == branch.id, BranchClosure.date == local.date())
        .exists()
    )
    row = db.session.execute(
        select(OpeningHours.opens_at, OpeningHours.closes_at, closed_today)
        .select_from(Branch)
        .outerjoin(
            OpeningHours,
            (OpeningHours.branch_id == Branch.id)
            & (OpeningHours.weekday == local.weekday()),
        )
        .where(Branch.id == branch.id)
    ).first()
    if row is None:
        return _l("L'agence est fermée aujourd'hui.")
    return closed_reason_for(local, *row)


def closed_reason_for(
    local: datetime, opens: time | None, closes: time | None, closed_today: bool
) -> str | None:
    """Why a branch with these hours that day (None: no hours) is closed at `local`."""
    if closed_today or opens is None:
        return _l("L'agence est fermée aujourd'hui.")
    if not (opens <= local.time() < closes):
        return _l(
            "L'agence est ouverte de %(opens)s à %(closes)s.",
            opens=opens.strftime("%H:%M"),
            closes=closes.strftime("%H:%M"),
        )
    return None
