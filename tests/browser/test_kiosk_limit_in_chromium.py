"""A kiosk tapped faster than a person can: the refusal on its own screen, in portrait."""

import re

import pytest
from playwright.sync_api import Browser, expect

from smartqueue.models import DeviceKind

PORTRAIT = {"width": 1080, "height": 1920}
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


@pytest.fixture
def app_config(app_config):
    """Rate limits on, as in production."""
    return dict(app_config, RATELIMIT_ENABLED=True)


@pytest.fixture
def kiosk_contact(live_server, make_hall):
    """The contact step of service A at a kiosk of an open branch."""
    hall = make_hall(
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée")],
        name="Agence Plateau",
    )
    return f"{live_server.url}{hall.url}/services/{hall.a.id}/contact"


def test_the_seventh_ticket_in_ten_seconds_is_refused_on_the_kiosk(
    browser: Browser, kiosk_contact, screenshots_dir
):
    context = browser.new_context(
        viewport=PORTRAIT, has_touch=True, locale="fr-SN", timezone_id="Africa/Dakar"
    )
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    skip = page.get_by_role("button", name="Passer, sans être prévenu")
    page.goto(kiosk_contact)
    # Six tickets in a burst (the form's own post, with its token), then a seventh tap.
    form = page.locator("form.kiosk-form")
    action = form.get_attribute("action")
    token = form.locator("input[name=csrf_token]").get_attribute("value")
    for _ in range(6):
        issued = page.request.post(
            action
            if action.startswith("http")
            else page.url.split("/kiosk/")[0] + action,
            form={"csrf_token": token, "skip": "x"},
            max_redirects=0,
        )
        assert issued.status == 303

    page.goto(kiosk_contact)
    skip.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Trop de tickets ont été demandés sur cette borne."
    )
    expect(page.locator(".kiosk-lead")).to_contain_text("Aucun ticket n'a été délivré")
    back = page.get_by_role("link", name="Retour à l'accueil")
    assert back.bounding_box()["height"] >= 64  # a finger-sized way out
    assert page.evaluate("window.__prints") == 0  # nothing printed on this screen
    page.screenshot(path=screenshots_dir / "kiosk-too-many-tickets-portrait.png")
    back.tap()
    expect(page).to_have_url(re.compile(r"/kiosk/[\w-]+$"))
    context.close()
