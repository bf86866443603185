"""How each travel mode moves through Dakar: its speed, its OSRM profile, and how much of
the city's traffic it suffers. Labels are the web layer's (translated there)."""

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class ModeTraits:
    speed_kmh: float  # free-flow speed along the road, before any traffic factor
    osrm_profile: str  # foot, bicycle or car: the OSRM dataset whose roads it uses
    # Share of Dakar's slowdown it suffers: 0 = unaffected, 1 = stuck like a car.
    # Applied as 1 + share x (factor - 1), so it also gains that share of a quiet night.
    traffic_share: float


class TravelMode(enum.Enum):
    WALKING = "walking"
    BICYCLE = "bicycle"
    MOTORBIKE = "motorbike"  # the Jakarta, Dakar's motorbike taxi
    CAR = "car"
    TAXI = "taxi"
    PUBLIC_TRANSPORT = (
        "public_transport"  # bus (Dakar Dem Dikk), car rapide, Ndiaga Ndiaye
    )

    @property
    def traits(self) -> ModeTraits:
        return TRAITS[self]

    @property
    def speed_kmh(self) -> float:
        return TRAITS[self].speed_kmh

    @property
    def osrm_profile(self) -> str:
        return TRAITS[self].osrm_profile

    @property
    def traffic_share(self) -> float:
        return TRAITS[self].traffic_share

    @property
    def is_motorised(self) -> bool:
        return self not in (TravelMode.WALKING, TravelMode.BICYCLE)


TRAITS = {
    # DOMAIN.md's 5 km/h; a pedestrian walks past a jam at the same pace.
    TravelMode.WALKING: ModeTraits(5, "foot", 0.0),
    # 12 km/h: an everyday rider in the heat, on sandy road edges, with few cycle lanes.
    # A jam slows a bicycle only where the cars crawl slower than it, at junctions and
    # roundabouts mostly: a fifth of the slowdown.
    TravelMode.BICYCLE: ModeTraits(12, "bicycle", 0.2),
    # 30 km/h free-flow, below a car's 40: small 125 cc bikes, side streets (two-wheelers
    # may not take the toll motorway). In a jam a Jakarta weaves between the cars and
    # along the shoulder but still waits at the same junctions and bottlenecks (Patte
    # d'Oie, Colobane): half of the slowdown.
    TravelMode.MOTORBIKE: ModeTraits(30, "car", 0.5),
    TravelMode.CAR: ModeTraits(40, "car", 1.0),
    # Slower than a car (finding one, agreeing the fare, stops), in the same traffic.
    TravelMode.TAXI: ModeTraits(35, "car", 1.0),
    # Stops and changes included in the 25 km/h; OSRM has no transit data, so the car
    # profile's roads are used.
    TravelMode.PUBLIC_TRANSPORT: ModeTraits(25, "car", 1.0),
}

# The mode each OSRM profile's durations are for: another mode on the same roads scales
# them by the speed ratio (a taxi on the car profile takes 40/35 of the car's time).
PROFILE_MODE = {
    "foot": TravelMode.WALKING,
    "bicycle": TravelMode.BICYCLE,
    "car": TravelMode.CAR,
}


def osrm_scale(mode: TravelMode) -> float:
    """How much longer than OSRM's own vehicle this mode takes on the profile's roads."""
    return PROFILE_MODE[mode.osrm_profile].speed_kmh / mode.speed_kmh
