"""An urgent message on a 1920x1080 TV, in Chromium: it appears live across the screen,
whole and readable, the panels below giving up whole rows; it leaves when the manager
takes it off and when its time is up. The board and the kiosk say how to queue by SMS."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, Page, expect

from smartqueue.extensions import db as _db
from smartqueue.jobs.outbox import join_apart
from smartqueue.models import Branch, Broadcast, Channel, DeviceKind, User
from smartqueue.notifications import operations as notifications
from smartqueue.queueing import operations
from tests.browser.test_board_fit_in_chromium import boxes, frame_of, inside
from tests.conftest import PASSWORD, TUESDAY_10H
from tests.web.test_board import wait_for_board_socket

TV = {"width": 1920, "height": 1080}
SMALL_TV = {"width": 1280, "height": 720}
PORTRAIT = {"width": 1080, "height": 1920}
DESKTOP = {"width": 1280, "height": 800}
OUTAGE = (
    "Panne du réseau informatique : les retraits et les virements reprennent vers "
    "14 h. Les dépôts restent possibles au guichet 2. Merci de votre patience."
)


@pytest.fixture(autouse=True)
def _fan_out_finished(app):
    """Without Redis a message's fan-out runs in a thread: over before the tables are
    emptied for the next test."""
    yield
    join_apart()


@pytest.fixture
def sms_number(app_config):
    """SMS ticketing set up (the file gateway, and a number customers write to):
    asked for before the apps are built."""
    app_config["SMS_NUMBER"] = "21 21"


@pytest.fixture
def hall(db, make_hall):
    """A bank branch with an SMS code: five services, four counters, a morning's line."""
    hall = make_hall(
        services=[
            ("A", "Ouverture de compte", 15),
            ("B", "Dépôt et retrait", 5),
            ("C", "Transfert d'argent", 5),
            ("D", "Crédit et prêts", 20),
            ("E", "Change de devises", 10),
        ],
        counters={n: "ABCDE" for n in (1, 2, 3, 4)},
        staff=("branch_manager", "agent"),
        screens=[(DeviceKind.BOARD, "Salle d'attente"), (DeviceKind.KIOSK, "Entrée")],
        org="Banque Teranga",
        name="Agence Plateau",
    )
    hall.a.name_wo, hall.b.name_wo = "Ubbi kont", "Dugal ak génne xaalis"
    hall.branch.sms_code = "PLATEAU"
    db.session.commit()
    services = list(hall.services.values())
    for service in (services * 6)[:26]:
        operations.issue_ticket(service, channel=Channel.KIOSK)
    for counter in hall.counters.values():
        operations.call_next(counter, by=hall.agent)
    return SimpleNamespace(
        branch_id=hall.branch.id,
        manager_id=hall.manager.id,
        manager_email=hall.manager.email,
        board=hall.screens[0][1],
        kiosk=hall.screens[1][1],
    )


def post_in_server(server, hall, text: str) -> int:
    """The manager's message, posted in the served app (so it publishes to its sockets)."""
    with server.app_context():
        branch = _db.session.get(Branch, hall.branch_id)
        manager = _db.session.get(User, hall.manager_id)
        return notifications.broadcast_message(branch, text, by=manager).id


def end_in_server(server, hall, broadcast_id: int) -> None:
    with server.app_context():
        notifications.end_broadcast(
            _db.session.get(Broadcast, broadcast_id),
            by=_db.session.get(User, hall.manager_id),
        )


def test_urgent_message_shows_live_across_the_tv_and_leaves_when_taken_off(
    sms_number, page: Page, live_server, hall, screenshots_dir
):
    page.set_viewport_size(TV)
    page.goto(f"{live_server.url}/board/{hall.board}")
    banner = page.locator("#board-broadcast")
    expect(banner).to_be_hidden()
    hint = page.locator("#board-sms")
    expect(hint.locator('[lang="fr"]')).to_have_text(
        "Par SMS : envoyez TICKET PLATEAU lettre au 21 21"
    )
    expect(hint.locator('[lang="wo"]')).to_contain_text("JEL PLATEAU")
    wait_for_board_socket(live_server, hall.branch_id)

    broadcast_id = post_in_server(live_server, hall, OUTAGE)

    expect(banner).to_be_visible()
    expect(banner.locator(".board-broadcast-text")).to_have_text(OUTAGE)
    expect(banner.locator(".board-broadcast-title")).to_contain_text(
        "Message de l’agence"
    )
    page.screenshot(
        path=screenshots_dir / "tv-board-urgent-message-1920.png", animations="disabled"
    )
    screen = {"top": 0, "left": 0, "bottom": TV["height"], "right": TV["width"]}
    text = banner.locator(".board-broadcast-text")
    assert inside(frame_of(page, "#board-broadcast"), screen)
    assert text.evaluate("el => el.scrollHeight <= el.clientHeight + 1")  # not cut
    # readable across the room: letters at least 3.4% of the screen's height
    size = text.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 0.0335 * TV["height"]
    # the panels gave up room in whole rows: every row shown is whole, on screen
    waiting = frame_of(page, "#board-waiting")
    shown = [b for b in boxes(page, "#board-waiting .board-service") if b["shown"]]
    assert shown and all(inside(b, waiting) and inside(b, screen) for b in shown)
    calls = frame_of(page, "#board-calls")
    rows = boxes(page, "#board-calls .board-call")
    assert [r for r in rows if inside(r, calls)], "no call row shown whole"
    assert all(inside(r, calls) or r["left"] >= calls["right"] - 0.5 for r in rows)
    assert inside(frame_of(page, "#board-sms"), screen)

    # the longest message a manager may write, on a smaller TV stick: still whole
    end_in_server(live_server, hall, broadcast_id)
    longest = (OUTAGE + " ") * 2 + "Nous vous prions de nous excuser pour ce retard."
    longest = longest[:300]
    broadcast_id = post_in_server(live_server, hall, longest)
    page.set_viewport_size(SMALL_TV)
    expect(text).to_have_text(longest.strip())
    page.screenshot(
        path=screenshots_dir / "tv-board-urgent-message-300-1280.png",
        animations="disabled",
    )
    small = {"top": 0, "left": 0, "bottom": SMALL_TV["height"], "right": 1280}
    assert inside(frame_of(page, "#board-broadcast"), small)
    assert text.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    rows = boxes(page, "#board-calls .board-call")
    calls = frame_of(page, "#board-calls")
    assert [r for r in rows if inside(r, calls)], "no call row shown whole"

    end_in_server(live_server, hall, broadcast_id)

    expect(banner).to_be_hidden()
    expect(page.locator("#board-calls .board-call")).to_have_count(4)


