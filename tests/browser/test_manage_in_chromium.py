"""An org admin runs their organization in Chromium: branch, hours, service, counter, staff."""

import re

from playwright.sync_api import Page, expect

DESKTOP = {"width": 1280, "height": 800}


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()


def test_org_admin_opens_a_branch_with_a_service_a_counter_and_an_agent(
    page: Page, live_server, make_org, make_user, mailbox, screenshots_dir
):
    page.set_viewport_size(DESKTOP)
    org = make_org(name="Banque Teranga")
    make_user(email="admin@example.sn", role="org_admin", org=org)
    _sign_in(page, live_server.url, "admin@example.sn")
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.screenshot(
        path=screenshots_dir / "desktop-manage-dashboard.png", full_page=True
    )

    page.goto(f"{live_server.url}/manage/organizations/{org.id}/branches/new")
    page.get_by_label("Nom de l'agence").fill("Agence Médina")
    page.get_by_label("Adresse").fill("Rue 6 x Blaise Diagne")
    # choosing the region refreshes the department list in place (htmx)
    page.get_by_label("Région").select_option(label="Dakar")
    expect(
        page.get_by_label("Département").locator("option", has_text="Pikine")
    ).to_be_attached()
    expect(page.locator(".htmx-settling, .htmx-request")).to_have_count(0)
    page.get_by_label("Département").select_option(label="Dakar")
    expect(
        page.get_by_label("Commune (facultatif)").locator("option", has_text="Médina")
    ).to_be_attached()
    page.get_by_label("Commune (facultatif)").select_option(label="Médina")
    page.screenshot(
        path=screenshots_dir / "desktop-manage-new-branch.png", full_page=True
    )
    page.get_by_role("button", name="Créer l’agence").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agence Médina")
    branch_url = page.url

    page.goto(branch_url + "/services/new")
    page.get_by_label("Nom (français)").fill("Ouverture de compte")
    page.get_by_label("Lettre des tickets").fill("A")
    page.get_by_label("Durée estimée (minutes)").fill("20")
    page.get_by_label("Prix (FCFA)").fill("2000")
    page.get_by_role("button", name=re.compile("Créer|Enregistrer|Ajouter")).click()
    expect(page.locator("body")).to_contain_text("Ouverture de compte")

    page.goto(branch_url + "/counters/new")
    page.get_by_label("Numéro").fill("1")
    page.get_by_label("Ouverture de compte").check()
    page.get_by_role("button", name=re.compile("Créer|Enregistrer|Ajouter")).click()
    expect(page.locator("body")).to_contain_text("Guichet 1")
    page.goto(branch_url)
    page.screenshot(path=screenshots_dir / "desktop-manage-branch.png", full_page=True)

    page.goto(f"{live_server.url}/manage/organizations/{org.id}/staff")
    form = page.locator(
        "form", has=page.get_by_role("button", name="Envoyer l’invitation")
    )
    form.get_by_label("Adresse e-mail").fill("moussa@example.sn")
    form.get_by_label("Rôle").select_option(label="Agent")
    form.get_by_label("Agence").select_option(label="Agence Médina")
    form.get_by_role("button", name="Envoyer l’invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("moussa@example.sn")
    page.screenshot(path=screenshots_dir / "desktop-manage-staff.png", full_page=True)
    body = mailbox.wait_for("moussa@example.sn")[0].get_body(("plain",)).get_content()
    link = re.search(r"http\S+/auth/invitation/\S+", body).group(0)

    # the invited agent sets a password through the emailed link and lands signed in
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label("Nom complet").fill("Moussa Diop")
    page.get_by_label("Mot de passe", exact=True).fill("agent-pass-123")
    page.get_by_label("Confirmer le mot de passe").fill("agent-pass-123")
    page.get_by_role("button", name="Accepter l'invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("Banque Teranga")
    # an agent serves at the counter; the manage area is not theirs
    assert page.goto(live_server.url + "/manage/").status == 403


TV = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 740}


def test_a_manager_pauses_a_queue_and_the_board_and_the_line_see_it_live(
    browser,
    page: Page,
    live_server,
    frozen,
    make_branch,
    make_service,
    make_user,
    screenshots_dir,
):
    """One click on the branch page: the TV marks the queue, the waiting customer's
    page says calls have stopped, without either reloading; reopening undoes both."""
    from smartqueue.models import Channel, DeviceKind
    from smartqueue.queueing import operations
    from smartqueue.queueing.devices import create_device

    branch = make_branch(name="Agence Plateau")
    service = make_service(branch, "A", "Ouverture de compte")
    make_user(email="manager@example.sn", role="branch_manager", branch=branch)
    ticket = operations.issue_ticket(service, channel=Channel.KIOSK)
    _device, token = create_device(branch, DeviceKind.BOARD, "Salle", by=None)

    tv = browser.new_page(viewport=TV, locale="fr-FR")
    tv.goto(f"{live_server.url}/board/{token}")
    expect(tv.locator("#board-waiting .service-count")).to_have_text("1")
    phone = browser.new_page(viewport=PHONE, locale="fr-FR")
    phone.goto(f"{live_server.url}/t/{ticket.token}")
    expect(phone.locator("#ticket-live")).to_have_attribute("data-status", "waiting")
    for screen in (tv, phone):
        screen.evaluate("window.sqNotReloaded = true")

    page.set_viewport_size(DESKTOP)
    _sign_in(page, live_server.url, "manager@example.sn")
    page.goto(f"{live_server.url}/manage/branches/{branch.id}")
    page.get_by_role("button", name="Mettre en pause").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "File « Ouverture de compte » : En pause."
    )

    expect(tv.locator("#board-waiting .service-state")).to_have_text(
        "File en pause · reprend bientôt"
    )
    expect(phone.locator("#ticket-calls-stopped")).to_be_visible()
    tv.screenshot(path=screenshots_dir / "tv-board-queue-paused.png")
    phone.screenshot(path=screenshots_dir / "phone-ticket-queue-paused.png")

    page.get_by_role("button", name="Ouvrir").click()
    expect(tv.locator("#board-waiting .service-state")).to_have_count(0)
    expect(phone.locator("#ticket-calls-stopped")).to_have_count(0)
    for screen in (tv, phone):
        assert screen.evaluate("window.sqNotReloaded") is True
        screen.context.close()
