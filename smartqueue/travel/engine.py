"""One interface over both engines: OSRM when a URL is given, else the estimator.

Jobs pass the app's OSRM_URL (None or empty: the estimator, and nothing touches the
network). Whatever OSRM cannot answer within its timeout is estimated instead, with a
warning line on the `smartqueue.travel` logger (one for a failed request, one for the
origins OSRM found no route for).
"""

import logging
from collections.abc import Sequence
from datetime import datetime

from . import osrm
from .estimator import Place, Trip, estimate_trip, make_trip, road_km
from .factors import slowdown
from .modes import TravelMode, osrm_scale

log = logging.getLogger("smartqueue.travel")
# osrm-routed refuses tables of more than 100 coordinates (--max-table-size): 99 origins
# and the destination.
TABLE_MAX_ORIGINS = 99


def travel_minutes(
    origins: Sequence[Place],
    destination: Place,
    mode: TravelMode,
    at: datetime,
    *,
    weather: float = 1.0,
    osrm_url: str | None = None,
    timeout: float = osrm.TIMEOUT_SECONDS,
) -> list[Trip]:
    """Each origin's trip to the destination at `at`, in the origins' order.

    OSRM's durations are free-flow: they get the same traffic, local and weather factors
    as the estimator's, and a mode slower than the profile's own vehicle (a taxi on the
    car profile) takes them times the speed ratio.
    """
    if not origins:
        return []
    if not osrm_url:
        return [estimate_trip(o, destination, mode, at, weather) for o in origins]
    legs = _osrm_legs(osrm_url, mode, origins, destination, timeout)
    trips = []
    for origin, leg in zip(origins, legs, strict=True):
        if leg is None or leg.seconds is None:
            trips.append(estimate_trip(origin, destination, mode, at, weather))
            continue
        factor = slowdown(
            mode, at, origin.local_factor, destination.local_factor, weather
        )
        # An MLD server gives no distances: the great circle's stands in.
        km = road_km(origin, destination) if leg.metres is None else leg.metres / 1000
        trips.append(
            make_trip(leg.seconds / 60 * osrm_scale(mode), km, mode, factor, "osrm")
        )
    missing = sum(leg is not None and leg.seconds is None for leg in legs)
    if missing:
        log.warning(
            "OSRM found no %s route for %d of %d origins: estimated instead",
            mode.osrm_profile,
            missing,
            len(origins),
        )
    return trips


def _osrm_legs(osrm_url, mode, origins, destination, timeout) -> list:
    """A leg per origin (None where OSRM failed), TABLE_MAX_ORIGINS origins a request;
    after a failed request the rest is estimated without asking again (a server that is
    down would cost a timeout per request)."""
    legs: list[osrm.Leg | None] = []
    for start in range(0, len(origins), TABLE_MAX_ORIGINS):
        chunk = origins[start : start + TABLE_MAX_ORIGINS]
        answer = _ask_osrm(osrm_url, mode, chunk, destination, timeout)
        if answer is None:
            legs.extend([None] * (len(origins) - start))
            break
        legs.extend(answer)
    return legs


def _ask_osrm(osrm_url, mode, origins, destination, timeout) -> list[osrm.Leg] | None:
    """OSRM's legs, or None after one warning line when it gave no usable answer."""
    profile = mode.osrm_profile
    try:
        if len(origins) == 1:
            return [osrm.route(osrm_url, profile, origins[0], destination, timeout)]
        return osrm.table(osrm_url, profile, origins, destination, timeout)
    except osrm.OsrmUnavailable as error:
        log.warning(
            "OSRM failed (%s) for %d %s trips: estimated instead",
            error,
            len(origins),
            profile,
        )
        return None
