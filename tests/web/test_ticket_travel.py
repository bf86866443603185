"""The ticket page's "when to leave" (issue 9): say from where and how (a page of its own,
scripts or not), then the trip and the time to leave on the ticket, "leave now" when it
is due, and the one-tap offer to step back when the trip is longer than the wait."""

import re

import pytest
from sqlalchemy import func, select

from smartqueue import create_app
from smartqueue.extensions import db as _db
from smartqueue.models import Channel, Commune, OutboxJob, TicketStatus, TravelPlan
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries

pytestmark = pytest.mark.backends("sqlite", "postgresql")

# ~1.45 km north of Plateau's centre, where make_hall's branch stands: on foot (no
# traffic slows a walker) 23 min, with a 10 min margin.
NEAR_PLATEAU = {"lat": "14.68012", "lon": "-17.44049", "mode": "walking"}
# Rufisque, ~25 km away: hours on foot, longer than any wait in these lines.
RUFISQUE = {"lat": "14.7155", "lon": "-17.2727", "mode": "walking"}


@pytest.fixture
def hall(make_hall):
    """Service A (10 min a customer) at counter 1, open; Tuesday 10:00 in Dakar."""
    return make_hall()


def _issue(hall, n=1):
    return [ops.issue_ticket(hall.a, channel=Channel.WEB) for _ in range(n)]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _plans() -> int:
    return _db.session.scalar(select(func.count()).select_from(TravelPlan))


def test_the_ticket_page_asks_where_from_and_then_says_when_to_leave(client, hall):
    *ahead, ticket = _issue(hall, 11)  # 10 ahead x 10 min, one counter: 75-125 min
    page = _text(client.get(f"/t/{ticket.token}"))
    assert f'href="/t/{ticket.token}/travel"' in page

    asking = _text(client.get(f"/t/{ticket.token}/travel"))
    assert 'name="from"' in asking and ">Plateau</option>" in asking
    assert 'name="mode"' in asking and "À pied" in asking
    assert "arrondie à environ 100 m" in asking and "effacée" in asking

    sent = client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/t/{ticket.token}")

    # the job ran after the commit (embedded mode): 75 - 23 - 10 = 42 min from 10:00
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Trajet</dt><dd>23 min" in page
    assert "Partez à</dt><dd>10:42" in page
    assert "À pied · marge de 10 min comprise" in page
    assert "Partez maintenant" not in page
    assert "Reculer de" not in page


def test_leave_now_shows_when_the_wait_is_shorter_than_the_trip(client, hall):
    ahead, ticket = _issue(hall, 2)  # one ahead: 0-15 min, its low bound 0
    client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU)
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Partez maintenant pour arriver à temps." in page
    assert "Partez à</dt><dd>maintenant" in page


def test_a_trip_longer_than_the_wait_offers_to_step_back_in_one_tap(client, hall):
    ticket, *behind = _issue(hall, 13)  # first in line, 12 behind
    client.post(f"/t/{ticket.token}/travel", data=RUFISQUE)
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Reculez de 12 places" in page  # as far back as the line goes

    moved = client.post(f"/t/{ticket.token}/travel/later")
    assert moved.status_code == 303
    _db.session.expire_all()
    assert queries.count_ahead(queries.get_ticket_by_token(ticket.token)) == 12
    assert queries.get_ticket_by_token(ticket.token).pass_count == 1
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Reculez de" not in page  # nowhere further back to go


def test_stepping_back_when_the_place_already_fits_is_refused_with_a_message(
    client, hall
):
    *ahead, ticket = _issue(hall, 11)
    client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU)
    refused = client.post(f"/t/{ticket.token}/travel/later")
    assert refused.status_code == 409
    assert "Votre place convient déjà à votre trajet." in _text(refused)
    assert queries.get_ticket_by_token(ticket.token).pass_count == 0


