"""A customer with an appointment checks in at the kiosk touchscreen, in Chromium at the
kiosk's real sizes: by the on-screen keypad, or by showing the QR code to the camera."""

import re

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.appointments import operations as appointments
from smartqueue.models import AppointmentStatus, Channel, DeviceKind
from smartqueue.queueing.devices import create_device
from tests.appointments.helpers import check_in_path
from tests.browser.kiosk_pages import region_fetched
from tests.conftest import at

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 800}
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"
# Linux Chromium has no BarcodeDetector and the test machine no camera: a stand-in of
# each, the "camera" filming a grey canvas and the "detector" reading window.__qr.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return window.__qr ? [{ rawValue: window.__qr }] : []; }
};
navigator.mediaDevices.enumerateDevices = async () => [{ kind: "videoinput" }];
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 640, height: 480 });
  const paint = canvas.getContext("2d");
  paint.fillStyle = "#3a4046";
  paint.fillRect(0, 0, 640, 480);
  return canvas.captureStream(5);
};
"""


@pytest.fixture
def checkin(live_server, db, agenda, frozen, make_user):
    """The agenda branch's kiosk, and the customer's appointment today at 10:30 (it is 10:00)."""
    manager = make_user(role="branch_manager", branch=agenda.branch)
    _, token = create_device(agenda.branch, DeviceKind.KIOSK, "Entrée", by=manager)
    frozen.set(at(1, 6))
    booked = appointments.book_appointment(
        agenda.customer, agenda.service, at(1, 10, 30)
    )
    frozen.set(at(1, 10))

    class CheckIn:
        url = f"{live_server.url}/kiosk/{token}"
        appointment = booked
        qr = live_server.url + check_in_path(booked)

    return CheckIn


def _kiosk(browser: Browser, viewport, *scripts):
    context = browser.new_context(
        viewport=viewport, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    for script in (COUNT_PRINTS, *scripts):
        context.add_init_script(script)
    return context


def test_kiosk_check_in_by_keypad_prints_the_appointment_ticket(
    browser: Browser, checkin, screenshots_dir
):
    context = _kiosk(browser, PORTRAIT)
    page = context.new_page()
    page.clock.install()
    with page.expect_response(region_fetched):
        page.goto(checkin.url)

    # the Wolof switch still works, and the appointment button is there in both
    page.get_by_role("button", name="Wolof").tap()
    expect(page.get_by_role("button", name="Wolof")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#kiosk-appointment")).to_be_visible()
    page.get_by_role("button", name="Français").tap()
    appointment = page.get_by_role("link", name=re.compile("J'ai un rendez-vous"))
    assert appointment.bounding_box()["height"] >= 96
    page.screenshot(path=screenshots_dir / "kiosk-checkin-start-portrait.png")
    appointment.tap()

    # typed on the keypad (the screen's keyboard stays away); no camera: no scan button
    expect(page.get_by_role("heading", level=1)).to_have_text("J'ai un rendez-vous")
    field = page.get_by_label("Numéro de rendez-vous")
    expect(field).to_have_attribute("inputmode", "none")
    expect(page.get_by_role("button", name="Scanner mon QR code")).to_be_hidden()
    keys = page.locator(".kiosk-key")
    expect(keys).to_have_count(12)
    for key in keys.all():
        assert key.bounding_box()["height"] >= 80
    for digit in "0091":
        page.get_by_role("button", name=digit, exact=True).tap()
    page.get_by_role("button", name="Effacer le dernier chiffre").tap()
    page.get_by_role("button", name="Effacer le dernier chiffre").tap()
    expect(field).to_have_value("00")
    for digit in "01":
        page.get_by_role("button", name=digit, exact=True).tap()
    expect(field).to_have_value("0001")
    page.screenshot(path=screenshots_dir / "kiosk-checkin-keypad-portrait.png")
    page.get_by_role("button", name="Valider").tap()

    # the ticket, printed once, with the appointment's time
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator(".ticket-paper")).to_contain_text("Rendez-vous de 10:30")
    expect(page).to_have_url(re.compile(r"/tickets/[\w-]+$"))
    assert page.evaluate("window.__prints") == 1
    page.screenshot(path=screenshots_dir / "kiosk-checkin-ticket-portrait.png")
    page.clock.fast_forward("00:21")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")

    # a second time: refused big with the ticket's number, then back to the start
    page.locator("#kiosk-appointment").tap()
    page.get_by_label("Numéro de rendez-vous").fill(checkin.appointment.number.lower())
    page.get_by_role("button", name="Valider").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vous êtes déjà enregistré : ticket A001."
    )
    page.screenshot(path=screenshots_dir / "kiosk-checkin-refused-portrait.png")
    assert page.evaluate("window.__prints") == 0
    page.clock.fast_forward("00:21")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")

    # an unknown number is pointed out on the same screen
    page.locator("#kiosk-appointment").tap()
    for digit in "42":
        page.get_by_role("button", name=digit, exact=True).tap()
    page.get_by_role("button", name="Valider").tap()
    expect(page.locator("#number-error")).to_have_text(
        "Aucun rendez-vous avec ce numéro dans cette agence."
    )
    page.screenshot(path=screenshots_dir / "kiosk-checkin-unknown-portrait.png")
    context.close()


def test_kiosk_check_in_by_qr_code_where_the_kiosk_has_a_camera(
    browser: Browser, db, checkin, screenshots_dir
):
    context = _kiosk(browser, LANDSCAPE, FAKE_CAMERA)
    page = context.new_page()
    page.goto(checkin.url + "/appointments")
    page.screenshot(path=screenshots_dir / "kiosk-checkin-landscape.png")
    scan = page.get_by_role("button", name="Scanner mon QR code")
    assert scan.bounding_box()["height"] >= 64
    scan.tap()
    expect(page.locator("video")).to_be_visible()
    expect(scan).to_be_hidden()
    page.get_by_role("button", name="Annuler").tap()  # changed my mind: camera off
    expect(page.locator("video")).to_be_hidden()
    assert page.evaluate("document.querySelector('video').srcObject") is None
    scan.tap()
    expect(page.locator("video")).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Présentez le code QR")

    page.evaluate("window.__qr = 'https://example.com/menu'")
    expect(status).to_have_text("Ce code QR n'est pas celui d'un rendez-vous.")
    page.screenshot(path=screenshots_dir / "kiosk-checkin-camera-landscape.png")
    page.evaluate(f"window.__qr = {checkin.qr!r}")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator(".ticket-paper")).to_contain_text("Rendez-vous de 10:30")
    assert page.evaluate("window.__prints") == 1
    context.close()
    db.session.rollback()  # a fresh read: the server's thread checked it in
    assert checkin.appointment.status is AppointmentStatus.CHECKED_IN
    assert checkin.appointment.ticket.channel is Channel.KIOSK
