"""The customer's side on a phone: take a ticket from the branch page, then watch it live
until it is called, without reloading."""

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


def test_ticket_page_turns_into_your_turn_without_reload(
    phone, live_server, desk, make_user, screenshots_dir
):
    page = phone
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    ops.issue_ticket(desk.a, channel=Channel.KIOSK)  # A001, someone ahead
    customer = make_user(email="fatou@example.sn", full_name="Fatou Sarr")

    page.goto(live_server.url + f"/branches/{desk.branch.id}")
    page.get_by_role("link", name="Prendre un ticket").first.click()  # signed out
    page.get_by_label("Adresse e-mail").fill(customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(rf"/branches/{desk.branch.id}$"))
    expect(
        page.locator(f"#take-ticket-{desk.a.id}").locator("xpath=ancestor::li[1]")
    ).to_contain_text("1 personne en attente")
    page.screenshot(path=screenshots_dir / "phone-branch.png", full_page=True)

    page.locator(f"#take-ticket-{desk.a.id}").get_by_role(
        "button", name="Prendre un ticket"
    ).click()
    expect(page).to_have_url(re.compile(r"/t/[\w-]+$"))
    token = page.url.rsplit("/", 1)[1]
    live = page.locator("#ticket-live")
    expect(live.locator(".ticket-code")).to_have_text("A002")
    expect(live).to_contain_text("Avant vous")
    sound = page.get_by_role("button", name="Activer le son et la vibration")
    sound.click()  # phones play sound and vibrate only after a touch
    expect(sound).to_be_hidden()
    wait_subscribed(live_server, channels.ticket(token))
    page.screenshot(path=screenshots_dir / "phone-ticket-waiting.png", full_page=True)

    call_next_in(live_server, desk.counter2.id, desk.agent.id)  # A001 goes to counter 2
    expect(live).to_contain_text("Vous êtes le prochain")  # only its place was sent
    expect(live.locator("#ticket-place dd").first).to_have_text("0")
    page.screenshot(path=screenshots_dir / "phone-ticket-next.png", full_page=True)
    call_next_in(live_server, desk.counter.id, desk.agent2.id)  # and A002 to counter 1
    expect(live.locator(".ticket-turn")).to_have_text("C'est votre tour")
    expect(live.locator(".ticket-counter")).to_have_text("Guichet 1")
    expect(page.locator("body")).to_have_attribute("data-alerted", re.compile(r".+"))
    expect(page).to_have_title(re.compile("C'est votre tour"))
    page.screenshot(path=screenshots_dir / "phone-ticket-called.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm
    live.get_by_role("button", name="Annuler mon ticket").click()  # htmx, CSRF on
    expect(live).to_contain_text("Ce ticket est annulé.")
    page.screenshot(path=screenshots_dir / "phone-ticket-cancelled.png", full_page=True)
    assert problems == []
