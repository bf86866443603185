"""Fixtures shared by the web tests."""

from datetime import date, timedelta

import pytest

from smartqueue.models import BranchClosure, DeviceKind, Invoice, Plan
from smartqueue.queueing.devices import create_device


@pytest.fixture
def world(db, make_org, make_branch, make_service, make_counter, make_user):
    """Organization A (branches A1, A2) and organization B, with one user per role."""
    org_a, org_b = make_org(name="Org A"), make_org(name="Org B")
    a1, a2 = make_branch(org_a, name="A1"), make_branch(org_a, name="A2")
    make_branch(org_b, name="B1")
    service = make_service(a1, "A")
    counter = make_counter(a1, 1, [service])
    closure = BranchClosure(branch_id=a1.id, date=date.today() + timedelta(days=5))
    db.session.add(closure)
    db.session.commit()
    users = {
        "customer": make_user(),
        "agent_a1": make_user(role="agent", branch=a1),
        "manager_a1": make_user(role="branch_manager", branch=a1),
        "manager_a2": make_user(role="branch_manager", branch=a2),
        "admin_a": make_user(role="org_admin", org=org_a),
        "admin_b": make_user(role="org_admin", org=org_b),
        "platform": make_user(role="platform_admin"),
    }
    board, _token = create_device(
        a1, DeviceKind.BOARD, "Salle d'attente", by=users["manager_a1"]
    )
    ids = {
        "org": org_a.id,
        "branch": a1.id,
        "service": service.id,
        "counter": counter.id,
        "closure": closure.id,
        "membership": users["agent_a1"].memberships[0].id,
        "device": board.id,
    }
    return users, ids


def with_invoice(world, db):
    """The world with organization A's November invoice (for the routes that name one)."""
    users, ids = world
    invoice = Invoice(
        number="FACT-202611-001",
        organization_id=ids["org"],
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        plan=Plan.BUSINESS,
        total_fcfa=50_000,
        due_on=date(2026, 12, 15),
    )
    db.session.add(invoice)
    db.session.commit()
    return users, {**ids, "invoice": invoice.id}
