"""A walk-in takes a ticket at the kiosk touchscreen, in Chromium at the kiosk's real size."""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.extensions import db as _db
from smartqueue.models import (
    Channel,
    DeviceKind,
    QueueStatus,
    Service,
    User,
)
from smartqueue.queueing import operations
from tests.browser.kiosk_pages import region_fetched
from tests.conftest import at

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 800}
PAPER_80MM = {"width": 302, "height": 900}  # 80 mm at 96 dpi
# Count the prints instead of opening the browser's print dialog.
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


@pytest.fixture
def kiosk_url(kiosk_hall):
    return kiosk_hall.url


@pytest.fixture
def kiosk_hall(live_server, db, make_hall):
    """A bank branch with four services, two open counters and some people waiting."""
    hall = make_hall(
        services=[
            ("A", "Ouverture de compte", 12),
            ("B", "Dépôt et retrait", 4),
            ("C", "Transfert d'argent", 6),
            ("D", "Prêt immobilier", 30),
        ],
        counters={1: "AB", 2: "B"},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée")],
        org="Banque Teranga",
        name="Agence Plateau",
    )
    hall.a.name_wo = "Ubbi kont"
    hall.d.requires_appointment = True
    db.session.commit()
    for service in (hall.a, hall.a, hall.b, hall.b, hall.b, hall.b):
        operations.issue_ticket(service, channel=Channel.WEB)
    return SimpleNamespace(
        url=live_server.url + hall.url,
        token=hall.token,
        branch_id=hall.branch.id,
        service_id=hall.a.id,
        manager_id=hall.manager.id,
    )


def test_kiosk_walk_in_takes_a_priority_ticket_by_touch(
    browser: Browser, live_server, kiosk_url, frozen, screenshots_dir
):
    live_server.config["SMS_ENABLED"] = False  # no SMS provider here (production)
    context = browser.new_context(
        viewport=PORTRAIT, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    page.clock.install()
    with page.expect_response(region_fetched):
        page.goto(kiosk_url)

    service = page.get_by_role("link", name=re.compile("Ouverture de compte"))
    expect(service).to_contain_text("2 personnes en attente")
    expect(
        page.get_by_role("link", name=re.compile("Prêt immobilier"))
    ).to_contain_text("Sur rendez-vous uniquement")
    for button in page.locator(".kiosk-service, .kiosk-lang").all():
        assert button.bounding_box()["height"] >= 64
    page.screenshot(path=screenshots_dir / "kiosk-start-portrait.png")

    service.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Êtes-vous prioritaire ?")
    page.screenshot(path=screenshots_dir / "kiosk-priority-portrait.png")
    page.get_by_role("link", name="Femme enceinte").tap()

    expect(page.get_by_text("Passage prioritaire")).to_be_visible()
    skip = page.get_by_role("button", name="Passer, sans être prévenu")
    assert skip.bounding_box()["height"] >= 64
    # no SMS channel: an email, and the ticket's QR code said big; no phone asked for
    expect(page.locator("#kiosk-follow")).to_contain_text("Scannez le code QR")
    expect(page.get_by_label("E-mail", exact=True)).to_be_visible()
    expect(page.get_by_label("Téléphone ou e-mail")).to_have_count(0)
    expect(page.get_by_text("77 123 45 67")).to_have_count(0)
    page.screenshot(path=screenshots_dir / "kiosk-contact-portrait.png")
    live_server.config["SMS_ENABLED"] = True  # once an SMS provider is configured
    page.reload()
    expect(page.get_by_label("Téléphone ou e-mail")).to_be_visible()
    page.screenshot(path=screenshots_dir / "kiosk-contact-sms-portrait.png")
    live_server.config["SMS_ENABLED"] = False
    skip.tap()

    # the ticket, printed once by itself; the address loses ?print=1 so a reload won't
    expect(page.locator("#ticket-number")).to_have_text("A003")
    expect(page).to_have_url(re.compile(r"/tickets/[\w-]+$"))
    assert page.evaluate("window.__prints") == 1
    expect(page.locator(".ticket-paper")).to_contain_text("Banque Teranga")
    expect(page.locator(".ticket-paper")).to_contain_text("01/12/2026 10:00")
    expect(page.locator(".ticket-paper")).to_contain_text("Attente estimée")
    expect(page.locator(".ticket-qr svg")).to_be_visible()
    page.screenshot(path=screenshots_dir / "kiosk-ticket-portrait.png")
    page.get_by_role("button", name="Imprimer").tap()
    assert page.evaluate("window.__prints") == 2

    # the 80 mm thermal printout: only the ticket
    page.set_viewport_size(PAPER_80MM)
    page.emulate_media(media="print")
    expect(page.locator(".kiosk-bar")).to_be_hidden()
    expect(page.get_by_role("button", name="Terminé")).to_be_hidden()
    expect(page.locator("#ticket-number")).to_be_visible()
    paper = page.locator(".ticket-paper").bounding_box()
    assert paper["width"] <= PAPER_80MM["width"]
    page.screenshot(
        path=screenshots_dir / "kiosk-ticket-print-80mm.png", full_page=True
    )
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    assert re.findall(rb"/MediaBox \[0 0 227\.\d+ [\d.]+\]", pdf)  # 80 mm wide
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1  # one ticket, one page
    page.emulate_media(media="screen")
    page.set_viewport_size(PORTRAIT)

    # left alone, the ticket screen goes back to the start by itself
    with page.expect_response(region_fetched):  # before the clock moves to the evening
        page.clock.fast_forward("00:21")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")
    expect(service).to_contain_text("3 personnes en attente")

    # after closing time the engine's refusal is shown big, and nothing is printed
    frozen.set(at(1, 18))
    page.get_by_role("link", name=re.compile("Transfert d'argent")).tap()
    page.get_by_role("link", name="Non, ticket normal").tap()
    page.get_by_role("button", name="Passer, sans être prévenu").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "L'agence est ouverte de 08:00 à 17:00."
    )
    page.screenshot(path=screenshots_dir / "kiosk-refused-portrait.png")
    assert page.evaluate("window.__prints") == 0
    context.close()


