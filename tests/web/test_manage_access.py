"""Every manage route refuses every role that does not belong there (and only those)."""

import pytest

from tests.conftest import AuthActions
from tests.web.conftest import with_invoice

ROLES = [
    "anonymous",
    "customer",
    "agent_a1",
    "manager_a1",
    "manager_a2",
    "admin_a",
    "admin_b",
    "platform",
]
AREA = {"manager_a1", "manager_a2", "admin_a", "admin_b", "platform"}
RULES = {
    "area": AREA,
    "platform": {"platform"},
    "org_a": {"admin_a", "platform"},
    "branch_a1": {"manager_a1", "admin_a", "platform"},
}

# (endpoint, method, url template, rule); ids come from the world below.
ROUTES = [
    ("manage.dashboard", "GET", "/manage/", "area"),
    ("manage.location_fields", "GET", "/manage/location-fields", "area"),
    ("manage.organizations", "GET", "/manage/organizations", "platform"),
    ("manage.new_organization", "GET", "/manage/organizations/new", "platform"),
    ("manage.new_organization", "POST", "/manage/organizations/new", "platform"),
    ("manage.weather", "GET", "/manage/weather", "platform"),
    ("manage.weather", "POST", "/manage/weather", "platform"),
    ("manage.organization", "GET", "/manage/organizations/{org}", "org_a"),
    ("manage.organization", "POST", "/manage/organizations/{org}", "org_a"),
    ("manage.new_branch", "GET", "/manage/organizations/{org}/branches/new", "org_a"),
    ("manage.new_branch", "POST", "/manage/organizations/{org}/branches/new", "org_a"),
    ("manage.staff", "GET", "/manage/organizations/{org}/staff", "org_a"),
    ("manage.staff", "POST", "/manage/organizations/{org}/staff", "org_a"),
    ("manage.member", "POST", "/manage/members/{membership}", "org_a"),
    ("manage.remove_member", "POST", "/manage/members/{membership}/remove", "org_a"),
    ("manage.branch", "GET", "/manage/branches/{branch}", "branch_a1"),
    ("manage.branch", "POST", "/manage/branches/{branch}", "branch_a1"),
    ("manage.branch_hours", "GET", "/manage/branches/{branch}/hours", "branch_a1"),
    ("manage.branch_hours", "POST", "/manage/branches/{branch}/hours", "branch_a1"),
    (
        "manage.branch_closures",
        "GET",
        "/manage/branches/{branch}/closures",
        "branch_a1",
    ),
    (
        "manage.branch_closures",
        "POST",
        "/manage/branches/{branch}/closures",
        "branch_a1",
    ),
    ("manage.delete_closure", "POST", "/manage/closures/{closure}/delete", "branch_a1"),
    (
        "manage.add_holidays",
        "POST",
        "/manage/branches/{branch}/holidays/2027",
        "branch_a1",
    ),
    (
        "manage.decide_holiday",
        "POST",
        "/manage/branches/{branch}/holidays",
        "branch_a1",
    ),
    (
        "manage.new_service",
        "GET",
        "/manage/branches/{branch}/services/new",
        "branch_a1",
    ),
    (
        "manage.new_service",
        "POST",
        "/manage/branches/{branch}/services/new",
        "branch_a1",
    ),
    ("manage.service", "GET", "/manage/services/{service}", "branch_a1"),
    ("manage.service", "POST", "/manage/services/{service}", "branch_a1"),
    ("manage.queue_status", "POST", "/manage/services/{service}/queue", "branch_a1"),
    (
        "manage.new_counter",
        "GET",
        "/manage/branches/{branch}/counters/new",
        "branch_a1",
    ),
    (
        "manage.new_counter",
        "POST",
        "/manage/branches/{branch}/counters/new",
        "branch_a1",
    ),
    ("manage.counter", "GET", "/manage/counters/{counter}", "branch_a1"),
    ("manage.counter", "POST", "/manage/counters/{counter}", "branch_a1"),
    ("manage.delete_counter", "POST", "/manage/counters/{counter}/delete", "branch_a1"),
    ("manage.devices", "GET", "/manage/branches/{branch}/devices", "branch_a1"),
    ("manage.devices", "POST", "/manage/branches/{branch}/devices", "branch_a1"),
    ("manage.revoke_device", "POST", "/manage/devices/{device}/revoke", "branch_a1"),
    (
        "manage.claim_device",
        "POST",
        "/manage/branches/{branch}/devices/pair",
        "branch_a1",
    ),
    ("manage.pair_device", "GET", "/manage/devices/pair?code=K7M4QX", "area"),
    ("manage.slot_templates", "GET", "/manage/services/{service}/slots", "branch_a1"),
    ("manage.slot_templates", "POST", "/manage/services/{service}/slots", "branch_a1"),
    (
        "manage.delete_slot_template",
        "POST",
        "/manage/services/{service}/slots/delete",
        "branch_a1",
    ),
    (
        "manage.booking_settings",
        "POST",
        "/manage/services/{service}/booking-settings",
        "branch_a1",
    ),
    (
        "manage.branch_appointments",
        "GET",
        "/manage/branches/{branch}/appointments",
        "branch_a1",
    ),
    (
        "manage.branch_messages",
        "GET",
        "/manage/branches/{branch}/messages",
        "branch_a1",
    ),
    (
        "manage.branch_messages",
        "POST",
        "/manage/branches/{branch}/messages",
        "branch_a1",
    ),
    (
        "manage.end_branch_message",
        "POST",
        "/manage/branches/{branch}/messages/end",
        "branch_a1",
    ),
    (
        "manage.branch_notifications",
        "GET",
        "/manage/branches/{branch}/notifications",
        "branch_a1",
    ),
    ("manage.invoice", "GET", "/manage/invoices/{invoice}", "org_a"),
    ("manage.invoice_pdf", "GET", "/manage/invoices/{invoice}.pdf", "org_a"),
    ("manage.billing", "GET", "/manage/organizations/{org}/billing", "org_a"),
    ("manage.change_plan", "POST", "/manage/organizations/{org}/billing/plan", "org_a"),
    (
        "manage.cancel_plan_change",
        "POST",
        "/manage/organizations/{org}/billing/plan/cancel",
        "org_a",
    ),
    (
        "manage.pay_invoice",
        "GET",
        "/manage/organizations/{org}/billing/invoices/{invoice}/pay",
        "org_a",
    ),
    (
        "manage.pay_invoice",
        "POST",
        "/manage/organizations/{org}/billing/invoices/{invoice}/pay",
        "org_a",
    ),
    ("manage.platform_billing", "GET", "/manage/billing", "platform"),
    ("manage.organization_today", "GET", "/manage/organizations/{org}/today", "org_a"),
    ("manage.branch_today", "GET", "/manage/branches/{branch}/today", "branch_a1"),
    (
        "manage.organization_analytics",
        "GET",
        "/manage/organizations/{org}/analytics",
        "org_a",
    ),
    (
        "manage.branch_analytics",
        "GET",
        "/manage/branches/{branch}/analytics",
        "branch_a1",
    ),
    (
        "manage.organization_analytics_export",
        "GET",
        "/manage/organizations/{org}/analytics/export.xlsx",
        "org_a",
    ),
    (
        "manage.branch_analytics_export",
        "GET",
        "/manage/branches/{branch}/analytics/export.csv?table=summary",
        "branch_a1",
    ),
    (
        "manage.organization_analytics_tickets",
        "GET",
        "/manage/organizations/{org}/analytics/tickets.csv",
        "org_a",
    ),
    (
        "manage.branch_analytics_tickets",
        "GET",
        "/manage/branches/{branch}/analytics/tickets.csv",
        "branch_a1",
    ),
]


