"""The plans (DOMAIN.md, Payments): one table of what each costs and allows, read by the
three places that enforce a limit (tickets a day: queueing/rules.py; active queues:
operations/services.py; staff seats: operations/staff.py), and an organization's change
of plan.

An upgrade takes effect at once. A downgrade waits for the first day of next month
(Dakar), recorded on the organization (`next_plan`, `next_plan_from`) and applied by
the periodic `apply_due_plan_changes`; it is refused while the organization uses more
than the smaller plan allows, with both figures in the message.

This module reads its own counts (`current_use`) rather than orgs/queries.py: the
limits' table is imported by queueing/rules.py, which orgs/queries.py imports, so
importing the queries here would make a cycle. tests/orgs/test_plans.py checks that
both counts agree.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import and_, func, select

from .. import clock
from ..extensions import db
from ..models import (
    Branch,
    Invitation,
    Invoice,
    Membership,
    Organization,
    Plan,
    Service,
    Ticket,
    User,
    utcnow,
)
from ..payments.fees import PLAN_PRICES
from ..work import begin_write, unit_of_work
from . import policy
from .errors import OrgError, PlanLimitReached

log = logging.getLogger(__name__)

# Organizations whose downgrade is due, taken at a time by the periodic step.
BATCH = 200
# A downgrade waits for the invoice of the month before it (billed on the larger plan,
# payments/invoices.py) at most this long: there is no plan history, so applying it
# first would bill that month on the smaller plan. Past it, the billing job is late or
# had nothing to bill (an inactive organization): apply anyway.
WAIT_FOR_INVOICE = timedelta(days=3)


@dataclass(frozen=True)
class PlanTerms:
    """What a plan costs each month and what it allows (None: unlimited)."""

    plan: Plan
    name: str  # as the pages say it (the same words as web/labels.py)
    price_fcfa: int
    tickets_per_day: int | None
    queues: int
    staff_seats: int


# From the smallest to the largest: the order of "upgrade" and "downgrade".
PLANS: dict[Plan, PlanTerms] = {
    terms.plan: terms
    for terms in (
        PlanTerms(Plan.FREE, _l("Gratuit"), PLAN_PRICES[Plan.FREE], 50, 2, 3),
        PlanTerms(Plan.STARTER, _l("Starter"), PLAN_PRICES[Plan.STARTER], 200, 5, 10),
        PlanTerms(
            Plan.BUSINESS, _l("Business"), PLAN_PRICES[Plan.BUSINESS], 1000, 15, 50
        ),
        PlanTerms(
            Plan.ENTERPRISE,
            _l("Enterprise"),
            PLAN_PRICES[Plan.ENTERPRISE],
            None,
            50,
            200,
        ),
    )
}
RANK = {plan: position for position, plan in enumerate(PLANS)}


def terms(plan: Plan) -> PlanTerms:
    return PLANS[plan]


class PlanChangeRefused(OrgError):
    """Not this person, not this plan, or nothing to cancel."""


@dataclass(frozen=True)
class Use:
    """What an organization uses now, in the plans' units."""

    queues: int  # active services (one queue each)
    staff: int  # members, and open invitations (they hold a seat)
    tickets_today: int  # issued today (Dakar) across its branches


