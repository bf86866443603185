"""The finder's "near me" and "from my commune": what the query string asks, checked.

A position comes from the browser (scripts) or a place from the select (no scripts); it
lives in the URL only, rounded to about 100 m, and is never stored.
"""

import math
from typing import NamedTuple

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user

from ...orgs import queries as orgs
from ...travel import Place, TravelMode
from ...travel import queries as travel
from ..labels import LABELS
from ..safety import parse_id

# Most customers cross Dakar by car rapide, Ndiaga Ndiaye, Dakar Dem Dikk bus or TER; the
# walks are the short trips inside a neighbourhood, and a household car is the exception.
# It is also the mode with the widest margin, so a default never promises too soon.
DEFAULT_MODE = TravelMode.PUBLIC_TRANSPORT
# The modes in the order offered (the default first), labelled as everywhere (labels.py).
MODE_LABELS = {
    mode: LABELS[mode]
    for mode in (
        TravelMode.PUBLIC_TRANSPORT,
        TravelMode.WALKING,
        TravelMode.TAXI,
        TravelMode.MOTORBIKE,
        TravelMode.CAR,
        TravelMode.BICYCLE,
    )
}
POSITION_DECIMALS = 3  # ~110 m of latitude: enough for a trip, not a doorstep


class NearAsk(NamedTuple):
    """What the customer asked: from where, how they travel, for which service."""

    origin: Place | None
    origin_label: str | None  # "Pikine Est", or None for a position
    origin_value: str  # the select's value, to keep it selected
    mode: TravelMode
    service: object | None  # a Service, or None for every service
    error: str | None

    @property
    def asked(self) -> bool:
        return self.origin is not None or self.error is not None


def _coordinate(name: str, bound: float) -> tuple[float | None, bool]:
    """(value, given): the value is None when it was given but is not a coordinate."""
    text = request.args.get(name, "").strip()
    if not text:
        return None, False
    try:
        value = float(text)
    except ValueError:
        return None, True
    if not math.isfinite(value) or abs(value) > bound:
        return None, True
    return round(value, POSITION_DECIMALS), True


def _mode() -> TravelMode:
    """The mode asked for, else the one chosen before in this session, else the one a
    signed-in customer gave last (their ticket's trip), else the default; a mode asked
    for is remembered in the session for the next search."""
    asked = request.args.get("mode") or session.get("travel_mode")
    mode = next((m for m in TravelMode if m.value == asked), None)
    if mode is None:
        customer = current_user if current_user.is_authenticated else None
        mode = travel.get_travel_mode(customer) or DEFAULT_MODE
    if request.args.get("mode") and session.get("travel_mode") != mode.value:
        session["travel_mode"] = mode.value
    return mode


def read_near_ask() -> NearAsk:
    """The finder's near-me arguments: from=c<commune>/d<department> (a chosen place
    beats a position), or lat/lon; mode; service=<id> (the quickest branch of that
    service's organization)."""
    mode = _mode()
    service, error = None, None
    if request.args.get("service"):
        service_id = parse_id(request.args.get("service"))
        service = orgs.get_finder_service(service_id) if service_id else None
        if service is None:
            error = _("Ce service n'est plus proposé : voici toutes les agences.")
    lat, lat_given = _coordinate("lat", 90)
    lon, lon_given = _coordinate("lon", 180)
    chosen = request.args.get("from", "").strip()
    if chosen:
        found = orgs.get_finder_origin(chosen)
        if found is None:
            return NearAsk(
                None,
                None,
                "",
                mode,
                service,
                _("Cette commune n'est pas dans la liste : choisissez-en une autre."),
            )
        return NearAsk(found[1], found[0], chosen, mode, service, error)
    if lat_given or lon_given:
        if lat is None or lon is None:
            return NearAsk(
                None,
                None,
                chosen,
                mode,
                service,
                _("Cette position n'est pas valable : choisissez votre commune."),
            )
        return NearAsk(Place(lat, lon), None, "", mode, service, error)
    return NearAsk(None, None, "", mode, service, error)


def finder_origins() -> list:
    """The places to start from (reference data, seeded at release): read once per
    process, not at every search (a select of ~100 places)."""
    origins = current_app.extensions.get("sq_finder_origins")
    if origins is None:
        origins = current_app.extensions["sq_finder_origins"] = (
            orgs.list_finder_origins()
        )
    return origins


def near_context() -> dict:
    """What the near-me finder shows: the ask, its results (None before one), the places
    and modes to choose from."""
    near = read_near_ask()
    service = near.service
    nearby = None
    if near.origin is not None:
        nearby = orgs.find_fastest(
            near.origin,
            near.mode,
            service_name=service.name_fr if service else None,
            organization_id=service.branch.organization_id if service else None,
        )
    return {
        "near": near,
        "nearby": nearby,
        "radius_km": int(
            orgs.ORGANIZATION_RADIUS_KM if service else orgs.NEAR_RADIUS_KM
        ),
        "origins": finder_origins(),
        "modes": MODE_LABELS,
    }
