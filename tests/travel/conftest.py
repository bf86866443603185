"""Places of the Dakar region (geo/reference.py's coordinates and local factors) and an
OSRM stand-in that knows the roads between them."""

from datetime import datetime, timezone

import pytest

from smartqueue.travel import Place

from .osrm_server import FakeOsrm

PIKINE_EST = Place(14.7530, -17.3880, 2.1)
PLATEAU = Place(14.6681, -17.4344, 2.5)
GOLF_SUD = Place(14.7745, -17.3920, 1.9)  # Guédiawaye
NGOR = Place(14.7495, -17.5140, 1.0)
NOWHERE = Place(14.9000, -17.1000)  # in no known commune, off the stand-in's map

TUESDAY_8H = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # Dakar is UTC+0
TUESDAY_22H = datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc)


def lon_lat(place: Place) -> tuple[float, float]:
    return (place.lon, place.lat)


# Free-flow legs to Plateau, OSRM-style: (seconds, metres) per profile.
OSRM_LEGS = {
    ("car", lon_lat(PIKINE_EST), lon_lat(PLATEAU)): (1500.0, 16500.0),
    ("car", lon_lat(GOLF_SUD), lon_lat(PLATEAU)): (1800.0, 19200.0),
    ("car", lon_lat(NGOR), lon_lat(PLATEAU)): (1200.0, 14100.0),
    ("foot", lon_lat(PIKINE_EST), lon_lat(PLATEAU)): (11400.0, 15800.0),
}


@pytest.fixture
def osrm_server():
    """A stand-in OSRM on a free port of this machine, stopped after the test."""
    with FakeOsrm(OSRM_LEGS) as server:
        yield server
