"""Shared scenarios: a branch set up for the day (services, counters, staff, screens),
built by one factory that the queueing, realtime, web and browser tests all use.
Registered by tests/conftest.py; each test tree names its own hall (`hall`, `desk`,
`kiosk`...) from it, and adds only what its own tests need."""

from types import SimpleNamespace

import pytest

OPENING = "Ouverture de compte"


@pytest.fixture
def make_hall(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """Factory: make_hall(services=[("A", name, minutes)...], counters={1: "AB"},
    opened=(1,), staff=("agent",), screens=[(DeviceKind.BOARD, "Salle")], org=...,
    name=...) -> a hall: .org, .branch, .a .b... (services by prefix), .counters[n] and
    .counter (the first), .agent and .manager (the first of each role), .staff,
    .screens[i] = (device, token), .device, .token and .url of the first screen.
    `opened=None` opens every counter. The clock is `frozen` (Tuesday 10:00, open)."""
    from smartqueue.models import CounterStatus
    from smartqueue.queueing.devices import create_device

    def make(
        services=(("A", OPENING),),
        counters=None,
        opened=None,
        staff=("agent",),
        screens=(),
        org=None,
        name=None,
    ):
        hall = SimpleNamespace(org=make_org(name=org) if org else None)
        hall.branch = make_branch(hall.org, name=name)
        hall.org = hall.branch.organization
        hall.services = {}
        for prefix, label, *minutes in services:
            service = make_service(hall.branch, prefix, label, *minutes)
            hall.services[prefix] = service
            setattr(hall, prefix.lower(), service)
        counters = counters if counters is not None else {1: "".join(hall.services)}
        hall.counters = {
            number: make_counter(hall.branch, number, [hall.services[p] for p in ps])
            for number, ps in counters.items()
        }
        hall.counter = next(iter(hall.counters.values()), None)
        for number in hall.counters if opened is None else opened:
            hall.counters[number].status = CounterStatus.OPEN
        db.session.commit()
        hall.staff = [
            make_user(branch=hall.branch, **(p if isinstance(p, dict) else {"role": p}))
            for p in staff
        ]
        hall.agent = _first(hall.staff, "agent")
        hall.manager = _first(hall.staff, "branch_manager")
        by = hall.manager or hall.agent
        hall.screens = [create_device(hall.branch, k, n, by=by) for k, n in screens]
        hall.device, hall.token = hall.screens[0] if hall.screens else (None, None)
        if hall.device is not None:
            hall.url = f"/{hall.device.kind.value}/{hall.token}"
        return hall

    return make


def _first(users, role):
    return next(
        (u for u in users if any(m.role.value == role for m in u.memberships)), None
    )
