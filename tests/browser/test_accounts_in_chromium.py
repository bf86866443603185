"""What a person sees, in Debian's Chromium: sign-up by emailed code, language, refusals."""

import re

import pytest
from playwright.sync_api import Page, expect

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def test_register_verify_by_emailed_code_then_switch_to_wolof(
    phone, live_server, mailbox, screenshots_dir
):
    page = phone
    page.goto(live_server.url + "/auth/register")
    page.get_by_label("Adresse e-mail").fill("awa@example.sn")
    page.get_by_label("Mot de passe", exact=True).fill("s3cret-pass")
    page.get_by_label("Confirmer le mot de passe").fill("s3cret-pass")
    page.get_by_label("Nom complet").fill("Awa Ndiaye")
    page.get_by_label("Téléphone (facultatif)").fill("77 123 45 67")
    page.screenshot(path=screenshots_dir / "phone-register.png", full_page=True)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/auth/verify$"))

    code = mailbox.last_code("awa@example.sn")
    page.get_by_label("Code reçu par e-mail").fill(code)
    page.get_by_role("button", name="Vérifier").click()
    expect(page.locator(".flash-success")).to_contain_text("Adresse e-mail vérifiée")
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()

    page.get_by_role("button", name="Wolof").click()
    expect(page.locator("html")).to_have_attribute("lang", "wo")
    expect(page.get_by_role("button", name="Wolof")).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.get_by_role("heading", level=1)).not_to_have_text(
        "Moins d'attente, plus de temps pour vous"
    )
    page.screenshot(path=screenshots_dir / "phone-home-wolof.png", full_page=True)
    # the choice is kept in the profile, so it follows the person to the next page
    page.goto(live_server.url + "/account/")
    expect(page.locator("#locale")).to_have_value("wo")


def test_register_errors_show_next_to_their_fields(phone, live_server, screenshots_dir):
    page = phone
    page.goto(live_server.url + "/auth/register")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Mot de passe", exact=True).fill("court")
    page.get_by_label("Confirmer le mot de passe").fill("autre")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#password-error")).to_contain_text("8 caractères")
    expect(page.get_by_label("Adresse e-mail")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.screenshot(path=screenshots_dir / "phone-register-errors.png", full_page=True)


def test_staff_are_refused_another_organizations_pages(
    page, live_server, make_branch, make_user, screenshots_dir
):
    ours, theirs = make_branch(), make_branch()
    agent = make_user(email="agent@example.sn", role="agent", branch=ours)
    admin = make_user(email="admin@example.sn", role="org_admin", org=ours.organization)
    urls = [
        f"/manage/organizations/{theirs.organization_id}",
        f"/manage/branches/{theirs.id}",
        f"/manage/organizations/{theirs.organization_id}/staff",
    ]

    def sign_in(user):
        page.context.clear_cookies()
        page.goto(live_server.url + "/auth/login")
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill("correct-horse-42")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("link", name="Mon compte")).to_be_visible()

    for user in (agent, admin):
        sign_in(user)
        for url in urls:
            response = page.goto(live_server.url + url)
            assert response.status == 403, (user.email, url)
            expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    page.screenshot(path=screenshots_dir / "desktop-403.png")
    # and the admin's own organization is theirs to see
    response = page.goto(
        live_server.url + f"/manage/organizations/{ours.organization_id}"
    )
    assert response.status == 200
