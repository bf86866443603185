"""The bell on a phone: a signed-in customer follows their ticket; the agents' calls make
the bell's count rise without a reload; the list shows the messages, and "mark all
read" brings the count back to nothing."""

import re

import pytest
from playwright.sync_api import Page, expect

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops
from smartqueue.realtime import channels
from tests.live import call_next_in, wait_subscribed
from tests.queueing import conftest as queueing

desk = queueing.desk

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def test_bell_counts_the_calls_live_then_the_list_marks_all_read(
    phone, live_server, desk, make_user, screenshots_dir
):
    page = phone
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    customer = make_user(email="fatou@example.sn", full_name="Fatou Sarr")
    ops.issue_ticket(desk.a, channel=Channel.KIOSK)  # A001, someone ahead
    ticket = ops.issue_ticket(desk.a, channel=Channel.WEB, customer=customer)

    page.goto(live_server.url + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#bell")).to_be_visible()
    page.goto(live_server.url + f"/t/{ticket.token}")
    bell = page.locator("#bell")
    badge = bell.locator(".bell-count")
    expect(bell).to_have_attribute("aria-label", "Notifications")
    expect(badge).to_be_hidden()
    wait_subscribed(live_server, channels.user(customer.id))

    call_next_in(live_server, desk.counter2.id, desk.agent.id)  # A001: A002 is near
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    expect(bell).to_have_attribute("aria-label", "Notifications : 1 non lue")
    page.locator("header.topbar").screenshot(path=screenshots_dir / "bell-header.png")

    call_next_in(live_server, desk.counter.id, desk.agent2.id)  # A002: called
    expect(badge).to_have_text("2")
    expect(page.locator("#ticket-live .ticket-turn")).to_have_text("C'est votre tour")
    page.screenshot(path=screenshots_dir / "bell-ticket-called.png", full_page=True)

    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    items = page.locator("#inbox .inbox-item")
    expect(items).to_have_count(2)
    expect(page.locator("#inbox .is-unread")).to_have_count(2)
    expect(items.first).to_contain_text("C'est votre tour : ticket A002")  # newest
    expect(items.nth(1)).to_contain_text("Votre tour approche : ticket A002")
    page.screenshot(path=screenshots_dir / "bell-list.png", full_page=True)

    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.locator("#inbox .is-unread")).to_have_count(0)
    expect(page.locator("#bell .bell-count")).to_be_hidden()
    expect(page.locator("#bell")).to_have_attribute("data-unread", "0")
    page.screenshot(path=screenshots_dir / "bell-list-read.png", full_page=True)

    items.first.get_by_role("link").click()  # the message leads to the ticket
    expect(page).to_have_url(re.compile(rf"/t/{ticket.token}$"))
    assert problems == []
