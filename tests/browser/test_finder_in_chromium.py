"""The finder on a phone (360x740): results narrow as a name is typed and when "open now"
is ticked, without the typed text being lost, and "Itinéraire" opens the map app (geo:)."""

import re
from datetime import time

from playwright.sync_api import Browser, expect

from smartqueue.models import OrganizationType
from smartqueue.orgs import operations as ops

PHONE = {"width": 360, "height": 740}


def test_finder_narrows_as_you_type_on_a_phone(
    browser: Browser, live_server, frozen, make_org, make_branch, screenshots_dir
):
    """Tuesday 10:00: Agence Pikine opens on Mondays only, the others are open."""
    cbao = make_org(name="CBAO")
    plateau = make_branch(cbao, name="Agence Plateau")
    pikine = make_branch(cbao, name="Agence Pikine", commune="Pikine Est")
    ops.set_opening_hours(pikine, {0: (time(8), time(17))})
    make_branch(make_org(name="Orange"), name="Agence Médina", commune="Médina")
    fann = make_branch(
        make_org(name="Hôpital de Fann", type=OrganizationType.HOSPITAL),
        name="Urgences",
        commune="Fann-Point E-Amitié",
    )
    ops.set_opening_hours(fann, {day: (time(0), time(0)) for day in range(7)})

    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="fr-SN"
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/")
    page.evaluate("window.stillThisPage = true")  # gone if the page were reloaded
    results = page.locator("#branch-results li")
    field = page.locator("#finder-q")

    field.press_sequentially("agence")
    expect(results).to_have_count(3)
    expect(page.locator("#branch-results")).to_contain_text(
        "Fermé · ouvre lundi à 08:00"
    )
    # Viewport shots: a full-page one drops the touch emulation (pointer: fine) while it
    # captures, which hides the geo: link as on a desktop.
    page.locator("#finder-results").scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / "finder-phone-typed.png")

    page.locator("#finder-open").tap()
    expect(results).to_have_count(2)  # Agence Pikine is closed
    expect(results.first).to_contain_text("CBAO · Agence Plateau")
    expect(results.first).to_contain_text("Ouvert · ferme à 17:00")
    expect(results.nth(1)).to_contain_text("Orange · Agence Médina")

    # Typed slower than the debounce, so answers land while typing goes on.
    field.press("End")
    field.press_sequentially(" pl", delay=450)
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("CBAO · Agence Plateau")
    expect(field).to_have_value("agence pl")
    expect(field).to_be_focused()
    expect(page.locator("#finder-open")).to_be_checked()
    assert re.search(r"[?&]q=agence(\+|%20)pl", page.url) and "open=1" in page.url
    assert page.evaluate("window.stillThisPage") is True

    point = f"{plateau.latitude:.6f},{plateau.longitude:.6f}"
    directions = results.first.get_by_role("link", name="Itinéraire")
    expect(directions).to_have_count(1)  # the Apple Maps twin is hidden off iOS
    expect(directions).to_have_attribute(
        "href", f"geo:{point}?q={point}(CBAO%20%C2%B7%20Agence%20Plateau)"
    )
    expect(results.first.get_by_role("link", name="Voir la carte")).to_be_visible()
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.screenshot(path=screenshots_dir / "finder-phone-open-now.png")

    results.first.get_by_role("link", name="CBAO · Agence Plateau").tap()
    expect(page.locator(".branch-directions .directions-app")).to_have_attribute(
        "href", re.compile(r"^geo:" + re.escape(point))
    )
    expect(page.get_by_role("link", name="Itinéraire")).to_be_visible()
    page.screenshot(path=screenshots_dir / "branch-phone-directions.png")
    assert problems == []
    context.close()
