"""A manager's "today, live" page in Chromium, on a desktop (1366x768) and a phone
(360x740): the lines of the day, the one beyond its target said in words, and the page
updating by itself when an agent calls a ticket (called through the core)."""

from playwright.sync_api import Browser, expect

from smartqueue.models import Channel, CounterStatus
from smartqueue.queueing import operations as ops
from smartqueue.realtime import channels
from tests.conftest import PASSWORD, at
from tests.live import call_next_in, wait_subscribed

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}


def _morning(make_hall, frozen):
    """Agence Plateau at 10:30: line A has waited long (beyond its 15 min), line B not."""
    hall = make_hall(
        services=(("A", "Ouverture de compte"), ("B", "Dépôt et retrait")),
        counters={1: "A", 2: "B"},
        opened=(),
        staff=(
            {"role": "agent", "full_name": "Awa Ndiaye"},
            {"role": "agent", "full_name": "Moussa Diop"},
            {"role": "branch_manager", "email": "fatou@example.sn"},
        ),
        name="Agence Plateau",
        org="Banque Atlantique",
    )
    awa, moussa, _ = hall.staff
    ops.set_counter_status(hall.counters[1], CounterStatus.OPEN, by=awa)
    ops.set_counter_status(hall.counters[2], CounterStatus.OPEN, by=moussa)
    for _ in range(5):
        ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    frozen.set(at(1, 10, 5))
    first = ops.call_next(hall.counters[1], by=awa)
    frozen.set(at(1, 10, 12))
    ops.finish(first, by=awa)
    frozen.set(at(1, 10, 15))
    ops.issue_ticket(hall.b, channel=Channel.WEB)
    ops.issue_ticket(hall.b, channel=Channel.KIOSK)
    frozen.set(at(1, 10, 25))
    ops.start_serving(ops.call_next(hall.counters[1], by=awa), by=awa)
    frozen.set(at(1, 10, 30))
    return hall


def _signed_in(browser: Browser, base: str, viewport: dict, email: str):
    context = browser.new_context(
        viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    page = context.new_page()
    page.goto(base + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    return context, page


def _line(page, service):
    return page.locator(f"#today-service-{service.id}")


def _watch_a_call(browser, live_server, hall, path, email, viewport, name, shots):
    context, page = _signed_in(browser, live_server.url, viewport, email)
    try:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Aujourd’hui, en direct"
        )
        a, b = _line(page, hall.a), _line(page, hall.b)
        expect(a.locator('[data-figure="waiting"]')).to_have_text("3")
        expect(a.locator('[data-figure="longest"]')).to_contain_text("30 min")
        expect(a.locator('[data-figure="target"]')).to_have_text("⚠ Au-delà de 15 min")
        expect(a.locator('[data-figure="counters"]')).to_have_text(
            "Guichet 1 · Awa Ndiaye"
        )
        expect(b.locator('[data-figure="waiting"]')).to_have_text("2")
        expect(b.locator('[data-figure="target"]')).to_have_text("✓ Dans les 15 min")
        expect(page.locator("#today-beyond-count")).to_have_text(
            "⚠ 1 file au-delà de son objectif"
        )
        page.screenshot(path=shots / f"{name}-today.png", full_page=True)

        wait_subscribed(live_server, channels.branch(hall.branch.id))
        call_next_in(live_server, hall.counters[2].id, hall.staff[1].id)
        expect(b.locator('[data-figure="waiting"]')).to_have_text("1")
        expect(b.locator('[data-figure="mean"]')).to_have_text("15 min")
        page.screenshot(path=shots / f"{name}-today-after-call.png", full_page=True)
    finally:
        context.close()


def test_today_page_updates_when_a_ticket_is_called_on_a_desktop(
    browser: Browser, live_server, make_hall, frozen, screenshots_dir
):
    """A branch manager, on their branch's page."""
    hall = _morning(make_hall, frozen)
    path = f"/manage/branches/{hall.branch.id}/today"
    email = "fatou@example.sn"
    _watch_a_call(
        browser, live_server, hall, path, email, DESKTOP, "desktop", screenshots_dir
    )


def test_today_page_updates_when_a_ticket_is_called_on_a_phone(
    browser: Browser,
    live_server,
    make_hall,
    make_branch,
    make_user,
    frozen,
    screenshots_dir,
):
    """The organization's admin, on the organization's page (its other branch quiet)."""
    hall = _morning(make_hall, frozen)
    make_branch(hall.org, name="Agence Almadies")
    make_user(email="aminata@example.sn", role="org_admin", org=hall.org)
    path = f"/manage/organizations/{hall.org.id}/today"
    email = "aminata@example.sn"
    _watch_a_call(
        browser, live_server, hall, path, email, PHONE, "phone", screenshots_dir
    )
