"""The OSRM adapter over real HTTP, against the stand-in of osrm_server.py."""

import logging
import socket

import pytest

from smartqueue.travel import TravelMode, estimate_trip, travel_minutes
from smartqueue.travel.factors import slowdown
from smartqueue.travel.osrm import base_url

from .conftest import GOLF_SUD, NGOR, NOWHERE, PIKINE_EST, PLATEAU, TUESDAY_8H

LOGGER = "smartqueue.travel"


def warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.WARNING
    ]


def test_route_reads_lon_lat_and_applies_dakars_factors(osrm_server, caplog):
    [trip] = travel_minutes(
        [PIKINE_EST], PLATEAU, TravelMode.CAR, TUESDAY_8H, osrm_url=osrm_server.url
    )
    # 1500 s free-flow = 25 min, x 2.2 (08:00) x 1.1 (Tuesday) x 2.3 (local) = 139.15
    assert trip.source == "osrm"
    assert trip.exact_minutes == pytest.approx(25 * 2.2 * 1.1 * 2.3)
    assert trip.minutes == 140
    assert trip.distance_km == pytest.approx(16.5)
    assert trip.margin_minutes == 30
    [path] = osrm_server.requests
    assert path == (
        "/route/v1/car/-17.388000,14.753000;-17.434400,14.668100?overview=false"
    )
    assert osrm_server.coordinates_seen == [[(-17.388, 14.753), (-17.4344, 14.6681)]]
    assert warnings(caplog) == []


def test_a_taxi_takes_the_car_profiles_time_at_its_own_speed(osrm_server):
    [trip] = travel_minutes(
        [PIKINE_EST], PLATEAU, TravelMode.TAXI, TUESDAY_8H, osrm_url=osrm_server.url
    )
    assert trip.exact_minutes == pytest.approx(25 * 40 / 35 * 2.2 * 1.1 * 2.3)


def test_walking_asks_the_foot_profile_and_ignores_the_hour(osrm_server):
    [trip] = travel_minutes(
        [PIKINE_EST], PLATEAU, TravelMode.WALKING, TUESDAY_8H, osrm_url=osrm_server.url
    )
    assert trip.exact_minutes == pytest.approx(11400 / 60)
    assert osrm_server.requests[0].startswith("/route/v1/foot/")


def test_table_answers_many_origins_in_one_request(osrm_server, caplog):
    origins = [PIKINE_EST, GOLF_SUD, NGOR]
    trips = travel_minutes(
        origins,
        PLATEAU,
        TravelMode.CAR,
        TUESDAY_8H,
        weather=1.2,
        osrm_url=osrm_server.url,
    )
    [path] = osrm_server.requests
    assert path.startswith(
        "/table/v1/car/-17.388000,14.753000;-17.392000,14.774500;"
        "-17.514000,14.749500;-17.434400,14.668100?"
    )
    assert "sources=0;1;2" in path and "destinations=3" in path
    assert "annotations=duration,distance" in path
    # Each origin's free-flow seconds x its own factors (its commune, Plateau's, rain).
    for origin, trip, seconds, km in zip(
        origins, trips, (1500, 1800, 1200), (16.5, 19.2, 14.1), strict=True
    ):
        factor = slowdown(TravelMode.CAR, TUESDAY_8H, origin.local_factor, 2.5, 1.2)
        assert trip.source == "osrm"
        assert trip.exact_minutes == pytest.approx(seconds / 60 * factor)
        assert trip.distance_km == pytest.approx(km)
    assert warnings(caplog) == []


def test_a_null_cell_is_estimated_for_that_origin_only(osrm_server, caplog):
    trips = travel_minutes(
        [PIKINE_EST, NOWHERE, NGOR],
        PLATEAU,
        TravelMode.CAR,
        TUESDAY_8H,
        osrm_url=osrm_server.url,
    )
    assert [t.source for t in trips] == ["osrm", "estimate", "osrm"]
    assert trips[1] == estimate_trip(NOWHERE, PLATEAU, TravelMode.CAR, TUESDAY_8H)
    assert len(osrm_server.requests) == 1
    [line] = warnings(caplog)
    assert "1 of 3 origins" in line


