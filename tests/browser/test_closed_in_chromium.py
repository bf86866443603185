"""Closed before the tap, in Chromium: a closed branch's page on a phone and its kiosk at
the kiosk's real size say when it opens, and offer nothing to tap that would be refused."""

import re

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.models import DeviceKind
from tests.conftest import at

PHONE = {"width": 360, "height": 740}
KIOSK = {"width": 1080, "height": 1920}
TV = {"width": 1920, "height": 1080}
LABEL = "Fermé · ouvre demain à 08:00"


@pytest.fixture
def closed_branch(live_server, frozen, make_hall):
    """A bank branch (Monday to Saturday 08:00-17:00) on a Sunday at 10:00."""
    frozen.set(at(6, 10))
    hall = make_hall(
        services=[("A", "Ouverture de compte", 12), ("B", "Dépôt et retrait", 4)],
        counters={},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée"), (DeviceKind.BOARD, "Salle")],
        org="Banque Teranga",
        name="Agence Parcelles",
    )
    (_, token), (_, board) = hall.screens
    return {
        "page": f"{live_server.url}/branches/{hall.branch.id}",
        "kiosk": f"{live_server.url}/kiosk/{token}",
        "board": f"{live_server.url}/board/{board}",
    }


def _fits_the_width(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_closed_branch_page_on_a_phone(
    browser: Browser, closed_branch, screenshots_dir
):
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="fr-SN"
    )
    page = context.new_page()
    page.goto(closed_branch["page"])
    expect(page.locator("#branch-closed")).to_have_text(LABEL)
    expect(page.locator(".closed-state").filter(has_text=LABEL)).to_have_count(3)
    expect(page.get_by_text("Prendre un ticket")).to_have_count(0)
    expect(page.get_by_text("Personne n'attend")).to_have_count(0)
    assert _fits_the_width(page)
    page.screenshot(path=screenshots_dir / "closed-branch-phone.png", full_page=True)
    context.close()


def test_closed_kiosk_at_its_size(browser: Browser, closed_branch, screenshots_dir):
    context = browser.new_context(viewport=KIOSK, has_touch=True, locale="fr-SN")
    page = context.new_page()
    page.goto(closed_branch["kiosk"])
    expect(page.locator("#kiosk-closed")).to_have_text(LABEL)
    services = page.locator(".kiosk-service")
    expect(services).to_have_count(2)
    expect(services.first).to_contain_text(LABEL)
    # Nothing to tap that a refusal would answer two screens later.
    expect(
        page.get_by_role("link", name=re.compile("Ouverture de compte"))
    ).to_have_count(0)
    services.first.tap()
    expect(page.locator("#kiosk-closed")).to_be_visible()
    assert _fits_the_width(page)
    page.screenshot(path=screenshots_dir / "closed-kiosk-portrait.png")
    context.close()


def test_closed_board_on_a_tv(browser: Browser, closed_branch, screenshots_dir):
    context = browser.new_context(viewport=TV, locale="fr-SN")
    page = context.new_page()
    page.goto(closed_branch["board"])
    expect(page.locator("#board-closed")).to_have_text(LABEL)
    assert _fits_the_width(page)
    page.screenshot(path=screenshots_dir / "closed-board-tv.png")
    context.close()