@pytest.fixture
def world(world, db):
    """The shared world, with organization A's November invoice."""
    return with_invoice(world, db)


def test_routes_table_covers_every_manage_endpoint(app):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("manage.")
    }
    assert endpoints == {endpoint for endpoint, *_ in ROUTES}


@pytest.mark.parametrize(
    "endpoint,method,template,rule", ROUTES, ids=[f"{r[1]} {r[0]}" for r in ROUTES]
)
def test_manage_route_refuses_roles_that_do_not_belong(
    app, world, endpoint, method, template, rule
):
    """Every role in turn on one route, in one world: the refused roles first (they
    change nothing), then the allowed ones (a POST of theirs may, e.g. delete the
    closure: a later one then meets a 404, never a 401 or a 403)."""
    users, ids = world
    url = template.format(**ids)
    wrong = []
    for role in sorted(ROLES, key=lambda role: role in RULES[rule]):
        # A browser of its own, and an app context of its own: requests share the
        # test's context otherwise, and Flask-Login's user cached on `g` with it.
        with app.app_context():
            client = app.test_client()
            if role != "anonymous":
                AuthActions(client).login(users[role])
            response = client.open(url, method=method)
            # A streamed answer (an export) holds its context until it is closed.
            response.close()
        status = response.status_code
        if role in RULES[rule]:
            expected = "200" if method == "GET" else "not 401/403"
            ok = status == 200 if method == "GET" else status not in (401, 403)
        elif role == "anonymous":
            expected = "302 to sign-in"
            ok = status == 302 and "/auth/login" in response.location
        else:
            expected, ok = "403", status == 403
        if not ok:
            wrong.append(f"{role}: {status}, expected {expected}")
    assert not wrong, (method, url, wrong)
