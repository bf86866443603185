"""Plans: one table for the limits and prices, and a change of plan (an upgrade at once,
a downgrade on the 1st of next month, refused with the figures when the organization
uses more); on SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from smartqueue.jobs.schedule import PERIODIC
from smartqueue.models import Channel, Invoice, Organization, Plan, Role
from smartqueue.orgs import operations as org_ops
from smartqueue.orgs import plans
from smartqueue.orgs import queries as org_queries
from smartqueue.orgs.errors import PlanLimitReached
from smartqueue.orgs.plans import PlanChangeRefused
from smartqueue.payments.fees import PLAN_PRICES
from smartqueue.payments.invoices import generate_invoices
from smartqueue.queueing import operations as queueing_ops
from smartqueue.queueing import rules
from smartqueue.queueing.errors import LimitReached


@pytest.fixture
def org_with(db, frozen, make_org, make_branch, make_service, make_user):
    """An organization on `plan` with `queues` active services and an admin."""

    def make(plan=Plan.BUSINESS, queues=1):
        org = make_org(plan=plan)
        branch = make_branch(org)
        services = [
            make_service(branch, chr(ord("A") + n), f"Service {n}")
            for n in range(queues)
        ]
        admin = make_user(role="org_admin", org=org)
        return org, branch, services, admin

    return make


def _reload(db, org) -> Organization:
    db.session.expire_all()
    return db.session.get(Organization, org.id)


def test_plans_table_is_what_the_limits_and_prices_read(db):
    assert [p.plan for p in plans.PLANS.values()] == list(Plan)
    for plan, terms in plans.PLANS.items():
        assert rules.PLAN_TICKETS_PER_DAY[plan] == terms.tickets_per_day
        assert org_ops.PLAN_QUEUE_LIMIT[plan] == terms.queues
        assert org_ops.PLAN_STAFF_LIMIT[plan] == terms.staff_seats
        assert terms.price_fcfa == PLAN_PRICES[plan]
    starter = plans.terms(Plan.STARTER)
    assert (starter.price_fcfa, starter.tickets_per_day) == (15_000, 200)
    assert (starter.queues, starter.staff_seats) == (5, 10)
    assert plans.terms(Plan.ENTERPRISE).tickets_per_day is None


def test_current_use_counts_as_the_organization_queries_do(
    db, org_with, make_user, make_service
):
    org, branch, services, admin = org_with(queues=3)
    services[2].is_active = False
    db.session.commit()
    make_user(role="agent", branch=branch)
    org_ops.invite_staff(org, "new@example.sn", Role.AGENT, branch.id, by=admin)
    queueing_ops.issue_ticket(services[0], channel=Channel.KIOSK)
    use = plans.current_use(org.id)
    assert use.queues == org_queries.count_active_queues(org.id) == 2
    assert use.staff == org_queries.count_staff(org.id) == 3  # admin, agent, invited
    assert use.tickets_today == 1


def test_upgrade_takes_effect_at_once(db, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.STARTER)
    change = plans.change_plan(org, Plan.BUSINESS, by=admin)
    assert change.at_once and change.plan is Plan.BUSINESS
    org = _reload(db, org)
    assert (org.plan, org.next_plan, org.next_plan_from) == (Plan.BUSINESS, None, None)


def test_downgrade_waits_for_the_first_of_next_month_and_the_periodic_step(
    db, frozen, org_with
):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS, queues=2)
    change = plans.change_plan(org, Plan.STARTER, by=admin)
    assert not change.at_once
    assert change.next_plan_from == date(2027, 1, 1)  # frozen: 1 December 2026
    org = _reload(db, org)
    assert (org.plan, org.next_plan) == (Plan.BUSINESS, Plan.STARTER)

    # 31 December, 23:59 in Dakar: still December, nothing to apply.
    frozen.set(datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc))
    assert plans.apply_due_plan_changes() == 0
    assert _reload(db, org).plan is Plan.BUSINESS
    # The 1st: applied once December is invoiced (on Business: payments/invoices.py
    # reads the plan held), not before.
    frozen.set(datetime(2027, 1, 1, 0, 30, tzinfo=timezone.utc))
    assert plans.apply_due_plan_changes() == 0
    assert generate_invoices()  # December's, from 1 January
    december = db.session.scalars(
        select(Invoice).where(Invoice.organization_id == org.id)
    ).one()
    assert december.plan is Plan.BUSINESS and december.total_fcfa == 50_000
    assert plans.apply_due_plan_changes() == 1
    org = _reload(db, org)
    assert (org.plan, org.next_plan, org.next_plan_from) == (Plan.STARTER, None, None)
    assert plans.apply_due_plan_changes() == 0
    assert (plans.apply_due_plan_changes, 3600) in PERIODIC


def test_downgrade_waits_for_its_invoice_three_days_at_most(db, frozen, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS)
    plans.change_plan(org, Plan.STARTER, by=admin)
    frozen.set(datetime(2027, 1, 3, 23, 0, tzinfo=timezone.utc))
    assert plans.apply_due_plan_changes() == 0  # no December invoice yet
    frozen.set(datetime(2027, 1, 4, 0, 30, tzinfo=timezone.utc))
    assert plans.apply_due_plan_changes() == 1  # the billing job is late: not forever
    assert _reload(db, org).plan is Plan.STARTER


def test_december_downgrade_runs_into_the_new_year(db, frozen, org_with):
    frozen.set(datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc))
    org, _branch, _services, admin = org_with(plan=Plan.STARTER)
    assert plans.change_plan(org, Plan.FREE, by=admin).next_plan_from == date(
        2026, 12, 1
    )


def test_downgrade_refused_with_the_figures_when_queues_exceed(db, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS, queues=7)
    with pytest.raises(PlanLimitReached) as refused:
        plans.change_plan(org, Plan.STARTER, by=admin)
    assert "Vous avez 7 files actives, la formule Starter en permet 5." in str(
        refused.value.message
    )
    assert _reload(db, org).next_plan is None


def test_downgrade_refused_when_staff_exceeds(db, org_with, make_user):
    org, branch, _services, admin = org_with(plan=Plan.STARTER, queues=1)
    for _ in range(3):
        make_user(role="agent", branch=branch)
    with pytest.raises(PlanLimitReached) as refused:
        plans.change_plan(org, Plan.FREE, by=admin)
    message = str(refused.value.message)
    assert "Vous avez 4 membres du personnel" in message
    assert "la formule Gratuit en permet 3" in message


def test_downgrade_refused_when_todays_tickets_exceed(db, org_with):
    org, _branch, services, admin = org_with(plan=Plan.STARTER, queues=1)
    for _ in range(51):
        queueing_ops.issue_ticket(services[0], channel=Channel.KIOSK)
    with pytest.raises(PlanLimitReached) as refused:
        plans.change_plan(org, Plan.FREE, by=admin)
    assert (
        "Vous avez émis 51 tickets aujourd'hui, la formule Gratuit en permet 50 par "
        "jour." in str(refused.value.message)
    )


def test_downgrade_at_exactly_the_smaller_limits_is_accepted(db, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS, queues=5)
    assert plans.change_plan(org, Plan.STARTER, by=admin).next_plan is Plan.STARTER


def test_pending_downgrade_cancelled_or_replaced(db, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS)
    plans.change_plan(org, Plan.STARTER, by=admin)
    plans.cancel_plan_change(org, by=admin)
    assert _reload(db, org).next_plan is None
    with pytest.raises(PlanChangeRefused):
        plans.cancel_plan_change(org, by=admin)
    # Choosing the plan held again also cancels; an upgrade replaces the wait.
    plans.change_plan(org, Plan.FREE, by=admin)
    assert plans.change_plan(org, Plan.BUSINESS, by=admin).next_plan is None
    plans.change_plan(org, Plan.FREE, by=admin)
    plans.change_plan(org, Plan.ENTERPRISE, by=admin)
    org = _reload(db, org)
    assert (org.plan, org.next_plan) == (Plan.ENTERPRISE, None)
    with pytest.raises(PlanChangeRefused, match="déjà la formule Enterprise"):
        plans.change_plan(org, Plan.ENTERPRISE, by=admin)


def test_only_the_organizations_admins_and_the_platform_change_plan(
    db, org_with, make_org, make_user
):
    org, branch, _services, _admin = org_with(plan=Plan.STARTER)
    others = [
        make_user(role="agent", branch=branch),
        make_user(role="branch_manager", branch=branch),
        make_user(role="org_admin", org=make_org()),
        make_user(),
    ]
    for person in others:
        with pytest.raises(PlanChangeRefused):
            plans.change_plan(org, Plan.BUSINESS, by=person)
        assert _reload(db, org).plan is Plan.STARTER
    platform = make_user(role="platform_admin")
    assert plans.change_plan(org, Plan.BUSINESS, by=platform).plan is Plan.BUSINESS


def test_cancelled_before_the_first_nothing_applied(db, frozen, org_with):
    org, _branch, _services, admin = org_with(plan=Plan.BUSINESS)
    plans.change_plan(org, Plan.STARTER, by=admin)
    plans.cancel_plan_change(org, by=admin)
    frozen.tick(days=31)
    assert plans.apply_due_plan_changes() == 0
    assert _reload(db, org).plan is Plan.BUSINESS


def test_limit_refusals_name_the_plans_figure(db, org_with):
    org, _branch, services, _admin = org_with(plan=Plan.FREE, queues=1)
    for _ in range(50):
        queueing_ops.issue_ticket(services[0], channel=Channel.KIOSK)
    with pytest.raises(LimitReached, match="en permet 50 par jour"):
        queueing_ops.issue_ticket(services[0], channel=Channel.KIOSK)


def test_first_of_next_month():
    assert plans.first_of_next_month(date(2026, 12, 31)) == date(2027, 1, 1)
    assert plans.first_of_next_month(date(2027, 1, 1)) == date(2027, 2, 1)
    assert plans.first_of_next_month(date(2027, 1, 1) - timedelta(days=1)) == date(
        2027, 1, 1
    )
