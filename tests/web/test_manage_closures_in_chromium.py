"""A branch manager adds Senegal's public holidays and confirms a moving one, in Chromium
(desktop 1366x768, then a phone 360x740)."""

import re

from playwright.sync_api import Page, expect

from smartqueue.orgs import holidays

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}


def test_manager_prefills_and_confirms_holidays(
    page: Page, live_server, db, frozen, make_branch, make_user, screenshots_dir
):
    branch = make_branch(name="Agence Plateau")
    holidays.prefill_holidays(branch, 2026)
    make_user(email="responsable@example.sn", role="branch_manager", branch=branch)
    page.set_viewport_size(DESKTOP)
    page.goto(
        f"{live_server.url}/auth/login?next=/manage/branches/{branch.id}/closures"
    )
    page.get_by_label("Adresse e-mail").fill("responsable@example.sn")
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/closures$"))

    next_year = page.locator("#closures-2027")
    next_year.get_by_role("button", name="Ajouter les jours fériés de 2027").click()
    expect(page.locator(".flash-success")).to_contain_text("fermés 9")
    korite = next_year.locator("li.is-proposed", has_text="Korité")
    expect(korite).to_contain_text("à confirmer")
    expect(korite).to_contain_text(
        "Date estimée : confirmez-la quand elle est annoncée."
    )

    # Tabaski is announced a day after the estimate: moved there, it closes that day.
    tabaski = next_year.locator("li.is-proposed", has_text="Tabaski").first
    tabaski.get_by_label("Déplacer au").fill("2027-05-17")
    tabaski.get_by_role("button", name="Déplacer").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Tabaski : l'agence sera fermée le lundi 17 mai 2027."
    )
    moved = next_year.locator("li.closure:not(.is-proposed)", has_text="Tabaski")
    expect(moved).to_contain_text("date confirmée")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=screenshots_dir / "desktop-manage-closures.png")
    page.screenshot(
        path=screenshots_dir / "desktop-manage-closures-full.png", full_page=True
    )

    page.set_viewport_size(PHONE)
    page.reload()
    expect(korite).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    korite.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / "phone-manage-closures.png")
