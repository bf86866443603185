"""An appointment's page says when to leave (issue 9): departure = start - travel -
margin, once the customer said from where; only the customer's own appointment."""

import re

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as ops
from smartqueue.models import TravelPlan
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

# ~1.45 km north of Plateau's centre, where the agenda's branch stands: 23 min on foot,
# with a 10 min margin.
NEAR_PLATEAU = {"lat": "14.68012", "lon": "-17.44049", "mode": "walking"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def booked(db, agenda, auth):
    """The signed-in customer's appointment on Wednesday 2 December at 09:30."""
    auth.login(agenda.customer)
    return ops.book_appointment(agenda.customer, agenda.service, at(2, 9, 30))


def test_the_appointment_page_says_when_to_leave_once_asked(client, booked):
    page = _text(client.get(f"/appointments/{booked.number}"))
    assert f'href="/appointments/{booked.number}/travel"' in page
    asking = _text(client.get(f"/appointments/{booked.number}/travel"))
    assert 'name="from"' in asking and booked.number in asking

    sent = client.post(f"/appointments/{booked.number}/travel", data=NEAR_PLATEAU)
    assert sent.status_code == 303
    page = _text(client.get(f"/appointments/{booked.number}"))
    assert "Partez à 08:57 pour arriver à l'heure." in page  # 09:30 - 23 - 10
    assert "Trajet : 23 min · À pied" in page


def test_a_bad_origin_is_answered_with_the_form_and_writes_nothing(client, db, booked):
    answer = client.post(
        f"/appointments/{booked.number}/travel",
        data={"lat": "48.85", "lon": "2.35", "mode": "walking"},
    )
    assert answer.status_code == 422
    assert "hors du Sénégal" in _text(answer)
    assert db.session.scalar(select(func.count()).select_from(TravelPlan)) == 0


def test_someone_elses_appointment_is_not_found(client, db, booked, make_user, auth):
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/appointments/{booked.number}/travel").status_code == 404
    stranger = client.post(f"/appointments/{booked.number}/travel", data=NEAR_PLATEAU)
    assert stranger.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TravelPlan)) == 0
