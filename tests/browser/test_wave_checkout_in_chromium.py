"""A guaranteed appointment paid with Wave on a phone: booked (deposit required), the
deposit box, the simulated Wave checkout ("Payer"), back to SmartQueue, confirmed. The
simulator is a process of its own; its signed webhook reaches the app's hook over HTTP
(the live server's address is its WAVE_WEBHOOK_URL), whenever it comes."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from smartqueue.appointments import planning
from smartqueue.models import Appointment, AppointmentStatus, Payment, PaymentStatus
from tests.payments.simulator import Simulator
from tests.payments.test_wave import API_KEY, WEBHOOK_SECRET

PHONE = {"width": 360, "height": 740}
# The return page asks again every 3 s: the webhook may come just after the payer.
WEBHOOK_WAIT_MS = 15_000


@pytest.fixture
def simulator():
    """The simulator, its port taken now: the app must know its address before it is
    served, and the simulator the app's address before it starts (wave_checkout)."""
    return Simulator(WAVE_API_KEY=API_KEY, WAVE_WEBHOOK_SECRET=WEBHOOK_SECRET)


@pytest.fixture
def app_config(app_config, simulator):
    return {
        **app_config,
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": simulator.url + "/wave",
    }


@pytest.fixture
def wave_checkout(simulator, live_server):
    """The simulator running, sending Wave's webhooks to the live server."""
    simulator.settings["WAVE_WEBHOOK_URL"] = live_server.url + "/hooks/payments/wave"
    with simulator:
        yield simulator


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_guaranteed_appointment_paid_with_wave_on_a_phone(
    phone, live_server, wave_checkout, agenda, db, screenshots_dir
):
    page = phone
    problems = []

    def console(message):
        # Ours only: the simulator's page has no favicon (a 404 Wave's would not give).
        if message.type == "error" and not message.location["url"].startswith(
            wave_checkout.url
        ):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    planning.set_booking_settings(agenda.service, requires_deposit=True)

    # Booked on the phone: the appointment waits for its deposit.
    page.goto(live_server.url + f"/appointments/book/{agenda.service.id}/2026-12-02")
    page.get_by_label("Adresse e-mail").fill(agenda.customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    page.locator("label.time", has_text="09:30").click()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page).to_have_url(re.compile(r"/appointments/RDV202612020001$"))
    expect(page.locator(".appointment-status")).to_have_text("Acompte à régler")
    box = page.locator("#payment-choice")
    expect(box.locator("h2")).to_have_text(
        "Acompte : 2\u202f000 FCFA à régler avant 10:30"
    )
    box.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / "phone-payment-choice.png", full_page=True)
    fits(page)

    # The simulated Wave checkout, on the simulator's own address.
    box.get_by_role("button", name="Payer avec Wave").click()
    expect(page).to_have_url(re.compile(rf"^{wave_checkout.url}/wave/c/cos-"))
    expect(page.locator(".amount")).to_have_text("2\u202f000 FCFA")
    page.screenshot(path=screenshots_dir / "phone-wave-checkout.png", full_page=True)
    page.get_by_role("button", name=re.compile("^Payer")).click()

    # Back on SmartQueue: the webhook confirms the appointment, the page shows it.
    expect(page).to_have_url(re.compile(r"/payments/PAY-[0-9A-F]{12}$"))
    status = page.locator("#payment-status")
    expect(status.locator(".badge")).to_have_text("Payé", timeout=WEBHOOK_WAIT_MS)
    expect(status).to_contain_text("Merci : votre rendez-vous est confirmé.")
    page.screenshot(path=screenshots_dir / "phone-payment-return.png", full_page=True)
    fits(page)

    status.get_by_role("link", name="Rendez-vous RDV202612020001").click()
    expect(page.locator(".appointment-status")).to_have_text("Confirmé")
    expect(page.locator("#payment-choice")).to_have_count(0)
    payments = page.locator("#appointment-payments")
    expect(payments).to_contain_text("2\u202f000 FCFA")
    expect(payments.locator(".badge")).to_have_text("Payé")
    page.screenshot(path=screenshots_dir / "phone-appointment-paid.png", full_page=True)

    payments.get_by_role("link", name="Reçu").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("Reçu de paiement")
    expect(receipt).to_contain_text(agenda.branch.organization.name)
    expect(receipt.locator(".receipt-amount")).to_have_text("2\u202f000 FCFA")
    page.screenshot(path=screenshots_dir / "phone-payment-receipt.png", full_page=True)
    fits(page)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    page.screenshot(
        path=screenshots_dir / "phone-payment-receipt-print.png", full_page=True
    )
    fits(page)
    assert problems == []

    # What happened behind: the webhook over HTTP, once; the appointment confirmed.
    db.session.rollback()
    payment = db.session.scalar(select(Payment))
    assert payment.status is PaymentStatus.COMPLETED
    assert [e.source for e in payment.events] == ["payer", "callback"]
    appointment = db.session.scalar(select(Appointment))
    assert appointment.status is AppointmentStatus.CONFIRMED
