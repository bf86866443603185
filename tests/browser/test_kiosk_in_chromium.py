"""A walk-in takes a ticket at the kiosk touchscreen, in Chromium at the kiosk's real size."""

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Browser, expect

from smartqueue import clock
from smartqueue.models import Channel, CounterStatus, DeviceKind
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1280, "height": 800}
PAPER_80MM = {"width": 302, "height": 900}  # 80 mm at 96 dpi
TUESDAY_10H = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
# Count the prints instead of opening the browser's print dialog.
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


@pytest.fixture
def open_hours():
    """The server's clock on a Tuesday at 10:00 in Dakar, when the branch is open."""
    clock.freeze(TUESDAY_10H)
    yield
    clock.freeze(None)


@pytest.fixture
def kiosk_url(
    live_server, open_hours, db, make_org, make_branch, make_service, make_counter,
    make_user,
):  # fmt: skip
    """A bank branch with four services, two open counters and some people waiting."""
    org = make_org(name="Banque Teranga")
    branch = make_branch(org, name="Agence Plateau")
    a = make_service(branch, "A", "Ouverture de compte", minutes=12)
    b = make_service(branch, "B", "Dépôt et retrait", minutes=4)
    make_service(branch, "C", "Transfert d'argent", minutes=6)
    d = make_service(branch, "D", "Prêt immobilier", minutes=30)
    a.name_wo = "Ubbi kont"
    d.requires_appointment = True
    for number, services in ((1, [a, b]), (2, [b])):
        make_counter(branch, number, services).status = CounterStatus.OPEN
    db.session.commit()
    for service in (a, a, b, b, b, b):
        operations.issue_ticket(service, channel=Channel.WEB)
    manager = make_user(role="branch_manager", branch=branch)
    _, token = create_device(branch, DeviceKind.KIOSK, "Entrée", by=manager)
    return f"{live_server.url}/kiosk/{token}"


def test_kiosk_walk_in_takes_a_priority_ticket_by_touch(
    browser: Browser, kiosk_url, screenshots_dir
):
    context = browser.new_context(
        viewport=PORTRAIT, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    page.clock.install()
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
    page.screenshot(path=screenshots_dir / "kiosk-contact-portrait.png")
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
    page.clock.fast_forward("00:21")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")
    expect(service).to_contain_text("3 personnes en attente")

    # after closing time the engine's refusal is shown big, and nothing is printed
    clock.freeze(TUESDAY_10H.replace(hour=18))
    page.get_by_role("link", name=re.compile("Transfert d'argent")).tap()
    page.get_by_role("link", name="Non, ticket normal").tap()
    page.get_by_role("button", name="Passer, sans être prévenu").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "L'agence est ouverte de 08:00 à 17:00."
    )
    page.screenshot(path=screenshots_dir / "kiosk-refused-portrait.png")
    assert page.evaluate("window.__prints") == 0
    context.close()


def test_kiosk_in_landscape_speaks_wolof_flags_a_bad_phone_and_resets_when_idle(
    browser: Browser, kiosk_url, screenshots_dir
):
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

    # a mistyped phone number is pointed out, and no ticket is taken
    page.get_by_role("link", name=re.compile("Ubbi kont")).tap()
    page.locator(".kiosk-button").first.tap()
    page.locator("#contact").fill("12 34")
    page.locator("[name=submit]").tap()
    expect(page.locator("#contact-error")).to_contain_text("77 123 45 67")
    expect(page.locator("#contact")).to_have_value("12 34")
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
