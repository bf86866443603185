"""The safety margin added before a customer leaves: 5 to 30 minutes.

Rule: the mode's own uncertainty (BASE_MINUTES) + a fifth of the trip's minutes, rounded
up, kept within 5-30. Public transport starts highest (no timetable: the wait at the stop
is unknown); a taxi must be found and the fare agreed; a car must be parked. A longer trip
is a less certain estimate, and a slower mode makes longer trips, so both grow the margin.
"""

import math

from .modes import TravelMode

MIN_MARGIN = 5
MAX_MARGIN = 30
LENGTH_SHARE = 0.2  # minutes of margin per minute of travel
BASE_MINUTES = {
    TravelMode.WALKING: 5,
    TravelMode.BICYCLE: 5,
    TravelMode.MOTORBIKE: 5,
    TravelMode.CAR: 8,
    TravelMode.TAXI: 10,
    TravelMode.PUBLIC_TRANSPORT: 15,
}


def safety_margin(mode: TravelMode, travel_minutes: float) -> int:
    """Whole minutes of margin for a trip of that many minutes by that mode."""
    margin = BASE_MINUTES[mode] + LENGTH_SHARE * max(travel_minutes, 0)
    return min(MAX_MARGIN, max(MIN_MARGIN, math.ceil(margin - 1e-9)))
