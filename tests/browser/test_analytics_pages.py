"""The period pages in Chromium: a branch manager's two weeks on a desktop (1366x768), an
org admin's on a phone (360x740), and the same page with scripts off. The charts are
drawn from the tables, which stay beside or under them; screenshots to look at."""

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, Page, expect

from smartqueue.analytics import ratings
from smartqueue.models import Channel, CounterStatus
from smartqueue.queueing import operations as ops
from tests.conftest import PASSWORD

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
RANGE = "?period=range&start=2026-11-16&end=2026-12-01"
CHANNELS = (Channel.KIOSK, Channel.KIOSK, Channel.WEB, Channel.SMS, Channel.MOBILE)


def _dakar(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def history(make_hall, make_user, frozen):
    """Agence Plateau's two weeks (16 November to Tuesday 1 December, Sundays closed):
    busier on Mondays, waits longer on busy days, every ticket served in turn, half of
    them rated."""
    hall = make_hall(
        services=(("A", "Ouverture de compte"), ("B", "Dépôt et retrait")),
        counters={1: "AB"},
        opened=(),
        staff=(
            {"role": "agent", "full_name": "Awa Ndiaye"},
            {"role": "branch_manager", "email": "fatou@example.sn"},
        ),
        name="Agence Plateau",
        org="Banque Atlantique",
    )
    make_user(role="org_admin", org=hall.org, email="admin@example.sn")
    agent = hall.agent
    frozen.set(_dakar(datetime(2026, 11, 16), 8))
    ops.set_counter_status(hall.counter, CounterStatus.OPEN, by=agent)
    day = datetime(2026, 11, 16).date()
    while day <= datetime(2026, 12, 1).date():
        if day.weekday() == 6:
            day += timedelta(days=1)
            continue
        count = 12 if day.weekday() == 0 else 6 + day.day % 4
        tickets = []
        for i in range(count):
            frozen.set(_dakar(day, 8, 10) + timedelta(minutes=i * 480 // count))
            service = hall.a if i % 3 == 0 else hall.b
            tickets.append(ops.issue_ticket(service, channel=CHANNELS[i % 5]))
        moment = _dakar(day, 8, 10)
        for i, ticket in enumerate(tickets):
            wait = 4 + (i * 7 + day.day) % (25 if count > 10 else 12)
            moment = max(moment + timedelta(minutes=1), ticket.arrived_at.replace(
                tzinfo=timezone.utc) + timedelta(minutes=wait))  # fmt: skip
            frozen.set(moment)
            called = ops.call_next(hall.counter, by=agent)
            moment += timedelta(minutes=1)
            frozen.set(moment)
            ops.start_serving(called, by=agent)
            moment += timedelta(minutes=4 + i % 6)
            frozen.set(moment)
            ops.finish(called, by=agent)
            if i % 2 == 0:  # half rate their visit, some with a word
                comment = "Accueil rapide, merci." if i % 8 == 0 else None
                ratings.rate_ticket(called.token, 3 + (i + day.day) % 3, comment)
        day += timedelta(days=1)
    frozen.set(_dakar(day - timedelta(days=1), 17, 30))
    return hall


def _signed_in(browser: Browser, base: str, viewport: dict, email: str, **options):
    context = browser.new_context(
        viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar", **options
    )
    page = context.new_page()
    page.goto(base + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    return context, page


def _watch_console(page: Page) -> list[str]:
    """Errors the page logs (a script failing, the CSP refusing something)."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _expect_chart_beside_its_table(page: Page, table_id: str) -> None:
    """A drawn canvas just before the table's wrapper, both visible."""
    section = page.locator(f"section:has(#{table_id})")
    canvas = section.locator("figure.chart canvas")
    expect(canvas).to_be_visible()
    expect(page.locator(f"#{table_id}")).to_be_visible()
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    # Drawn: Chart.js holds an instance for it and its pixels are not all blank.
    painted = canvas.evaluate(
        """c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let inked = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) inked++;
            return Chart.getChart(c) !== undefined && inked > 500;
        }"""
    )
    assert painted, table_id


def test_branch_manager_reads_two_weeks_on_a_desktop(
    browser: Browser, live_server, history, screenshots_dir
):
    context, page = _signed_in(browser, live_server.url, DESKTOP, "fatou@example.sn")
    errors = _watch_console(page)
    # From the branch's page through its "Analyses" tab (a boosted link: the body is
    # swapped in, and the charts are drawn all the same).
    page.goto(f"{live_server.url}/manage/branches/{history.branch.id}")
    page.get_by_role("link", name="Analyses").click()
    expect(page.locator("h1")).to_contain_text("Analyses")
    expect(page.locator("#period-title")).to_have_text("Lundi 30 novembre 2026")
    expect(page.locator("#table-channels")).to_be_visible()
    _expect_chart_beside_its_table(page, "table-channels")

    page.goto(f"{live_server.url}/manage/branches/{history.branch.id}/analytics{RANGE}")
    expect(page.locator("#period-title")).to_have_text(
        "Du 16 novembre 2026 au 1 décembre 2026"
    )
    for table_id in ("table-tickets-by-day", "table-waits-by-day", "table-channels"):
        _expect_chart_beside_its_table(page, table_id)
    expect(page.locator("#tile-issued .tile-value")).not_to_have_text("0")
    expect(page.locator("#tile-rating-mean .tile-value")).to_contain_text("/ 5")
    expect(page.locator("#table-ratings")).to_contain_text("Dépôt et retrait")
    expect(page.locator("#satisfaction")).to_contain_text("Accueil rapide, merci.")
    heat = page.locator("#table-arrivals")
    expect(heat).to_be_visible()
    expect(heat.locator("td.heat-6").first).to_be_visible()  # the busiest hour
    page.screenshot(
        path=screenshots_dir / "desktop-analytics-branch-range.png", full_page=True
    )
    page.screenshot(path=screenshots_dir / "desktop-analytics-branch-fold.png")
    # Another period through a quick link (boosted), then back: drawn again each time.
    page.get_by_role("link", name="Mois dernier").click()
    expect(page.locator("#period-title")).to_have_text(
        "Du 1 novembre 2026 au 30 novembre 2026"
    )
    _expect_chart_beside_its_table(page, "table-tickets-by-day")
    page.go_back()
    expect(page.locator("#period-title")).to_have_text(
        "Du 16 novembre 2026 au 1 décembre 2026"
    )
    for table_id in ("table-tickets-by-day", "table-waits-by-day", "table-channels"):
        _expect_chart_beside_its_table(page, table_id)
    expect(page.locator("figure.chart")).to_have_count(3)
    assert not errors, errors
    context.close()


def test_org_admin_reads_the_month_on_a_phone(
    browser: Browser, live_server, history, screenshots_dir
):
    context, page = _signed_in(browser, live_server.url, PHONE, "admin@example.sn")
    errors = _watch_console(page)
    page.goto(
        f"{live_server.url}/manage/organizations/{history.org.id}/analytics"
        "?period=month&start=2026-11-01"
    )
    expect(page.locator("#period-title")).to_have_text(
        "Du 1 novembre 2026 au 30 novembre 2026"
    )
    for table_id in ("table-tickets-by-day", "table-waits-by-day"):
        _expect_chart_beside_its_table(page, table_id)
    expect(page.locator("#table-by-branch")).to_contain_text("Agence Plateau")
    # Nothing wider than the phone but the tables' own scrolling boxes.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    page.screenshot(path=screenshots_dir / "phone-analytics-org-month.png")
    page.screenshot(
        path=screenshots_dir / "phone-analytics-org-month-full.png", full_page=True
    )
    assert not errors, errors
    context.close()


def test_page_reads_with_scripts_off(
    browser: Browser, live_server, history, screenshots_dir
):
    context, page = _signed_in(
        browser,
        live_server.url,
        PHONE,
        "fatou@example.sn",
        java_script_enabled=False,
    )
    page.goto(f"{live_server.url}/manage/branches/{history.branch.id}/analytics{RANGE}")
    expect(page.locator("#table-tickets-by-day")).to_be_visible()
    expect(page.locator("#table-tickets-by-day tbody tr")).to_have_count(16)
    expect(page.locator("figure.chart")).to_have_count(0)
    # The range form still asks for another period (a plain GET).
    page.locator("#range-form input[name=start]").fill("2026-11-23")
    page.locator("#range-form button").click()
    expect(page.locator("#period-title")).to_have_text(
        "Du 23 novembre 2026 au 1 décembre 2026"
    )
    page.screenshot(path=screenshots_dir / "phone-analytics-no-script.png")
    context.close()


def test_the_years_page_draws_its_months(
    browser: Browser, live_server, history, screenshots_dir
):
    context, page = _signed_in(browser, live_server.url, DESKTOP, "admin@example.sn")
    errors = _watch_console(page)
    page.goto(
        f"{live_server.url}/manage/organizations/{history.org.id}/analytics"
        "?period=year&start=2026-01-01"
    )
    expect(page.locator("#table-tickets-by-day")).to_contain_text("nov. 2026")
    expect(page.locator("section:has(#table-tickets-by-day) h2")).to_contain_text(
        "Tickets par mois"
    )
    for table_id in ("table-tickets-by-day", "table-waits-by-day"):
        _expect_chart_beside_its_table(page, table_id)
    page.screenshot(
        path=screenshots_dir / "desktop-analytics-org-year.png", full_page=True
    )
    assert not errors, errors
    context.close()
