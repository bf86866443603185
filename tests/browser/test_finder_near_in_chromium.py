"""The near-me finder on a phone (360x740) in Pikine: from a service on a branch page,
"Agence la plus rapide pour ce service", then "Près de moi" with the browser's position;
branches sorted by travel + wait, the quickest pointed out, nothing wider than the phone."""

from datetime import time

from playwright.sync_api import Browser, expect

from smartqueue.models import Channel, CounterStatus
from smartqueue.orgs import operations as ops
from smartqueue.queueing.operations import issue_ticket

PHONE = {"width": 360, "height": 740}
PIKINE = {"latitude": 14.7549, "longitude": -17.3980}


def test_near_me_sorts_branches_by_total_time_on_a_phone(
    browser: Browser,
    live_server,
    db,
    frozen,
    make_org,
    make_branch,
    make_service,
    make_counter,
    screenshots_dir,
):
    """Tuesday 10:00: Banque Teranga's Pikine branch is next door with 8 people waiting,
    Parcelles Assainies 5 km away with nobody, Plateau 10 km away with nobody; another
    organization's branch in Golf Sud is closed on Tuesdays."""
    bank = make_org(name="Banque Teranga")
    deposits = {}
    for commune, waiting in (
        ("Pikine Est", 8),
        ("Parcelles Assainies", 0),
        ("Plateau", 0),
    ):
        branch = make_branch(bank, name=f"Agence {commune}", commune=commune)
        deposit = make_service(branch, "B", "Dépôt et retrait", minutes=10)
        make_service(branch, "C", "Crédit", minutes=30)
        counter = make_counter(branch, 1, [deposit])
        counter.status = CounterStatus.OPEN
        db.session.commit()
        for _ in range(waiting):
            issue_ticket(deposit, channel=Channel.KIOSK)
        deposits[commune] = deposit
    golf = make_branch(make_org(name="Orange"), name="Agence Golf", commune="Golf Sud")
    make_service(golf, "A", "Abonnement")
    ops.set_opening_hours(golf, {0: (time(8), time(17))})

    context = browser.new_context(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        locale="fr-SN",
        geolocation=PIKINE,
        permissions=["geolocation"],
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))

    # Everything on the home page at once: every walk-in line, quickest per service.
    page.goto(f"{live_server.url}/")
    near_me = page.get_by_role("button", name="Près de moi")
    expect(near_me).to_be_visible()
    expect(page.locator("#near-why")).to_contain_text("n'est pas enregistrée")
    page.evaluate("window.stillThisPage = true")  # gone if the page were reloaded
    near_me.tap()
    results = page.locator("#near-results-list > li")
    expect(results).to_have_count(4)
    expect(page.locator("#near-from-label")).to_contain_text("Depuis votre position")
    assert page.evaluate("window.stillThisPage") is True  # swapped in, not reloaded
    assert "lat=14.755" in page.url and "lon=-17.398" in page.url
    expect(results.last).to_contain_text("Agence Golf")
    expect(results.last).to_contain_text("Fermé")
    page.screenshot(path=screenshots_dir / "finder-near-phone-all.png")

    # From the Pikine branch's deposit line to the quickest branch for it.
    page.goto(f"{live_server.url}/branches/{deposits['Pikine Est'].branch_id}")
    page.get_by_role("link", name="Agence la plus rapide pour ce service").first.tap()
    expect(page.locator("#near-title")).to_have_text(
        "Le plus rapide pour « Dépôt et retrait »"
    )
    page.get_by_role("button", name="Près de moi").tap()
    expect(results).to_have_count(3)
    # Public transport (the default): Parcelles 22 min + nobody beats Plateau's hour on
    # the road and Pikine's 8 people (80 min) next door.
    expect(results.nth(0)).to_contain_text(
        "Banque Teranga · Agence Parcelles Assainies"
    )
    expect(results.nth(1)).to_contain_text("Agence Plateau")
    expect(results.nth(2)).to_contain_text("Agence Pikine Est")
    expect(results.nth(2)).to_contain_text("8 personnes en attente")
    expect(results.nth(0).locator(".badge.fastest")).to_have_text("Le plus rapide")
    expect(page.locator("#near-results-list .badge.fastest")).to_have_count(1)
    totals = [
        int(t.split("≈ ")[1].split(" min")[0])
        for t in results.locator(".near-total").all_inner_texts()
    ]
    assert totals == sorted(totals), totals
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.locator("#finder-near").scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / "finder-near-phone-service.png")

    # Walking instead: Pikine's line next door is now worth it, Plateau is far.
    page.locator("#near-mode").select_option("walking")
    expect(results.nth(2)).to_contain_text("Agence Plateau")
    expect(page.locator("#near-from-label")).to_contain_text("À pied")
    assert not problems, problems
    context.close()
