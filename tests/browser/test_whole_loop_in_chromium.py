"""The whole loop in Chromium, each screen at its real size: kiosk, board, counter, phone."""

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from smartqueue.models import DeviceKind, Ticket

SIZES = {
    "kiosk": {"width": 1080, "height": 1920},
    "tv": {"width": 1920, "height": 1080},
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 360, "height": 740},
}


@pytest.fixture
def branch(live_server, make_hall):
    """Agence Plateau open (Tuesday 10:00), two services, counter 3, its agent, devices."""
    hall = make_hall(
        services=[("A", "Ouverture de compte", 12), ("B", "Dépôt et retrait", 4)],
        counters={3: "AB"},
        opened=(),
        staff=({"role": "agent", "email": "moussa@example.sn"},),
        screens=[(DeviceKind.BOARD, "Salle"), (DeviceKind.KIOSK, "Entrée")],
        org="Banque Teranga",
        name="Agence Plateau",
    )
    (_, board), (_, kiosk) = hall.screens
    return {"board": f"/board/{board}", "kiosk": f"/kiosk/{kiosk}", "service": hall.a}


def _screen(browser: Browser, size: str, **extra):
    context = browser.new_context(
        viewport=SIZES[size], locale="fr-SN", timezone_id="Africa/Dakar", **extra
    )
    return context.new_page()


def test_kiosk_board_counter_and_phone_follow_one_ticket(
    browser: Browser, live_server, db, branch, screenshots_dir
):
    url = live_server.url
    board = _screen(browser, "tv")
    board.goto(url + branch["board"])
    count = board.locator(f'.service-count[data-service="{branch["service"].id}"]')
    expect(count).to_have_text("0")

    # 1. a walk-in takes a ticket at the kiosk
    kiosk = _screen(browser, "kiosk", has_touch=True)
    kiosk.add_init_script("window.print = () => {};")
    kiosk.goto(url + branch["kiosk"])
    kiosk.screenshot(path=screenshots_dir / "loop-kiosk-start.png")
    kiosk.get_by_role("link", name=re.compile("Ouverture de compte")).tap()
    kiosk.get_by_role("link", name="Non, ticket normal").tap()
    kiosk.get_by_role("button", name="Passer, sans être prévenu").tap()
    expect(kiosk.get_by_text("A001").first).to_be_visible()
    kiosk.screenshot(path=screenshots_dir / "loop-kiosk-ticket.png")

    # 2. the board's waiting count rises, live
    expect(count).to_have_text("1")

    # 3. the customer follows the ticket on a phone (the QR code's link)
    db.session.rollback()  # a fresh read: the ticket was made by the server's thread
    token = db.session.scalar(select(Ticket.token).where(Ticket.code == "A001"))
    assert token, "the kiosk's ticket is in the database"
    phone = _screen(browser, "phone", is_mobile=True, has_touch=True)
    phone.goto(f"{url}/t/{token}")
    expect(phone.locator("#ticket-live")).to_have_attribute("data-status", "waiting")
    phone.screenshot(path=screenshots_dir / "loop-phone-waiting.png", full_page=True)

    # 4. the agent opens counter 3 and calls next
    agent = _screen(browser, "desktop")
    agent.goto(url + "/auth/login")
    agent.get_by_label("Adresse e-mail").fill("moussa@example.sn")
    agent.get_by_label("Mot de passe").fill("correct-horse-42")
    agent.get_by_role("button", name="Se connecter").click()
    agent.get_by_role("button", name=re.compile("Guichet 3")).click()
    expect(agent.locator("#live-state")).to_contain_text("En direct")
    # a click (the key N is covered by the counter's own test); Playwright waits for the
    # button to be stable while the socket's first snapshot may still be replacing the panel
    agent.get_by_role("button", name=re.compile("Appeler le suivant")).click()
    expect(agent.locator("#counter-panel .now-code")).to_have_text(
        "A001", timeout=10_000
    )
    agent.screenshot(path=screenshots_dir / "loop-desktop-counter.png")

    # 5. the board shows the ticket and the counter; the phone says it is their turn
    latest = board.locator("#board-calls li").first
    expect(latest).to_contain_text("A001")
    expect(latest).to_contain_text("3")
    expect(count).to_have_text("0")
    board.screenshot(path=screenshots_dir / "loop-tv-board.png")
    expect(phone.locator("#ticket-live")).to_have_attribute("data-status", "called")
    expect(phone.locator("#ticket-live")).to_contain_text("C'est votre tour")
    expect(phone.locator("#ticket-live")).to_contain_text("3")
    phone.screenshot(path=screenshots_dir / "loop-phone-called.png", full_page=True)

    # 6. the agent finishes; the phone shows it was served
    agent.locator("#counter-panel").get_by_role(
        "button", name=re.compile("Terminé")
    ).click()
    expect(agent.locator("#counter-panel .now-empty")).to_be_visible()
    expect(phone.locator("#ticket-live")).to_have_attribute("data-status", "served")
