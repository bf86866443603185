"""An agent at counter 1 in Chromium: a kiosk ticket appears live, N calls it, Done serves it."""

import re

from playwright.sync_api import Page, expect

from smartqueue.extensions import db
from smartqueue.models import Channel, Priority, Service
from smartqueue.queueing import operations
from tests.conftest import at

DESKTOP = {"width": 1366, "height": 768}


def _issue(server, service_id: int, **kwargs) -> str:
    """A kiosk ticket, issued in the live server's app: its broker feeds its sockets."""
    with server.app_context():
        service = db.session.get(Service, service_id)
        return operations.issue_ticket(service, channel=Channel.KIOSK, **kwargs).code


def test_agent_calls_and_serves_a_ticket_that_arrives_live(
    page: Page,
    live_server,
    frozen,
    make_org,
    make_branch,
    make_service,
    make_counter,
    make_user,
    screenshots_dir,
):
    page.set_viewport_size(DESKTOP)
    branch = make_branch(make_org(name="Banque Teranga"), name="Agence Plateau")
    a = make_service(branch, "A", "Ouverture de compte")
    b = make_service(branch, "B", "Dépôt et retrait", minutes=5)
    make_service(branch, "C", "Crédit et prêts")
    make_counter(branch, 1, [a, b])
    make_counter(branch, 2, [a])
    make_user(
        email="awa@example.sn", role="agent", branch=branch, full_name="Awa Ndiaye"
    )
    frozen.set(at(1, 9, 41))
    _issue(live_server, a.id, priority=Priority.HIGH)
    for minute in (47, 52, 58):
        frozen.set(at(1, 9, minute))
        _issue(live_server, b.id)
    frozen.set(at(1, 10))

    page.goto(live_server.url + "/auth/login?next=/agent/")
    page.get_by_label("Adresse e-mail").fill("awa@example.sn")
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choisissez votre guichet"
    )
    page.screenshot(path=screenshots_dir / "desktop-agent-counters.png")

    page.get_by_role("button", name=re.compile("Guichet 1")).click()  # opens it
    expect(page.locator("#counter-panel .state")).to_have_text("Ouvert")
    expect(page.locator("#live-state")).to_contain_text("En direct")
    waiting = page.locator("#waiting-list")
    expect(waiting.locator(".total")).to_have_text("4")

    # a kiosk ticket arrives: the waiting list shows it without a reload
    code = _issue(live_server, a.id)
    expect(waiting.locator("#line-a .chip", has_text=code)).to_be_visible()
    expect(waiting.locator(".total")).to_have_text("5")

    page.keyboard.press("n")  # call next: the longest-waiting ticket
    panel = page.locator("#counter-panel")
    expect(panel.locator(".now-code")).to_have_text("A001")
    expect(panel.locator(".now-label")).to_contain_text("Appelé")
    expect(panel.locator(".now-priority")).to_contain_text("Prioritaire")
    expect(waiting.locator(".total")).to_have_text("4")
    page.keyboard.press("r")
    expect(panel).to_contain_text("1/3")
    page.screenshot(path=screenshots_dir / "desktop-agent-counter.png")

    # Absent waits for the 3 recalls: disabled, saying how far; the key only shakes it.
    absent = panel.get_by_role("button", name=re.compile("Absent"))
    expect(absent).to_be_disabled()
    expect(absent).to_contain_text("rappel 1/3")
    page.keyboard.press("a")
    expect(panel.locator("form.act-no-show")).to_have_class(re.compile("nudge"))
    page.screenshot(path=screenshots_dir / "desktop-agent-counter-refused.png")

    page.keyboard.press("s")  # the customer is at the counter
    expect(panel.locator(".now-label")).to_contain_text("En cours de service")
    page.screenshot(path=screenshots_dir / "desktop-agent-counter-serving.png")

    panel.get_by_role("button", name=re.compile("Terminé")).click()
    expect(panel.locator(".now-empty")).to_have_text("Aucun ticket en cours")
    expect(page.locator("#tally .tally-served dd")).to_have_text("1")
    page.screenshot(path=screenshots_dir / "desktop-agent-counter-done.png")
