"""A customer rates a served visit on a phone: five big choices with words, a comment,
thanks in place (htmx), and the same form with scripts off (post/redirect/get); a
manager reads the satisfaction; a waiting ticket says how sure its estimate is."""

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import insert

from smartqueue.analytics import ratings
from smartqueue.models import Channel
from smartqueue.models.analytics import service_day
from smartqueue.queueing import operations as ops
from tests.conftest import PASSWORD

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def served(live_server, db, make_hall, frozen):
    """Two served tickets of hall's service A."""
    hall = make_hall()
    tickets = []
    for _ in range(2):
        ticket = ops.issue_ticket(hall.a, channel=Channel.WEB)
        ops.finish(ops.call_next(hall.counter, by=hall.agent), by=hall.agent)
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_a_customer_rates_a_visit_on_a_phone(
    browser: Browser, live_server, served, screenshots_dir, scripts
):
    ticket = served[0] if scripts else served[1]
    context = browser.new_context(
        viewport=PHONE,
        locale="fr-SN",
        timezone_id="Africa/Dakar",
        java_script_enabled=scripts,
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{ticket.token}")
    form = page.locator("#ticket-rating form")
    expect(form).to_be_visible()
    if scripts:
        page.screenshot(path=screenshots_dir / "phone-rating-form.png", full_page=True)
    page.get_by_text("4 · Satisfait").click()
    page.get_by_label("Un commentaire ? (facultatif)").fill("Agent très aimable.")
    if scripts:
        page.screenshot(
            path=screenshots_dir / "phone-rating-chosen.png", full_page=True
        )
    page.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.locator("#ticket-rating")).to_contain_text("Merci pour votre avis")
    expect(page.locator("#ticket-rating")).to_contain_text("Votre note : 4 sur 5")
    page.screenshot(
        path=screenshots_dir / f"phone-rating-thanks-{'js' if scripts else 'nojs'}.png",
        full_page=True,
    )
    context.close()


def test_a_branch_manager_reads_the_satisfaction_of_the_day(
    browser: Browser, live_server, db, make_hall, frozen, screenshots_dir
):
    hall = make_hall(
        staff=(
            {"role": "agent", "full_name": "Awa Ndiaye"},
            {"role": "branch_manager", "email": "fatou@example.sn"},
        ),
        name="Agence Plateau",
    )
    given = [
        (5, "Très bien accueilli, merci."),
        (4, None),
        (5, None),
        (2, "Trente minutes debout sans siège."),
        (3, "Correct."),
    ]
    for value, comment in given:
        ticket = ops.issue_ticket(hall.a, channel=Channel.WEB)
        ops.finish(ops.call_next(hall.counter, by=hall.agent), by=hall.agent)
        frozen.tick(minutes=3)
        ratings.rate_ticket(ticket.token, value, comment)
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(
            viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar"
        )
        page = context.new_page()
        page.goto(live_server.url + "/auth/login")
        page.get_by_label("Adresse e-mail").fill("fatou@example.sn")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).not_to_have_url(re.compile(r"/auth/login"))  # signed in first
        page.goto(
            f"{live_server.url}/manage/branches/{hall.branch.id}/analytics"
            "?period=day&start=2026-12-01"
        )
        part = page.locator("#satisfaction")
        expect(part).to_contain_text("3,8 / 5")
        expect(part).to_contain_text("Trente minutes debout sans siège.")
        expect(part.locator("meter")).to_have_count(5)
        part.scroll_into_view_if_needed()
        part.screenshot(path=screenshots_dir / f"{name}-satisfaction.png")
        context.close()


def test_a_waiting_ticket_says_how_sure_its_estimate_is(
    browser: Browser, live_server, db, make_hall, frozen, screenshots_dir
):
    hall = make_hall()
    db.session.execute(
        insert(service_day).values(
            day=date(2026, 11, 30),
            service_id=hall.a.id,
            branch_id=hall.branch.id,
            organization_id=hall.org.id,
            weekday=0,
            target_wait_minutes=15,
            told_n=120,
            told_inside=98,
        )
    )
    db.session.commit()
    for _ in range(4):
        ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    mine = ops.issue_ticket(hall.a, channel=Channel.WEB)
    context = browser.new_context(
        viewport=PHONE, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{mine.token}")
    expect(page.locator("#ticket-confidence")).to_have_text(
        "Nos estimations pour ce service se sont vérifiées 8 fois sur 10 "
        "ces 4 dernières semaines."
    )
    page.screenshot(path=screenshots_dir / "phone-ticket-confidence.png")
    context.close()