def current_use(org_id: int) -> Use:
    """The organization's use of each limit, read in one statement."""
    queues = (
        select(func.count(Service.id))
        .join(Branch, Branch.id == Service.branch_id)
        .where(Branch.organization_id == org_id, Service.is_active.is_(True))
        .scalar_subquery()
    )
    members = (
        select(func.count(Membership.id))
        .where(Membership.organization_id == org_id)
        .scalar_subquery()
    )
    invited = (
        select(func.count(Invitation.id))
        .where(
            Invitation.organization_id == org_id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .scalar_subquery()
    )
    tickets = (
        select(func.count(Ticket.id))
        .join(Branch, Branch.id == Ticket.branch_id)
        .where(Branch.organization_id == org_id, Ticket.day == clock.today())
        .scalar_subquery()
    )
    row = db.session.execute(select(queues, members, invited, tickets)).one()
    return Use(queues=row[0], staff=row[1] + row[2], tickets_today=row[3])


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def too_much_for(plan: Plan, use: Use) -> list[str]:
    """Why `use` does not fit in `plan`: one sentence per limit passed, with the figures
    (empty: it fits)."""
    allowed = terms(plan)
    reasons = []
    if use.queues > allowed.queues:
        reasons.append(
            ngettext(
                "Vous avez %(num)s file active, la formule %(plan)s en permet "
                "%(limit)s.",
                "Vous avez %(num)s files actives, la formule %(plan)s en permet "
                "%(limit)s.",
                use.queues,
                plan=allowed.name,
                limit=allowed.queues,
            )
        )
    if use.staff > allowed.staff_seats:
        reasons.append(
            ngettext(
                "Vous avez %(num)s membre du personnel (invitations en cours "
                "comprises), la formule %(plan)s en permet %(limit)s.",
                "Vous avez %(num)s membres du personnel (invitations en cours "
                "comprises), la formule %(plan)s en permet %(limit)s.",
                use.staff,
                plan=allowed.name,
                limit=allowed.staff_seats,
            )
        )
    if (
        allowed.tickets_per_day is not None
        and use.tickets_today > allowed.tickets_per_day
    ):
        reasons.append(
            ngettext(
                "Vous avez émis %(num)s ticket aujourd'hui, la formule %(plan)s en "
                "permet %(limit)s par jour.",
                "Vous avez émis %(num)s tickets aujourd'hui, la formule %(plan)s en "
                "permet %(limit)s par jour.",
                use.tickets_today,
                plan=allowed.name,
                limit=allowed.tickets_per_day,
            )
        )
    return reasons


@dataclass(frozen=True)
class PlanChange:
    """What `change_plan` did: the plan now held, and the one waiting (if any)."""

    plan: Plan
    next_plan: Plan | None
    next_plan_from: date | None

    @property
    def at_once(self) -> bool:
        return self.next_plan is None


def _lock(org: Organization) -> Organization:
    """Start a unit of work holding the organization's row lock, its state fresh:
    a change of plan and a new queue or invitation (services.py, staff.py lock the same
    row) do not pass each other."""
    begin_write(db.session)
    return db.session.scalar(
        select(Organization)
        .where(Organization.id == org.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _check_may(by: User, org: Organization) -> None:
    if by is None or not policy.can_manage_organization(by, org):
        raise PlanChangeRefused(
            _l(
                "Seuls les administrateurs de l'organisation peuvent changer de formule."
            )
        )


@unit_of_work
def change_plan(org: Organization, plan: Plan, *, by: User) -> PlanChange:
    """Move an organization to `plan`: an upgrade at once, a downgrade from the first day
    of next month (refused while its use exceeds the smaller plan). Choosing the plan
    it already holds cancels a downgrade waiting."""
    _check_may(by, org)
    org = _lock(org)
    if plan is org.plan:
        if org.next_plan is None:
            raise PlanChangeRefused(
                _l(
                    "Votre organisation a déjà la formule %(plan)s.",
                    plan=terms(plan).name,
                )
            )
        org.next_plan = org.next_plan_from = None
    elif RANK[plan] > RANK[org.plan]:
        org.plan = plan
        org.next_plan = org.next_plan_from = None
    else:
        reasons = too_much_for(plan, current_use(org.id))
        if reasons:
            raise PlanLimitReached(" ".join(str(reason) for reason in reasons))
        org.next_plan = plan
        org.next_plan_from = first_of_next_month(clock.today())
    db.session.commit()
    log.info(
        "organization %s: plan %s, next %s from %s (by user %s)",
        org.id,
        org.plan.value,
        org.next_plan.value if org.next_plan else None,
        org.next_plan_from,
        by.id,
    )
    return PlanChange(org.plan, org.next_plan, org.next_plan_from)


@unit_of_work
def cancel_plan_change(org: Organization, *, by: User) -> PlanChange:
    """Keep the current plan: drop the downgrade waiting for next month."""
    _check_may(by, org)
    org = _lock(org)
    if org.next_plan is None:
        raise PlanChangeRefused(_l("Aucun changement de formule n'est prévu."))
    org.next_plan = org.next_plan_from = None
    db.session.commit()
    return PlanChange(org.plan, None, None)


def due_plan_changes(today: date, after_id: int = 0, limit: int = BATCH) -> list[int]:
    """Organizations whose waiting downgrade starts on or before `today`, by id."""
    return list(
        db.session.scalars(
            select(Organization.id)
            .where(
                and_(
                    Organization.next_plan.is_not(None),
                    Organization.next_plan_from <= today,
                    Organization.id > after_id,
                )
            )
            .order_by(Organization.id)
            .limit(limit)
        )
    )


def _month_before_billed(org: Organization) -> bool:
    """The month before the downgrade is invoiced, or owes no plan (a free plan)."""
    if terms(org.plan).price_fcfa == 0:
        return True
    before = org.next_plan_from - timedelta(days=1)
    return (
        db.session.scalar(
            select(Invoice.id).where(
                Invoice.organization_id == org.id,
                Invoice.period_start == before.replace(day=1),
            )
        )
        is not None
    )


@unit_of_work
def _apply_plan_change(org_id: int, today: date) -> bool:
    begin_write(db.session)
    org = db.session.scalar(
        select(Organization)
        .where(Organization.id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if org is None or org.next_plan is None or org.next_plan_from > today:
        db.session.commit()
        return False  # cancelled or applied meanwhile
    if not _month_before_billed(org) and today < org.next_plan_from + WAIT_FOR_INVOICE:
        db.session.commit()
        return False  # its last month on the larger plan is not invoiced yet
    # Applied even if the organization has grown since it chose: the plan is what it
    # pays for; its limits now refuse anything new beyond the smaller plan.
    log.info(
        "organization %s: plan %s -> %s (chosen for %s)",
        org.id,
        org.plan.value,
        org.next_plan.value,
        org.next_plan_from,
    )
    org.plan, org.next_plan, org.next_plan_from = org.next_plan, None, None
    db.session.commit()
    return True


def apply_due_plan_changes() -> int:
    """Periodic: apply the downgrades whose month has begun (Dakar); idempotent."""
    today = clock.today()
    applied, after_id = 0, 0
    # By id, so that a change left waiting (its invoice not made yet) is passed over.
    while batch := due_plan_changes(today, after_id):
        db.session.commit()  # end the read; each change is its own unit of work
        applied += sum(_apply_plan_change(org_id, today) for org_id in batch)
        after_id = batch[-1]
    return applied
