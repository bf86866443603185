"""Service names in Chromium: the manager sees which lack a Wolof or English name
(desktop 1366x768), and the kiosk in Wolof reads every demo service in Wolof (1080x1920)."""

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from smartqueue.demo import PASSWORD, seed_demo
from smartqueue.models import Branch


@pytest.fixture
def demo(db, frozen):
    """The demo data, two Plateau services stripped of a name, on a Tuesday at 10:00."""
    seed_demo()
    plateau = db.session.scalar(select(Branch).where(Branch.name == "Agence Plateau"))
    by_prefix = {s.prefix: s for s in plateau.services}
    by_prefix["C"].name_wo = None
    by_prefix["D"].name_wo = by_prefix["D"].name_en = None
    db.session.commit()
    return plateau


def test_missing_names_are_marked_for_the_manager_and_the_kiosk_reads_wolof(
    browser: Browser, live_server, demo, screenshots_dir
):
    desk = browser.new_context(viewport={"width": 1366, "height": 768})
    page = desk.new_page()
    page.goto(live_server.url + "/auth/login")
    page.fill("input[name=email]", "manager@demo.sn")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(f"{live_server.url}/manage/branches/{demo.id}")
    services = page.locator("#service-list")
    services.scroll_into_view_if_needed()
    expect(services.locator("[data-missing=wo]")).to_have_count(2)
    expect(services.locator("[data-missing=en]")).to_have_count(1)
    expect(services.locator("tr", has_text="Cartes bancaires")).to_contain_text(
        "Nom wolof manquant"
    )
    expect(page.locator("#missing-names-note")).to_be_visible()
    page.screenshot(path=screenshots_dir / "desktop-manage-missing-names.png")
    services.get_by_role("link", name="Cartes bancaires").click()
    names = page.locator("#service-names")
    expect(names.get_by_label("Nom (wolof, facultatif)")).to_have_value("")
    expect(names.get_by_label("Nom (anglais, facultatif)")).to_be_visible()
    page.screenshot(path=screenshots_dir / "desktop-manage-service-names.png")
    desk.close()
    seed_demo()  # `make run` again: the demo's names come back where they are missing

    kiosk = browser.new_context(
        viewport={"width": 1080, "height": 1920}, has_touch=True
    )
    screen = kiosk.new_page()
    screen.goto(live_server.url + "/kiosk/demo-kiosk-plateau")
    screen.get_by_role("button", name="Wolof").tap()
    expect(screen.locator("html")).to_have_attribute("lang", "wo")
    names = screen.locator(".kiosk-service-name")
    expect(names).to_contain_text(
        ["Ubbi kont", "Dugal ak génne xaalis", "Leb xaalis ak crédit", "Kàrtu bànk"]
    )
    screen.screenshot(path=screenshots_dir / "kiosk-start-wolof.png")
    kiosk.close()