def test_a_commune_from_the_list_works_without_a_position(client, db, hall):
    *ahead, ticket = _issue(hall, 3)
    pikine = db.session.scalar(select(Commune).where(Commune.name.like("Pikine%")))
    sent = client.post(
        f"/t/{ticket.token}/travel", data={"from": f"c{pikine.id}", "mode": "taxi"}
    )
    assert sent.status_code == 303
    plan = db.session.scalar(select(TravelPlan))
    assert (plan.commune_id, plan.latitude, plan.mode) == (pikine.id, None, "taxi")
    assert "Taxi ou clando" in _text(client.get(f"/t/{ticket.token}"))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"lat": "500", "lon": "0", "mode": "walking"}, "hors du Sénégal"),
        ({"lat": "quatorze", "lon": "-17", "mode": "walking"}, "pas valide"),
        ({"from": "c99999999", "mode": "walking"}, "Choisissez votre commune"),
        ({"from": "<script>", "mode": "walking"}, "Choisissez votre commune"),
        ({"mode": "walking"}, "Choisissez votre commune"),
        ({**NEAR_PLATEAU, "mode": "avion"}, "Mode de déplacement inconnu"),
    ],
)
def test_bad_origins_get_a_message_and_write_nothing(client, hall, data, message):
    (ticket,) = _issue(hall)
    answer = client.post(f"/t/{ticket.token}/travel", data=data)
    assert answer.status_code == 422
    assert message in _text(answer)
    assert 'name="from"' in _text(answer)  # the form again, to correct
    assert _plans() == 0


def test_a_ticket_that_no_longer_waits_is_not_asked_where_from(client, hall):
    (ticket,) = _issue(hall)
    ops.cancel_ticket(ticket)
    assert client.get(f"/t/{ticket.token}/travel").status_code == 303
    refused = client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU)
    assert refused.status_code == 422 and "attend plus" in _text(refused)
    assert _plans() == 0
    assert client.get("/t/unknown-token/travel").status_code == 404


def test_a_called_holder_still_on_the_road_is_told_to_let_others_pass(client, hall):
    (ticket,) = _issue(hall)
    client.post(f"/t/{ticket.token}/travel", data=RUFISQUE)
    ops.call_next(hall.counters[1], by=hall.agent)
    assert queries.get_ticket_by_token(ticket.token).status is TicketStatus.CALLED
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Encore en route (environ 284 min)" in page and "Laisser passer" in page
    assert "Partez maintenant" not in page  # called: what counts is the counter


def test_the_holder_can_take_their_position_back_before_the_ticket_ends(client, hall):
    *ahead, ticket = _issue(hall, 11)
    client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU)
    assert _plans() == 1
    assert "Oublier d'où je viens" in _text(client.get(f"/t/{ticket.token}"))
    forgot = client.post(f"/t/{ticket.token}/travel/forget")
    assert forgot.status_code == 303
    assert _plans() == 0
    page = _text(client.get(f"/t/{ticket.token}"))
    assert "Trajet" not in page and f'href="/t/{ticket.token}/travel"' in page


def test_a_flood_of_origins_is_refused_past_a_persons_pace(db, hall, app_config):
    """Each origin asks a job (and OSRM, where there is one): past six a minute on one
    ticket, a refusal page, and no job asked for."""
    (ticket,) = _issue(hall)
    other = _issue(hall)[0]
    client = create_app(dict(app_config, RATELIMIT_ENABLED=True)).test_client()
    codes = [
        client.post(f"/t/{ticket.token}/travel", data=NEAR_PLATEAU).status_code
        for _ in range(7)
    ]
    assert codes == [303] * 6 + [429]
    db.session.rollback()  # a fresh read: the posts were committed by another app
    jobs = db.session.scalar(select(func.count()).select_from(OutboxJob))
    assert jobs <= 6
    # another ticket (another link) is not held back by this one
    answer = client.post(f"/t/{other.token}/travel", data=NEAR_PLATEAU)
    assert answer.status_code == 303
