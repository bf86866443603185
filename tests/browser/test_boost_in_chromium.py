"""hx-boost in the manage area (issue 15, "Templates"): links and forms swap the page
without reloading it, a refused form and an error page still show, the next page's own
stylesheet comes with it, and with scripts off the same links and forms work."""

import re

from playwright.sync_api import Page, expect

DESKTOP = {"width": 1280, "height": 800}


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()


def _not_reloaded(page: Page) -> bool:
    return page.evaluate("window.stillTheSameDocument === true")


def test_boosted_manage_pages_swap_in_place_and_show_refusals(
    page: Page, live_server, make_branch, make_user
):
    page.set_viewport_size(DESKTOP)
    branch = make_branch(name="Agence Médina")
    make_user(email="chef@example.sn", role="branch_manager", branch=branch)
    _sign_in(page, live_server.url, "chef@example.sn")
    page.goto(f"{live_server.url}/manage/branches/{branch.id}")
    page.evaluate("window.stillTheSameDocument = true")
    tabs = page.get_by_role("navigation", name="Agence")

    # a link: the closures page comes in place, with its own stylesheet
    tabs.get_by_role("link", name="Fermetures").click()
    expect(page).to_have_url(re.compile(rf"/manage/branches/{branch.id}/closures$"))
    expect(page).to_have_title(re.compile("Fermetures"))
    expect(page.locator('head link[href*="manage-closures"]')).to_have_count(1)
    assert _not_reloaded(page)

    # a refused form (422) shows its errors, in place
    tabs.get_by_role("link", name="Agence").click()
    expect(page.locator('head link[href*="manage-closures"]')).to_have_count(0)
    form = page.locator("#branch-form")
    form.get_by_label("Nom de l'agence").fill("")
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#name-error")).to_be_visible()
    assert _not_reloaded(page)

    # an error page (here an expired form: 400) is shown whole, as without scripts
    page.evaluate(
        "document.querySelector('#branch-form [name=csrf_token]').value = 'stale'"
    )
    form.get_by_label("Nom de l'agence").fill("Agence Médina")
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requête invalide")
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()
    assert _not_reloaded(page)


def test_manage_pages_work_with_scripts_off(
    browser, browser_context_args, live_server, make_branch, make_user
):
    context = browser.new_context(
        **{**browser_context_args, "viewport": DESKTOP}, java_script_enabled=False
    )
    page = context.new_page()
    branch = make_branch(name="Agence Médina")
    make_user(email="chef@example.sn", role="branch_manager", branch=branch)
    _sign_in(page, live_server.url, "chef@example.sn")
    page.goto(f"{live_server.url}/manage/branches/{branch.id}")
    page.get_by_role("navigation", name="Agence").get_by_role(
        "link", name="Horaires"
    ).click()
    expect(page).to_have_url(re.compile(rf"/manage/branches/{branch.id}/hours$"))
    page.get_by_role("navigation", name="Agence").get_by_role(
        "link", name="Agence"
    ).click()
    page.locator("#branch-form").get_by_label("Nom de l'agence").fill("")
    page.locator("#branch-form").get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#name-error")).to_be_visible()
    context.close()
