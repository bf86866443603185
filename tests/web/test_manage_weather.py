"""The platform admin's weather factors (issue 9): the rainy season slows every trip to a
branch of a region; all saved at once or none; nobody else may set them."""

import pytest
from sqlalchemy import select

from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import Channel, Region, TravelPlan
from smartqueue.queueing import operations as ops
from smartqueue.travel import operations as trips
from smartqueue.travel.modes import TravelMode

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _form(db, **by_name):
    data = {}
    for region in db.session.scalars(select(Region)):
        data[f"weather-{region.id}"] = by_name.get(region.name, "1,0")
    return data


def _dakar(db):
    db.session.expire_all()
    return db.session.scalar(select(Region).where(Region.name == "Dakar"))


@pytest.fixture
def admin(make_user, auth):
    user = make_user(role="platform_admin")
    auth.login(user)
    return user


def test_the_rainy_season_in_dakar_lengthens_its_trips(client, db, admin, make_hall):
    hall = make_hall()  # in Plateau, region Dakar
    ticket = ops.issue_ticket(hall.a, channel=Channel.WEB)
    # ~1.45 km on foot: 23 min in dry weather (no traffic slows a walker)
    trips.set_ticket_origin(
        ticket, position=(14.68012, -17.44049), mode=TravelMode.WALKING
    )
    plan = db.session.scalar(select(TravelPlan))
    assert plan.travel_minutes == 23

    page = client.get("/manage/weather")
    assert page.status_code == 200 and "Dakar" in page.get_data(as_text=True)
    saved = client.post("/manage/weather", data=_form(db, Dakar="1,5"))
    assert saved.status_code == 303
    assert _dakar(db).weather_factor == 1.5

    travel_jobs.recompute_trips()
    db.session.expire_all()
    assert db.session.scalar(select(TravelPlan.travel_minutes)) == 35  # 22.9 x 1.5


@pytest.mark.parametrize(
    "value, message",
    [("beaucoup", "est un nombre"), ("0,5", "va de 1,0"), ("13", "va de 1,0")],
)
def test_a_wrong_factor_saves_none_of_them(client, db, admin, value, message):
    answer = client.post("/manage/weather", data=_form(db, Dakar="1,5", Thiès=value))
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert _dakar(db).weather_factor == 1.0


def test_only_the_platform_admin_sets_the_weather(
    client, db, make_user, make_org, auth
):
    assert client.get("/manage/weather").status_code == 302  # signed out: sign in
    auth.login(make_user(role="org_admin", org=make_org()))
    assert client.get("/manage/weather").status_code == 403
    assert (
        client.post("/manage/weather", data=_form(db, Dakar="2,0")).status_code == 403
    )
    assert _dakar(db).weather_factor == 1.0