def test_kiosk_in_landscape_speaks_wolof_refuses_a_phone_and_resets_when_idle(
    browser: Browser, live_server, kiosk_url, screenshots_dir
):
    live_server.config["SMS_ENABLED"] = False  # no SMS provider here (production)
    context = browser.new_context(
        viewport=LANDSCAPE, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    page.clock.install()
    page.goto(kiosk_url)
    page.screenshot(path=screenshots_dir / "kiosk-start-landscape.png")
    page.get_by_role("button", name="Wolof").tap()
    expect(page.get_by_role("link", name=re.compile("Ubbi kont"))).to_be_visible()
    expect(page.get_by_role("button", name="Wolof")).to_have_attribute(
        "aria-pressed", "true"
    )
    for link in page.locator(".kiosk-service").all():
        assert link.bounding_box()["height"] >= 64
    page.screenshot(path=screenshots_dir / "kiosk-start-landscape-wolof.png")

    # a phone number, with no SMS channel to reach it: said so, and no ticket taken
    page.get_by_role("link", name=re.compile("Ubbi kont")).tap()
    page.locator(".kiosk-button").first.tap()
    page.locator("#contact").fill("77 123 45 67")
    page.locator("[name=submit]").tap()
    expect(page.locator("#contact-error")).to_contain_text("SMS yi yónnewuñu")
    expect(page.locator("#contact")).to_have_value("77 123 45 67")
    page.screenshot(path=screenshots_dir / "kiosk-contact-error-landscape.png")
    page.locator("[name=skip]").tap()
    expect(page.locator("#ticket-number")).to_have_text("A003")
    expect(page.locator(".ticket-service")).to_have_text("Ubbi kont")
    page.screenshot(path=screenshots_dir / "kiosk-ticket-landscape.png")

    # nobody touches the screen: back to the start, in French
    page.clock.fast_forward("00:21")
    expect(
        page.get_by_role("link", name=re.compile("Ouverture de compte"))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Français")).to_have_attribute(
        "aria-pressed", "true"
    )
    context.close()


def _set_queue(server, hall, status: QueueStatus) -> None:
    """The manager pauses or resumes service A, in the served app (it publishes to the
    sockets that app holds)."""
    with server.app_context():
        queue = _db.session.get(Service, hall.service_id).queue
        by = _db.session.get(User, hall.manager_id)
        operations.set_queue_status(queue, status, by=by)


def test_kiosk_start_screen_follows_the_manager_and_the_hours_without_reloading(
    browser: Browser, live_server, kiosk_hall, frozen, screenshots_dir
):
    context = browser.new_context(
        viewport=PORTRAIT, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    page = context.new_page()
    page.clock.install()
    heartbeat = f"/devices/{kiosk_hall.token}/report"

    # The socket's hello makes the region fetch itself once: the socket is listening.
    def region_fetched(response) -> bool:
        return response.request.headers.get("hx-request") == "true"

    with (
        page.expect_request(lambda r: r.method == "POST" and heartbeat in r.url),
        page.expect_response(region_fetched),
    ):
        page.goto(kiosk_hall.url)
    service = page.locator(f"#service-{kiosk_hall.service_id}")
    link = page.get_by_role("link", name=re.compile("Ouverture de compte"))
    expect(link).to_contain_text("2 personnes en attente")
    page.evaluate("window.__sameLoad = true")  # a reload would forget it
    page.screenshot(path=screenshots_dir / "kiosk-live-open-portrait.png")

    _set_queue(live_server, kiosk_hall, QueueStatus.PAUSED)
    expect(service).to_contain_text("File en pause · reprend bientôt")
    expect(link).to_have_count(0)  # no button to a refusal
    page.screenshot(path=screenshots_dir / "kiosk-live-paused-portrait.png")

    _set_queue(live_server, kiosk_hall, QueueStatus.ACTIVE)
    expect(link).to_contain_text("2 personnes en attente")
    assert page.evaluate("window.__sameLoad") is True

    # Monday 07:59:58, closed; the page fetches its region again at 08:00 by itself
    frozen.set(at(7, 7, 59, 58))
    with page.expect_response(region_fetched):  # the hello's fetch, before 08:00
        page.reload()
    expect(page.locator("#kiosk-closed")).to_have_text("Fermé · ouvre à 08:00")
    page.evaluate("window.__sameLoad = true")
    frozen.set(at(7, 8, 0, 3))
    page.clock.run_for(4000)
    expect(page.locator("#kiosk-closed")).to_have_count(0)
    expect(link).to_be_visible()
    assert page.evaluate("window.__sameLoad") is True
    context.close()
