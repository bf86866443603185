"""Dakar's traffic factors (docs/DOMAIN.md, "Travel time"): by the hour and the day in
Dakar's local time, by commune, and the weather; and how a mode suffers them."""

from datetime import datetime

from ..clock import DAKAR  # zoneinfo "Africa/Dakar", not a fixed offset
from .modes import TravelMode

# 0 h to 23 h, as DOMAIN.md gives them.
HOURLY = (
    0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 1.8, 2.2, 1.7, 1.0, 1.0,
    1.3, 1.4, 1.2, 1.1, 1.1, 2.0, 2.5, 1.9, 1.4, 1.0, 0.9, 0.8,
)  # fmt: skip
# Monday (0) to Sunday (6), as datetime.weekday() counts.
DAILY = (1.0, 1.1, 1.1, 1.2, 1.3, 0.8, 0.7)
RUSH_HOURS = frozenset({7, 8, 9, 17, 18, 19})
UNKNOWN_COMMUNE = 1.0  # a commune with no known factor, or a position in none


def _dakar_time(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("travel times need an aware datetime (UTC or Dakar)")
    return at.astimezone(DAKAR)


def traffic_factor(at: datetime) -> float:
    """Dakar's hourly x daily factor at that moment."""
    local = _dakar_time(at)
    return HOURLY[local.hour] * DAILY[local.weekday()]


def is_rush_hour(at: datetime) -> bool:
    return _dakar_time(at).hour in RUSH_HOURS


def local_factor(origin: float | None, destination: float | None) -> float:
    """The two communes' factors combined: their mean.

    Multiplying them counts a city's congestion twice (Plateau -> Médina would be x5.5);
    the larger charges a whole trip at its worst end's rate, though a trip from Pikine
    spends only its last kilometres in Plateau's streets. The mean weighs the two ends
    alike, which is what a trip between them crosses, and stays within both.
    """
    origin = UNKNOWN_COMMUNE if origin is None else origin
    destination = UNKNOWN_COMMUNE if destination is None else destination
    return (origin + destination) / 2


def slowdown(
    mode: TravelMode,
    at: datetime,
    origin_local: float | None = None,
    destination_local: float | None = None,
    weather: float = 1.0,
) -> float:
    """What multiplies a free-flow time: traffic x local, in the mode's share, x weather.

    The weather (the rainy season's flooded streets) slows walkers too, so it applies in
    full to every mode; it is at least 1 (a platform admin sets it per region).
    """
    if weather < 1.0:
        raise ValueError("a weather factor is at least 1.0")
    city = traffic_factor(at) * local_factor(origin_local, destination_local)
    return (1 + mode.traffic_share * (city - 1)) * weather
