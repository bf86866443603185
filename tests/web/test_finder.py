"""The finder page: search by name and "open now" as a plain GET form (scripts off) or
an HTMX fragment, bad input answered with a message, directions links to map apps."""

import html as htmllib
import re
from datetime import time

import pytest

from smartqueue.models import OrganizationType
from smartqueue.orgs import operations as ops


@pytest.fixture
def place(db, frozen, make_org, make_branch):
    """Tuesday 10:00: CBAO Plateau open (08:00-17:00), the Hôpital de Fann closed
    today, and a CBAO branch whose place is known only by its address."""
    cbao = make_org(name="CBAO")
    plateau = make_branch(cbao, name="Agence Plateau")
    fann = make_branch(
        make_org(name="Hôpital de Fann", type=OrganizationType.HOSPITAL),
        name="Urgences",
        commune="Fann-Point E-Amitié",
    )
    ops.set_opening_hours(fann, {0: (time(8), time(17))})  # Mondays only
    unplaced = make_branch(cbao, name="Agence Médina", commune="Médina")
    unplaced.latitude = unplaced.longitude = None
    unplaced.address = "Rue 6 x Blaise Diagne"
    db.session.commit()
    return {"plateau": plateau, "fann": fann, "unplaced": unplaced}


def _page(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return htmllib.unescape(response.get_data(as_text=True))


def _results(page: str) -> list[str]:
    return re.findall(
        r'<a href="/branches/\d+"><strong>([^<]+)</strong> · ([^<]+)</a>', page
    )


def test_finder_searches_by_name_with_scripts_off(client, place):
    """A plain GET form: the name, the region and "open now" travel in the query string."""
    page = _page(client, "/")
    assert re.search(r'<form method="get" action="/"[^>]*role="search"', page)
    assert 'name="q"' in page and 'name="open"' in page and 'name="region"' in page
    assert 'id="branch-results"' not in page  # nothing searched yet
    page = _page(client, "/?q=hopital&region=&commune=")
    assert _results(page) == [("Hôpital de Fann", "Urgences")]
    assert 'value="hopital"' in page  # the typed text stays in the field
    assert _results(_page(client, "/?q=CBAO")) == [
        ("CBAO", "Agence Médina"),
        ("CBAO", "Agence Plateau"),
    ]
    page = _page(client, "/?q=zzz")
    assert "Aucune agence ne correspond à « zzz »." in page


def test_finder_open_now_keeps_open_branches_and_says_until_when(client, place):
    page = _page(client, "/?q=")  # an empty search lists nothing
    assert 'id="branch-results"' not in page
    page = _page(client, f"/?region={place['plateau'].region_id}")
    assert "Ouvert · ferme à 17:00" in page and "Fermé · ouvre lundi à " in page
    page = _page(client, "/?open=1")
    assert _results(page) == [("CBAO", "Agence Médina"), ("CBAO", "Agence Plateau")]
    assert 'id="finder-open" name="open" value="1" checked' in page
    assert "Fermé" not in page.split('id="finder-results"')[1]
    page = _page(client, "/?q=fann&open=1")
    assert "Aucune agence ne correspond à « fann »." in page


def test_finder_answers_htmx_with_the_fragment(client, place):
    response = client.get("/?q=plateau&open=1", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="branch-finder">')
    assert "<html" not in fragment and "Agence Plateau" in fragment
    assert "HX-Request" in response.headers["Vary"]
    # Typing swaps only the results: the field being typed in is never replaced.
    field = re.search(r'<input type="search" id="finder-q".*?">', fragment, re.S)[0]
    assert (
        'hx-select="#finder-results > *"' in field
        and 'hx-target="#finder-results"' in field
    )


@pytest.mark.parametrize(
    "locale,message",
    [
        ("fr", "Cherchez un nom de 80 caractères au plus."),
        ("wo", "Seetal tur bu amul lu ëpp 80 araf."),
        ("en", "Type a name of at most 80 characters."),
    ],
)
def test_finder_refuses_a_too_long_name_with_a_message(client, place, locale, message):
    client.post("/language", data={"locale": locale, "next": "/"})
    page = _page(client, "/?q=" + "cbao " * 100, **{"HX-Request": "true"})
    assert message in page and 'role="alert"' in page
    assert _results(page) == []
    assert 'value="' + ("cbao " * 16).strip() + '"' in page  # cut to what fits


def test_finder_refuses_control_characters_with_a_message(client, place):
    response = client.get("/?q=cbao%00%1b")
    assert response.status_code == 400
    assert "Ce lien contient des caractères non autorisés." in response.get_data(
        as_text=True
    )


def test_directions_open_the_phones_map_app(client, place):
    page = _page(client, "/?q=cbao")
    plateau = place["plateau"]
    point = f"{plateau.latitude:.6f},{plateau.longitude:.6f}"
    label = "CBAO%20%C2%B7%20Agence%20Plateau"
    assert f'href="geo:{point}?q={point}({label})"' in page
    assert f'href="https://www.openstreetmap.org/directions?to={point}"' in page
    assert f'href="https://maps.apple.com/?daddr={point}&q={label}"' in page
    # No coordinates: the address, for the map app to look up.
    address = "Rue%206%20x%20Blaise%20Diagne%2C%20M%C3%A9dina%2C%20S%C3%A9n%C3%A9gal"
    assert f'href="geo:0,0?q={address}"' in page
    assert f'href="https://www.openstreetmap.org/search?query={address}"' in page
    assert page.count(">Itinéraire</a>") == 4  # geo: and Apple Maps, two branches
    branch_page = _page(client, f"/branches/{plateau.id}")
    assert f'href="geo:{point}?q={point}({label})"' in branch_page
