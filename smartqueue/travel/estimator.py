"""The embedded estimator: great-circle distance x a road detour, at the mode's speed,
slowed by Dakar's factors. No network, no database."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .factors import slowdown
from .margin import safety_margin
from .modes import TravelMode

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
# Roads are longer than the straight line: 1.2-1.4 in most cities' street grids; Dakar's
# peninsula funnels trips onto a few axes (VDN, the motorway, Route de Rufisque) and the
# suburbs' sandy lanes wind, so the upper middle of that range.
ROAD_DETOUR = 1.3


@dataclass(frozen=True)
class Place:
    """A point, with its commune's local traffic factor when known."""

    lat: float
    lon: float
    local_factor: float | None = None


@dataclass(frozen=True)
class Trip:
    """One origin's trip to the destination."""

    minutes: int  # what pages show: whole minutes, rounded up (never promise too soon)
    exact_minutes: float
    distance_km: float  # along the road: OSRM's, or the great circle x ROAD_DETOUR
    margin_minutes: int
    source: str  # "osrm" or "estimate"


def haversine_km(a: Place, b: Place) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(b.lon - a.lon) / 2
    h = (
        math.sin(half_dlat) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def road_km(origin: Place, destination: Place) -> float:
    return haversine_km(origin, destination) * ROAD_DETOUR


def whole_minutes(exact: float) -> int:
    """Rounded up, but 24.0000001 (a float's noise) stays 24."""
    return max(0, math.ceil(exact - 1e-9))


def make_trip(
    free_flow_minutes: float,
    distance_km: float,
    mode: TravelMode,
    factor: float,
    source: str,
) -> Trip:
    exact = free_flow_minutes * factor
    minutes = whole_minutes(exact)
    return Trip(minutes, exact, distance_km, safety_margin(mode, minutes), source)


def estimate_trip(
    origin: Place,
    destination: Place,
    mode: TravelMode,
    at: datetime,
    weather: float = 1.0,
) -> Trip:
    """One trip: road km / speed x traffic x local x weather."""
    km = road_km(origin, destination)
    factor = slowdown(mode, at, origin.local_factor, destination.local_factor, weather)
    return make_trip(km / mode.speed_kmh * 60, km, mode, factor, "estimate")


def estimate_trips(
    origins: Sequence[Place],
    destination: Place,
    mode: TravelMode,
    at: datetime,
    weather: float = 1.0,
) -> list[Trip]:
    """Many origins to one destination (a branch), in the origins' order."""
    return [estimate_trip(o, destination, mode, at, weather) for o in origins]
