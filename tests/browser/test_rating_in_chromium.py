"""A customer rates a served visit on a phone: five big choices with words, a comment,
thanks in place (htmx), and the same form with scripts off (post/redirect/get)."""

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops

PHONE = {"width": 360, "height": 740}


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
