"""A customer in Pikine follows a ticket at a Plateau branch on a phone (issue 9): the
browser's position (Playwright's geolocation) gives the trip by taxi and when to leave;
the line moves, the periodic job sees the wait is now shorter than the trip, and "leave
now" appears on the page without a reload."""

import re

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.extensions import db as _db
from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import Channel, Counter, Plan, User
from smartqueue.queueing import operations as ops

PHONE = {"width": 360, "height": 740}
PIKINE = {"latitude": 14.7549, "longitude": -17.3980}


@pytest.fixture
def line(live_server, db, make_hall):
    """15 people ahead at 10 min each, one counter: a wait of 110-190 min."""
    hall = make_hall()
    hall.org.plan = Plan.ENTERPRISE
    db.session.commit()
    for _ in range(15):
        ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    mine = ops.issue_ticket(hall.a, channel=Channel.WEB)
    return hall, mine


def _in_server(server, work) -> None:
    """Work done in the server's app, so that it publishes to the server's sockets."""
    with server.app_context():
        work()
        _db.session.remove()


def test_a_customer_in_pikine_is_told_when_to_leave_then_to_leave_now(
    browser: Browser, live_server, line, frozen, screenshots_dir
):
    hall, mine = line
    context = browser.new_context(
        viewport=PHONE,
        locale="fr-SN",
        timezone_id="Africa/Dakar",
        geolocation=PIKINE,
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{mine.token}/travel")
    page.get_by_label("Comment venez-vous ?").select_option("taxi")
    page.screenshot(path=screenshots_dir / "phone-travel-ask.png", full_page=True)
    page.get_by_role("button", name="Utiliser ma position").click()

    expect(page).to_have_url(re.compile(rf"/t/{mine.token}$"))
    travel = page.locator("#ticket-travel")
    expect(travel).to_contain_text(re.compile(r"Trajet\s*\d+ min"))
    expect(travel).to_contain_text(re.compile(r"Partez à\s*\d\d:\d\d"))
    expect(travel).to_contain_text("Taxi ou clando")
    expect(page.get_by_text("Partez maintenant")).to_have_count(0)
    page.screenshot(path=screenshots_dir / "phone-ticket-travel.png", full_page=True)
    page.evaluate("window.__same_page = true")

    # 50 minutes later the line has moved by five; the job's next round finds the wait
    # (75-125 min) no longer longer than the trip and its margin
    counter_id, agent_id = hall.counter.id, hall.agent.id

    def call_five():
        counter, agent = (
            _db.session.get(Counter, counter_id),
            _db.session.get(User, agent_id),
        )
        for _ in range(5):
            called = ops.call_next(counter, by=agent)
            ops.start_serving(called, by=agent)
            frozen.tick(minutes=10)  # served at the line's pace
            ops.finish(called, by=agent)

    _in_server(live_server, call_five)
    expect(page.locator("#ticket-place")).to_contain_text(
        re.compile(r"Avant vous\s*10\b")
    )
    _in_server(live_server, travel_jobs.recompute_trips)

    banner = page.get_by_role("alert").filter(has_text="Partez maintenant")
    expect(banner).to_be_visible()
    expect(travel).to_contain_text(re.compile(r"Partez à\s*maintenant"))
    assert page.evaluate("window.__same_page") is True  # no reload
    page.screenshot(path=screenshots_dir / "phone-ticket-leave-now.png", full_page=True)
    context.close()
