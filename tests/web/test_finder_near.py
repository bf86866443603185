"""The near-me finder on the home page: a commune picked with scripts off, a position
from the browser, the fragment its own form asks for, a link from a service to the
quickest branch for it, and bad input answered with a message (200, never a 500)."""

import html as htmllib
import re

import pytest

from smartqueue.extensions import db
from smartqueue.models import Channel, CounterStatus, TravelPreference
from smartqueue.orgs.queries import list_finder_origins
from smartqueue.queueing.operations import issue_ticket

DEPOSIT = "Dépôt et retrait"


@pytest.fixture
def bank(db, frozen, make_org, make_branch, make_service, make_counter):
    """Banque Teranga in Pikine Est (8 waiting) and Parcelles Assainies (nobody)."""
    org = make_org(name="Banque Teranga")
    services = {}
    for commune, waiting in (("Pikine Est", 8), ("Parcelles Assainies", 0)):
        branch = make_branch(org, name=f"Agence {commune}", commune=commune)
        deposit = make_service(branch, "B", DEPOSIT, minutes=10)
        counter = make_counter(branch, 1, [deposit])
        counter.status = CounterStatus.OPEN
        db.session.commit()
        for _ in range(waiting):
            issue_ticket(deposit, channel=Channel.KIOSK)
        services[commune] = deposit
    return services


def _origin(name: str) -> str:
    return next(
        v for _r, places in list_finder_origins() for v, n in places if n == name
    )


def _page(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return htmllib.unescape(response.get_data(as_text=True))


def _near(page: str) -> list[str]:
    found = page.split('id="near-results-list"', 1)
    return (
        re.findall(
            r'<a href="/branches/\d+"><strong>[^<]+</strong> · ([^<]+)</a>',
            found[-1].split("</ol>")[0],
        )
        if len(found) > 1
        else []
    )


def test_a_commune_picked_with_scripts_off_lists_branches_by_total_time(client, bank):
    page = _page(client, "/")
    assert re.search(r'<form method="get" action="/" id="near-form"', page)
    assert 'id="near-me-box" class="near-me" hidden' in page  # needs scripts
    assert '<option value="public_transport" selected>' in page  # the default mode
    assert 'id="near-results-list"' not in page  # nothing asked yet
    page = _page(client, f"/?from={_origin('Pikine Est')}&mode=walking")
    assert "Depuis Pikine Est · À pied" in page
    # Walking: the branch next door, despite 8 people, beats an hour's walk.
    assert _near(page) == ["Agence Pikine Est", "Agence Parcelles Assainies"]
    assert "8 personnes en attente · attente estimée" in page and "min au total" in page
    page = _page(client, f"/?from={_origin('Pikine Est')}&mode=motorbike")
    assert _near(page) == ["Agence Parcelles Assainies", "Agence Pikine Est"]
    assert page.count(">Le plus rapide<") == 1
    # The mode is remembered for the next search.
    page = _page(client, f"/?from={_origin('Pikine Est')}")
    assert '<option value="motorbike" selected>' in page


def test_a_position_lists_the_nearest_and_is_kept_rounded(client, bank):
    page = _page(client, "/?lat=14.754912&lon=-17.398049&mode=car")
    assert "Depuis votre position" in page
    assert _near(page) == ["Agence Parcelles Assainies", "Agence Pikine Est"]
    assert '<input type="hidden" name="lat" value="14.755">' in page
    assert '<input type="hidden" name="lon" value="-17.398">' in page
    page = _page(client, "/?lat=12.55&lon=-12.18")  # Kédougou: no branch near
    assert "Aucune agence à moins de 15 km." in page


def test_the_near_form_gets_its_own_fragment(client, bank):
    url = f"/?from={_origin('Pikine Est')}"
    page = _page(client, url, **{"HX-Request": "true", "HX-Target": "finder-near"})
    assert page.lstrip().startswith('<section id="finder-near"') and "<html" not in page
    assert _near(page) == ["Agence Parcelles Assainies", "Agence Pikine Est"]
    other = _page(client, "/?q=teranga", **{"HX-Request": "true"})
    assert other.lstrip().startswith('<div id="branch-finder">')


def test_a_service_leads_to_the_quickest_branch_for_it(client, bank):
    pikine = bank["Pikine Est"]
    branch_page = _page(client, f"/branches/{pikine.branch_id}")
    link = f'href="/?service={pikine.id}"'
    assert link in branch_page
    page = _page(client, f"/?service={pikine.id}")
    assert f"Le plus rapide pour « {DEPOSIT} »" in page
    assert f'<input type="hidden" name="service" value="{pikine.id}">' in page
    page = _page(
        client, f"/?service={pikine.id}&from={_origin('Pikine Est')}&mode=taxi"
    )
    assert _near(page) == ["Agence Parcelles Assainies", "Agence Pikine Est"]
    first = page.split('class="near-result', 2)[1]
    assert first.startswith(" is-fastest") and ">Le plus rapide<" in first


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lat=500&lon=-17.4", "Cette position n'est pas valable"),
        ("lat=abc&lon=-17.4", "Cette position n'est pas valable"),
        ("lat=nan&lon=inf", "Cette position n'est pas valable"),
        ("lat=14.7", "Cette position n'est pas valable"),
        ("from=c99999999", "Cette commune n'est pas dans la liste"),
        ("from=<script>", "Cette commune n'est pas dans la liste"),
        ("service=99999999", "Ce service n'est plus proposé"),
        ("service=abc", "Ce service n'est plus proposé"),
    ],
)
def test_bad_input_is_answered_with_a_message(client, bank, query, message):
    page = _page(client, f"/?{query}&mode=rocket")
    assert message in page
    assert '<option value="public_transport" selected>' in page  # an unknown mode


def test_the_finder_speaks_wolof_and_english(client, bank):
    url = f"/?from={_origin('Pikine Est')}"
    for lang in ("wo", "en"):
        client.post("/language", data={"locale": lang})
        page = _page(client, url)
        assert "Près de vous, le plus rapide" not in page
        assert "min au total" not in page and "Le plus rapide" not in page


def test_a_customer_finds_with_the_mode_they_chose_last(client, auth, bank, make_user):
    """Their ticket's trip remembered a mode: the finder offers it first; a mode picked
    in the finder is then kept for the session."""
    customer = make_user()
    db.session.add(TravelPreference(user_id=customer.id, mode="walking"))
    db.session.commit()
    auth.login(customer)
    page = _page(client, f"/?from={_origin('Pikine Est')}")
    assert '<option value="walking" selected>' in page
    assert "Depuis Pikine Est · À pied" in page
    _page(client, f"/?from={_origin('Pikine Est')}&mode=car")
    assert '<option value="car" selected>' in _page(client, "/")
