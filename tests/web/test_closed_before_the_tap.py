"""Closed before the tap: the branch page, the finder, the kiosk's start screen and the
board say when a closed branch opens next, where the ticket button would be, and do not
offer the button; a paused queue and a closed queue read differently."""

import html as htmllib

import pytest
from sqlalchemy import event

from smartqueue.models import DeviceKind, QueueStatus
from tests.conftest import at

TAKE = "Prendre un ticket"
NOBODY = "Personne n'attend : c'est bientôt à vous"
PAUSED = "File en pause · reprend bientôt"
SHUT = "File fermée"


@pytest.fixture
def place(make_hall):
    """A branch open Monday to Saturday 08:00-17:00, service A, a kiosk and a board."""
    hall = make_hall(
        counters={},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée"), (DeviceKind.BOARD, "Salle")],
        name="Agence Plateau",
    )
    (_, kiosk_token), (_, board_token) = hall.screens
    branch = hall.branch

    class Place:
        pass

    Place.branch, Place.service = branch, hall.a
    Place.urls = {
        "branch": f"/branches/{branch.id}",
        "finder": f"/?region={branch.region_id}",
        "kiosk": f"/kiosk/{kiosk_token}",
        "board": f"/board/{board_token}",
    }
    return Place


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return htmllib.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "moment,label",
    [
        (at(6, 10), "Fermé · ouvre demain à 08:00"),  # Sunday
        (at(5, 18), "Fermé · ouvre lundi à 08:00"),  # Saturday evening
        (at(1, 7, 30), "Fermé · ouvre à 08:00"),  # Tuesday before opening
    ],
)
@pytest.mark.parametrize("screen", ["branch", "finder", "kiosk", "board"])
def test_a_closed_branch_says_when_it_opens_on_every_screen(
    frozen, client, place, screen, moment, label
):
    frozen.set(moment)
    page = _get(client, place.urls[screen])
    assert label in page
    assert TAKE not in page
    assert NOBODY not in page
    if screen == "kiosk":  # no service button leading to a refusal two screens later
        assert f"/services/{place.service.id}" not in page


@pytest.mark.parametrize("screen", ["branch", "finder", "kiosk", "board"])
def test_an_open_branch_offers_the_ticket(frozen, client, place, screen):
    frozen.set(at(1, 10))
    page = _get(client, place.urls[screen])
    assert "Fermé ·" not in page
    if screen == "branch":
        assert TAKE in page and NOBODY in page
    if screen == "finder":
        assert "Ouvert" in page
    if screen == "kiosk":
        assert f"/services/{place.service.id}" in page and NOBODY in page


@pytest.mark.parametrize("status,text", [("paused", PAUSED), ("closed", SHUT)])
@pytest.mark.parametrize("screen", ["branch", "kiosk", "board"])
def test_a_paused_queue_and_a_closed_queue_read_differently(
    frozen, client, db, place, screen, status, text
):
    frozen.set(at(1, 10))
    place.service.queue.status = QueueStatus(status)
    db.session.commit()
    page = _get(client, place.urls[screen])
    assert text in page
    assert ({PAUSED, SHUT} - {text}).pop() not in page
    assert TAKE not in page and NOBODY not in page
    if screen == "kiosk":
        assert f"/services/{place.service.id}" not in page


@pytest.mark.parametrize(
    "lang,label",
    [
        ("wo", "Tëj na · dina ubbi ëllëg ci 08:00"),
        ("en", "Closed · opens tomorrow at 08:00"),
    ],
)
def test_the_closed_state_speaks_wolof_and_english(frozen, client, place, lang, label):
    frozen.set(at(6, 10))
    assert label in _get(client, place.urls["branch"], **{"Accept-Language": lang})


def test_the_finder_reads_the_states_of_all_its_branches_at_once(
    frozen, client, db, place, make_branch
):
    """The states cost the same reads for two branches as for eight (no read per branch)."""
    frozen.set(at(6, 10))

    def statements():
        seen = []

        def count(_conn, _cursor, statement, *_args):
            if not statement.startswith("BEGIN"):  # reads are counted, not transactions
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = _get(client, place.urls["finder"])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen), page.count("Fermé · ouvre demain à 08:00")

    make_branch()
    _get(client, place.urls["finder"])  # once before: what a process reads only once
    few, shown = statements()
    assert shown == 2
    for _ in range(6):
        make_branch()
    many, shown = statements()
    assert shown == 8
    assert many == few


def test_a_manager_sets_overnight_and_24_hour_days_and_customers_see_them(
    frozen, client, auth, db, place, make_user
):
    auth.login(make_user(role="branch_manager", branch=place.branch))
    week = {f"day_{d}_closed": "y" for d in range(7)}
    week |= {"day_0_opens": "20:00", "day_0_closes": "02:00"}  # Monday night
    week |= {"day_6_opens": "00:00", "day_6_closes": "00:00"}  # Sunday, all day
    week = {k: v for k, v in week.items() if k not in ("day_0_closed", "day_6_closed")}
    url = f"/manage/branches/{place.branch.id}/hours"
    assert client.post(url, data=week).status_code == 302
    refused = client.post(url, data=week | {"day_0_closes": "20:00"})
    assert refused.status_code == 422
    assert "ouverte 24 h/24" in htmllib.unescape(refused.get_data(as_text=True))

    frozen.set(at(8, 1))  # Tuesday 01:00: Monday night's tail
    page = _get(client, place.urls["branch"])
    assert "20:00 – 02:00" in page and "24 h/24" in page
    assert "Fermé ·" not in page
    frozen.set(at(8, 10))
    assert "Fermé · ouvre dimanche à 00:00" in _get(client, place.urls["branch"])
