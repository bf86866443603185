"""The embedded estimator: properties over random trips, and two trips by hand."""

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartqueue.travel import Place, TravelMode, estimate_trip, estimate_trips
from smartqueue.travel.estimator import ROAD_DETOUR, haversine_km
from smartqueue.travel.factors import traffic_factor

from .conftest import PIKINE_EST, PLATEAU, TUESDAY_8H, TUESDAY_22H

MONDAY = datetime(2026, 11, 30, tzinfo=timezone.utc)
MOTORISED = [m for m in TravelMode if m.is_motorised]

modes = st.sampled_from(list(TravelMode))
local_factors = st.one_of(st.none(), st.floats(min_value=1.0, max_value=3.0))
weathers = st.floats(min_value=1.0, max_value=2.0)
moments = st.builds(
    lambda minutes: MONDAY + timedelta(minutes=minutes),
    st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
)
# Around Dakar: within ~0.5 degree of the Plateau.
lats = st.floats(min_value=14.2, max_value=15.2)
lons = st.floats(min_value=-17.6, max_value=-16.6)
places = st.builds(Place, lats, lons, local_factors)


def test_haversine_one_degree_of_latitude():
    # 2 pi R / 360 with R = 6371.0088 km
    assert haversine_km(Place(14.0, -17.0), Place(15.0, -17.0)) == pytest.approx(
        111.195, abs=0.001
    )


def test_pikine_to_plateau_by_taxi_on_a_tuesday_by_hand():
    """Pikine Est (14.7530, -17.3880, factor 2.1) -> Plateau (14.6681, -17.4344, 2.5).

    Great circle: dlat 0.0849 deg = 9.440 km; dlon 0.0464 deg x cos(14.71 deg) = 4.991 km;
    haversine 10.678 km; x 1.3 road detour = 13.882 km; taxi 35 km/h: 23.797 min.
    Local factor: (2.1 + 2.5) / 2 = 2.3. Tuesday's daily factor 1.1.
    08:00: 2.2 x 1.1 x 2.3 = 5.566 -> 23.797 x 5.566 = 132.46 -> 133 min;
           margin 10 + 133 / 5 = 36.6 -> capped at 30.
    22:00: 0.9 x 1.1 x 2.3 = 2.277 -> 23.797 x 2.277 = 54.19 -> 55 min;
           margin 10 + 55 / 5 = 21.
    """
    assert haversine_km(PIKINE_EST, PLATEAU) == pytest.approx(10.678, abs=0.001)
    morning = estimate_trip(PIKINE_EST, PLATEAU, TravelMode.TAXI, TUESDAY_8H)
    night = estimate_trip(PIKINE_EST, PLATEAU, TravelMode.TAXI, TUESDAY_22H)
    assert morning.exact_minutes == pytest.approx(132.46, abs=0.01)
    assert (morning.minutes, morning.margin_minutes) == (133, 30)
    assert night.exact_minutes == pytest.approx(54.19, abs=0.01)
    assert (night.minutes, night.margin_minutes) == (55, 21)
    assert morning.distance_km == pytest.approx(13.882, abs=0.001)
    assert morning.source == night.source == "estimate"


def test_same_place_takes_no_time():
    trip = estimate_trip(PLATEAU, PLATEAU, TravelMode.CAR, TUESDAY_8H)
    assert (trip.minutes, trip.distance_km, trip.margin_minutes) == (0, 0, 8)


def test_many_origins_keep_their_order():
    origins = [PLATEAU, PIKINE_EST, PLATEAU]
    trips = estimate_trips(origins, PLATEAU, TravelMode.CAR, TUESDAY_8H)
    assert [t.minutes > 0 for t in trips] == [False, True, False]
    assert trips[1] == estimate_trip(PIKINE_EST, PLATEAU, TravelMode.CAR, TUESDAY_8H)


@given(places, places, modes, moments, weathers, st.floats(1.0, 3.0), st.floats(0, 1))
def test_more_traffic_never_makes_a_trip_shorter(
    origin, destination, mode, at, weather, local, extra
):
    calm = estimate_trip(
        Place(origin.lat, origin.lon, local), destination, mode, at, weather
    )
    busier_commune = estimate_trip(
        Place(origin.lat, origin.lon, local + extra), destination, mode, at, weather
    )
    rainier = estimate_trip(
        Place(origin.lat, origin.lon, local), destination, mode, at, weather + extra
    )
    assert busier_commune.exact_minutes >= calm.exact_minutes
    assert busier_commune.minutes >= calm.minutes
    assert rainier.minutes >= calm.minutes


@given(places, modes, moments, st.floats(0, 1), st.floats(0, 1))
def test_a_busier_hour_never_makes_a_trip_shorter(destination, mode, at, dlat, dlon):
    """Across the hours of one day, ordered by their factor, minutes never go down."""
    origin = Place(destination.lat + dlat, destination.lon + dlon)
    day = at.replace(hour=0, minute=0)
    hours = sorted(range(24), key=lambda h: traffic_factor(day.replace(hour=h)))
    minutes = [
        estimate_trip(origin, destination, mode, day.replace(hour=h)).exact_minutes
        for h in hours
    ]
    assert minutes == sorted(minutes)


@given(places, modes, moments, st.floats(0, 0.5), st.floats(0, 0.5), st.floats(1, 2))
def test_a_longer_distance_never_takes_less_time(destination, mode, at, dlat, dlon, k):
    """Same direction, k times as far, same hour and mode: never shorter."""
    near = Place(destination.lat + dlat, destination.lon + dlon, 1.5)
    far = Place(destination.lat + k * dlat, destination.lon + k * dlon, 1.5)
    assert haversine_km(far, destination) >= haversine_km(near, destination) - 1e-9
    near_trip = estimate_trip(near, destination, mode, at)
    far_trip = estimate_trip(far, destination, mode, at)
    assert far_trip.exact_minutes >= near_trip.exact_minutes - 1e-9
    assert far_trip.minutes >= near_trip.minutes


@pytest.mark.parametrize("mode", MOTORISED, ids=lambda m: m.value)
@given(origin=places, destination=places, day=st.integers(0, 6))
def test_rush_hours_are_slower_than_night(mode, origin, destination, day):
    if haversine_km(origin, destination) < 0.1:
        return  # nothing to slow down
    date = MONDAY + timedelta(days=day)
    night = [
        estimate_trip(origin, destination, mode, date + timedelta(hours=h))
        for h in range(0, 6)
    ]
    rush = [
        estimate_trip(origin, destination, mode, date + timedelta(hours=h))
        for h in (7, 8, 9, 17, 18, 19)
    ]
    slowest_night = max(t.exact_minutes for t in night)
    assert all(t.exact_minutes > slowest_night for t in rush)


@given(places, places, moments, moments, weathers)
def test_walking_is_unaffected_by_the_hour(origin, destination, at, other, weather):
    walk = estimate_trip(origin, destination, TravelMode.WALKING, at, weather)
    again = estimate_trip(origin, destination, TravelMode.WALKING, other, weather)
    assert walk == again
    km = haversine_km(origin, destination) * ROAD_DETOUR
    assert walk.exact_minutes == pytest.approx(km / 5 * 60 * weather)
    assert walk.minutes == math.ceil(walk.exact_minutes - 1e-9)
