"""Two devices signed in to one account: "sign me out everywhere" on one ends the other."""

import re

from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
)


def _device(browser: Browser, viewport, **extra):
    context = browser.new_context(
        viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar", **extra
    )
    return context, context.new_page()


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Rester connecté").check()
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def test_sign_out_everywhere_sends_the_other_device_to_sign_in(
    browser: Browser, live_server, make_user, screenshots_dir
):
    user = make_user(email="awa@example.sn")
    phone_context, phone = _device(browser, PHONE, user_agent=ANDROID)
    laptop_context, laptop = _device(browser, DESKTOP)
    try:
        _sign_in(laptop, live_server.url, user.email)
        _sign_in(phone, live_server.url, user.email)

        phone.goto(live_server.url + "/account/")
        sessions = phone.locator("#sessions")
        expect(sessions.locator("li")).to_have_count(2)
        expect(sessions.get_by_text("Cet appareil", exact=True)).to_have_count(1)
        expect(sessions.locator("li").first).to_contain_text("Chrome, Android")
        sessions.scroll_into_view_if_needed()
        sessions.screenshot(path=screenshots_dir / "phone-account-sessions.png")

        laptop.goto(live_server.url + "/account/")
        expect(laptop.locator("#sessions li")).to_have_count(2)

        phone.get_by_role("button", name="Me déconnecter partout").click()
        expect(phone).to_have_url(re.compile(r"/auth/login"))
        expect(phone.locator(".flash-info")).to_contain_text("tous vos appareils")

        # the laptop kept its session and remember-me cookies: neither works any more
        laptop.goto(live_server.url + "/account/")
        expect(laptop).to_have_url(re.compile(r"/auth/login"))
        expect(laptop.get_by_role("button", name="Se connecter")).to_be_visible()
    finally:
        phone_context.close()
        laptop_context.close()