def test_an_mld_server_is_asked_again_for_durations_only(osrm_server):
    osrm_server.behaviour = "mld"
    trips = travel_minutes(
        [PIKINE_EST, NGOR],
        PLATEAU,
        TravelMode.CAR,
        TUESDAY_8H,
        osrm_url=osrm_server.url,
    )
    assert [t.source for t in trips] == ["osrm", "osrm"]
    assert [p.split("annotations=")[1] for p in osrm_server.requests] == [
        "duration,distance",
        "duration",
    ]
    # No distance from OSRM: the estimator's road distance stands in.
    estimated = estimate_trip(PIKINE_EST, PLATEAU, TravelMode.CAR, TUESDAY_8H)
    assert trips[0].distance_km == pytest.approx(estimated.distance_km)
    assert trips[0].exact_minutes == pytest.approx(25 * 2.2 * 1.1 * 2.3)


@pytest.mark.parametrize("behaviour", ["slow", "error", "no_route"])
@pytest.mark.parametrize("origins", [[PIKINE_EST], [PIKINE_EST, GOLF_SUD, NGOR]])
def test_falls_back_to_the_estimator_with_one_warning(
    osrm_server, caplog, behaviour, origins
):
    """Past 1 s, an HTTP 500, or OSRM's NoRoute / NoTable: every origin is estimated."""
    osrm_server.behaviour = behaviour
    trips = travel_minutes(
        origins, PLATEAU, TravelMode.CAR, TUESDAY_8H, osrm_url=osrm_server.url
    )
    assert trips == [
        estimate_trip(o, PLATEAU, TravelMode.CAR, TUESDAY_8H) for o in origins
    ]
    assert len(osrm_server.requests) == 1
    [line] = warnings(caplog)
    assert line.startswith("OSRM failed")


def test_falls_back_when_nothing_listens(caplog):
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    trips = travel_minutes(
        [PIKINE_EST, NGOR],
        PLATEAU,
        TravelMode.CAR,
        TUESDAY_8H,
        osrm_url=f"http://127.0.0.1:{port}",
    )
    assert [t.source for t in trips] == ["estimate", "estimate"]
    assert len(warnings(caplog)) == 1


def test_without_a_url_no_socket_is_opened(osrm_server, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise AssertionError("the estimator opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for url in (None, ""):
        trips = travel_minutes(
            [PIKINE_EST, NGOR], PLATEAU, TravelMode.CAR, TUESDAY_8H, osrm_url=url
        )
        assert [t.source for t in trips] == ["estimate", "estimate"]
    assert osrm_server.requests == []
    assert warnings(caplog) == []


def test_many_origins_go_99_to_a_request(osrm_server):
    """osrm-routed's default --max-table-size is 100 coordinates."""
    origins = [PIKINE_EST] * 150
    trips = travel_minutes(
        origins, PLATEAU, TravelMode.CAR, TUESDAY_8H, osrm_url=osrm_server.url
    )
    assert {t.source for t in trips} == {"osrm"}
    assert [len(points) for points in osrm_server.coordinates_seen] == [100, 52]


def test_a_server_that_is_down_is_asked_once_per_call(osrm_server, caplog):
    osrm_server.behaviour = "error"
    trips = travel_minutes(
        [PIKINE_EST] * 150,
        PLATEAU,
        TravelMode.CAR,
        TUESDAY_8H,
        osrm_url=osrm_server.url,
    )
    assert {t.source for t in trips} == {"estimate"}
    assert len(osrm_server.requests) == 1
    assert len(warnings(caplog)) == 1


def test_one_server_per_profile_through_a_url_template():
    """A stock osrm-routed serves one dataset whatever the path's profile says."""
    assert base_url("http://osrm-{profile}:5000/", "foot") == "http://osrm-foot:5000"
    assert base_url("http://osrm:5000", "car") == "http://osrm:5000"
