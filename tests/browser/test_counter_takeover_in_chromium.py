"""Two agents, two browsers, one counter: the second sees who holds it and takes it over;
the first agent's screen says so live and its buttons stop working (desktop 1366x768)."""

import re

from playwright.sync_api import Browser, expect

from smartqueue.extensions import db
from smartqueue.models import Channel, Service
from smartqueue.queueing import operations
from tests.conftest import PASSWORD

DESKTOP = {"width": 1366, "height": 768}


def _agent(browser: Browser, base: str, email: str):
    context = browser.new_context(
        viewport=DESKTOP, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    page = context.new_page()
    page.goto(base + "/auth/login?next=/agent/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choisissez votre guichet"
    )
    return context, page


def _issue(server, service_id: int) -> str:
    with server.app_context():
        service = db.session.get(Service, service_id)
        return operations.issue_ticket(service, channel=Channel.KIOSK).code


def test_second_agent_takes_the_counter_over_and_the_first_is_told_live(
    browser: Browser,
    live_server,
    frozen,
    make_branch,
    make_service,
    make_counter,
    make_user,
    screenshots_dir,
):
    branch = make_branch(name="Agence Plateau")
    a = make_service(branch, "A", "Ouverture de compte")
    b = make_service(branch, "B", "Dépôt et retrait")
    make_counter(branch, 1, [a, b])
    make_user(email="awa@example.sn", role="agent", branch=branch, full_name="Awa Diop")
    make_user(
        email="moussa@example.sn", role="agent", branch=branch, full_name="Moussa Fall"
    )
    for service in (a, a, b):
        _issue(live_server, service.id)

    awa_context, awa = _agent(browser, live_server.url, "awa@example.sn")
    moussa_context, moussa = _agent(browser, live_server.url, "moussa@example.sn")
    try:
        awa.get_by_role("button", name=re.compile("Guichet 1")).click()  # opens it
        expect(awa.locator("#live-state")).to_contain_text("En direct")
        call = awa.get_by_role("button", name=re.compile("Appeler le suivant"))
        expect(call).to_be_enabled()
        call.click()
        panel = awa.locator("#counter-panel")
        expect(panel.locator(".now-code")).to_have_text("A001")
        # Absent waits for the recalls; both buttons say how many were made.
        absent = panel.get_by_role("button", name=re.compile("Absent"))
        expect(absent).to_be_disabled()
        expect(absent).to_contain_text("rappel 0/3")
        expect(
            panel.get_by_role("button", name=re.compile("Rappeler"))
        ).to_contain_text("rappel 0/3")

        # Moussa's list says who is at counter 1; its card leads to the screen.
        moussa.reload()
        card = moussa.locator(".counter-picker li").first
        expect(card).to_contain_text("Awa Diop depuis 10:00")
        moussa.screenshot(path=screenshots_dir / "desktop-counters-who-holds.png")
        card.get_by_role("link", name=re.compile("Voir et prendre")).click()
        held = moussa.locator("#counter-held")
        expect(held).to_contain_text("Awa Diop tient ce guichet depuis 10:00")
        expect(
            moussa.get_by_role("button", name=re.compile("Appeler le suivant"))
        ).to_be_disabled()
        expect(
            moussa.get_by_role("button", name=re.compile("Terminé"))
        ).to_be_disabled()
        moussa.screenshot(path=screenshots_dir / "desktop-counter-held-by-other.png")

        moussa.get_by_role("button", name="Prendre ce guichet").click()
        expect(held).to_have_count(0)
        expect(moussa.locator("#counter-panel .now-code")).to_have_text("A001")
        expect(moussa.get_by_role("button", name=re.compile("Terminé"))).to_be_enabled()

        # Awa's screen hears it on the counter's socket, without a reload.
        expect(awa.locator("#counter-held")).to_contain_text(
            "Moussa Fall a pris ce guichet à 10:00"
        )
        expect(awa.get_by_role("button", name=re.compile("Terminé"))).to_be_disabled()
        awa.screenshot(path=screenshots_dir / "desktop-counter-taken-over.png")

        # Moussa serves on, then calls B001 out of turn with a reason.
        moussa.get_by_role("button", name=re.compile("Terminé")).click()
        expect(moussa.locator("#counter-panel .now-empty")).to_be_visible()
        moussa.get_by_text("Appeler un ticket hors tour").click()
        moussa.locator("#out-of-turn-ticket").select_option(label="B001")
        moussa.get_by_label("Raison").fill("Client revenu de la caisse")
        moussa.get_by_role("button", name="Appeler ce ticket").click()
        now = moussa.locator("#counter-panel")
        expect(now.locator(".now-code")).to_have_text("B001")
        expect(now.locator(".now-out-of-turn")).to_contain_text(
            "Client revenu de la caisse"
        )
        moussa.screenshot(path=screenshots_dir / "desktop-counter-out-of-turn.png")
    finally:
        awa_context.close()
        moussa_context.close()