def test_urgent_message_leaves_the_board_when_its_time_is_up(
    page: Page, live_server, hall, frozen
):
    """The board asks again when the message is due to leave (its next check), and
    the server then answers without it: nothing needs to be published."""
    post_in_server(live_server, hall, OUTAGE)
    frozen.set(TUESDAY_10H + timedelta(hours=2) - timedelta(seconds=2))
    page.set_viewport_size(TV)
    page.goto(f"{live_server.url}/board/{hall.board}")
    banner = page.locator("#board-broadcast")
    expect(banner).to_be_visible()
    frozen.set(TUESDAY_10H + timedelta(hours=2, seconds=1))  # the board's clock follows
    expect(banner).to_be_hidden(timeout=15_000)  # at its check, 1 to 5 s after


def test_a_manager_writes_to_the_room_from_the_branch_page(
    browser: Browser, page: Page, live_server, hall, screenshots_dir
):
    """The count follows the typing; the TV shows the message without reloading, and
    loses it when the manager takes it off."""
    tv = browser.new_page(viewport=TV, locale="fr-FR")
    try:
        tv.goto(f"{live_server.url}/board/{hall.board}")
        tv.evaluate("window.sqNotReloaded = true")
        wait_for_board_socket(live_server, hall.branch_id)
        page.set_viewport_size(DESKTOP)
        page.goto(live_server.url + "/auth/login")
        page.get_by_label("Adresse e-mail").fill(hall.manager_email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.goto(f"{live_server.url}/manage/branches/{hall.branch_id}")
        page.get_by_role("link", name="Écrire un message").click()
        count = page.locator("#message-count")
        expect(count).to_contain_text("/ 300 · 1 SMS par personne")
        page.get_by_label("Message").fill(OUTAGE)
        expect(count).to_contain_text(f"{len(OUTAGE)} caractères / 300 · 2 SMS")
        page.screenshot(path=screenshots_dir / "manage-urgent-message-typed.png")
        page.get_by_role("button", name="Envoyer le message").click()
        expect(page.locator("#active-message")).to_contain_text(OUTAGE)
        expect(tv.locator("#board-broadcast .board-broadcast-text")).to_have_text(
            OUTAGE
        )
        page.screenshot(
            path=screenshots_dir / "manage-urgent-message-sent.png", full_page=True
        )
        page.get_by_role("button", name="Retirer de l’écran").click()
        expect(page.locator("#active-message")).to_have_count(0)
        expect(tv.locator("#board-broadcast")).to_be_hidden()
        assert tv.evaluate("window.sqNotReloaded") is True
    finally:
        tv.close()


def test_kiosk_start_screen_says_how_to_queue_by_sms(
    sms_number, browser: Browser, live_server, hall, screenshots_dir
):
    context = browser.new_context(viewport=PORTRAIT, locale="fr-SN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/kiosk/{hall.kiosk}")
        hint = page.locator("#kiosk-sms")
        expect(hint).to_have_text("Par SMS : envoyez TICKET PLATEAU lettre au 21 21")
        box = hint.bounding_box()
        assert box["y"] + box["height"] <= PORTRAIT["height"]
        page.screenshot(path=screenshots_dir / "kiosk-start-sms-portrait.png")
        page.get_by_role("button", name="Wolof").click()
        expect(hint).to_contain_text("JEL PLATEAU")
        page.screenshot(path=screenshots_dir / "kiosk-start-sms-portrait-wo.png")
    finally:
        context.close()
