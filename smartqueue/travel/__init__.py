"""Travel time and "leave now" (issue 9): pure calculations, no database.

`travel_minutes` is the one interface (OSRM when a URL is given, else the estimator);
`advice` turns its minutes into "leave at", "leave now" and a place in the line.
"""

from .advice import (
    TicketAdvice,
    advise_ticket,
    appointment_departure,
    place_for_arrival,
    should_tell,
)
from .engine import travel_minutes
from .estimator import Place, Trip, estimate_trip, estimate_trips
from .margin import safety_margin
from .modes import TravelMode

__all__ = [
    "Place",
    "TicketAdvice",
    "TravelMode",
    "Trip",
    "advise_ticket",
    "appointment_departure",
    "estimate_trip",
    "estimate_trips",
    "place_for_arrival",
    "safety_margin",
    "should_tell",
    "travel_minutes",
]
