"""Every route of the app, for every role, with real ids, missing ids and junk bodies and
queries: never a 500 (a refusal, a 404 or a message instead)."""

import re

import pytest

from smartqueue.appointments import operations as appointments
from smartqueue.models import Branch, Channel, DeviceKind, Service
from smartqueue.queueing import operations as ops
from smartqueue.queueing.devices import create_device
from tests.appointments.helpers import open_all_week
from tests.conftest import at

ROLES = ["anonymous", "customer", "agent_a1", "manager_a1", "admin_a", "platform"]
JUNK_QUERY = "?week=2026-W99&month=2026-13&date=junk&service=abc&region=-1&panel=x"
# Control characters reach no database: the whole link is refused (400), never a 500.
NUL_QUERY = "?panel=%00&token=%00&email=a%00@example.sn&next=/%00&week=%01"
JUNK_BODY = {
    "status": "gold",
    "time": "25:99",
    "number": "-1",
    "service_id": "abc",
    "locale": "xx",
    "email": "@@",
    "phone": "+33",
    "priority": "boss",
    "kind": "toaster",
    "code": "x" * 300,
    "name": "Awa\x00Diop",
    "full_name": "\x00",
    "contact": "77\x00",
}


@pytest.fixture
def everything(world, db, frozen, make_user):
    """The access tests' world, plus a ticket, an appointment, a kiosk link and the ids
    every URL needs."""
    users, ids = world
    service = db.session.get(Service, ids["service"])
    open_all_week(service.branch, service)
    ticket = ops.issue_ticket(service, channel=Channel.KIOSK)
    booked = appointments.book_appointment(users["customer"], service, at(2, 10))
    kiosk, kiosk_token = create_device(
        db.session.get(Branch, ids["branch"]),
        DeviceKind.KIOSK,
        "Entrée",
        by=users["manager_a1"],
    )
    db.session.commit()
    values = dict(
        ids,
        branch_id=ids["branch"],
        org_id=ids["org"],
        service_id=ids["service"],
        counter_id=ids["counter"],
        closure_id=ids["closure"],
        membership_id=ids["membership"],
        device_id=ids["device"],
        token=ticket.token,
        ticket_id=ticket.id,
        appointment_id=booked.id,
        number=booked.number,
        day="2026-12-03",
        filename="css/app.css",
    )
    return users, values, kiosk_token


def _urls(app, values: dict, kiosk_token: str):
    """(method, url with real ids, url with unknown ids) for each route."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "/ws/" in rule.rule:
            continue
        real, unknown = rule.rule, rule.rule
        for name in rule.arguments:
            value = kiosk_token if name == "token" and "kiosk" in rule.rule else None
            if value is None:
                value = values.get(name, 1)
            real = re.sub(rf"<(?:\w+:)?{name}>", str(value), real)
            bogus = "9" * 12 if isinstance(value, int) else "nope"
            unknown = re.sub(rf"<(?:\w+:)?{name}>", bogus, unknown)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, real, unknown


# PostgreSQL too: it refuses what SQLite stores (NUL in text), so a 500 lives only there.
@pytest.mark.backends("sqlite", "postgresql")
@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_500_to_any_role_with_any_input(
    app, client, auth, everything, role
):
    users, values, kiosk_token = everything
    if role != "anonymous":
        auth.login(users[role])
    failures, answered = [], 0
    for method, real, unknown in _urls(app, values, kiosk_token):
        for url in (real, unknown, real + JUNK_QUERY, real + NUL_QUERY):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.open(url, method=method, data=JUNK_BODY)
            answered += response.status_code == 200
            if response.status_code >= 500:
                failures.append((method, url, response.status_code))
            if role != "anonymous" and "/auth/logout" in url:
                auth.login(users[role])
    assert failures == []
    assert answered >= 30  # the ids are real: pages open, not only refusals
