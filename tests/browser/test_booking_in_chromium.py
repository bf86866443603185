"""Booking on a phone: from the branch page through the calendar and the day's times to
the confirmation with its number and check-in QR code."""

import re

import pytest
from playwright.sync_api import Page, expect

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def test_booking_on_a_phone_from_branch_to_confirmation(
    phone, live_server, agenda, screenshots_dir
):
    page = phone
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    service = agenda.service

    page.goto(live_server.url + f"/branches/{agenda.branch.id}")
    page.get_by_role("link", name="Prendre rendez-vous").click()  # signed out
    page.get_by_label("Adresse e-mail").fill(agenda.customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(re.compile(rf"/appointments/book/{service.id}$"))
    calendar = page.locator("#booking-calendar")
    expect(calendar.locator("h3")).to_have_text("Décembre 2026")
    expect(calendar.locator("a.day.open")).to_have_count(22)  # weekdays 2-31 Dec
    page.screenshot(path=screenshots_dir / "phone-booking-calendar.png", full_page=True)

    calendar.get_by_role("link", name="mercredi 2 décembre : 12 places libres").click()
    expect(page).to_have_url(
        re.compile(rf"/appointments/book/{service.id}/2026-12-02$")
    )
    expect(page.locator("label.time")).to_have_count(6)
    page.locator("label.time", has_text="09:30").click()
    expect(page.get_by_role("radio", name=re.compile("09:30"))).to_be_checked()
    page.screenshot(path=screenshots_dir / "phone-booking-times.png", full_page=True)

    page.get_by_role("button", name="Confirmer le rendez-vous").click()  # CSRF on
    expect(page).to_have_url(re.compile(r"/appointments/RDV202612020001$"))
    card = page.locator("#appointment")
    expect(card.locator(".appointment-number")).to_have_text("RDV202612020001")
    expect(card.locator(".appointment-time")).to_have_text("09:30")
    expect(card.locator("svg.booking-qr")).to_be_visible()
    expect(page.get_by_text("Votre rendez-vous est réservé.")).to_be_visible()
    page.screenshot(
        path=screenshots_dir / "phone-booking-confirmation.png", full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert problems == []
