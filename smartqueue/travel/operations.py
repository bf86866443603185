"""Where a ticket's or appointment's holder comes from: set it (validated, rounded),
remember the customer's mode, and ask the travel job to compute the trip.

Each is one unit of work; the compute job is written to the outbox in it, so a Redis
restart loses nothing. A position is erased by the database when its holder ends
(models/travel.py).
"""

import math

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from .. import clock
from ..errors import DomainError
from ..extensions import db
from ..jobs import enqueue
from ..jobs import travel as travel_jobs
from ..models import Appointment, Commune, Ticket, TravelPlan, TravelPreference
from ..models.travel import (
    LIVE_APPOINTMENT_STATUSES,
    LIVE_TICKET_STATUSES,
    POSITION_DECIMALS,
)
from ..queueing.operations.history import lock_ticket
from ..work import begin_write, unit_of_work
from .estimator import Place, haversine_km
from .modes import TravelMode

# Senegal's bounding box, a little wider than its borders (Cap-Vert's tip at 17.54° W,
# the Falémé at 11.35° W; Casamance's south at 12.30° N, the river at Podor 16.69° N).
SENEGAL_LATITUDES = (12.2, 16.8)
SENEGAL_LONGITUDES = (-17.6, -11.3)
# Nearest commune: look within this box first (~28 km), then everywhere.
NEAR_DEGREES = 0.25


class TravelError(DomainError):
    """A travel origin refused."""


class OutsideSenegal(TravelError):
    field = "position"


class UnknownCommune(TravelError):
    field = "commune_id"


class UnknownMode(TravelError):
    field = "mode"


class TripNotWanted(TravelError):
    """The ticket or appointment has ended, or is not on its way yet."""


def parse_mode(mode: TravelMode | str) -> TravelMode:
    """A known travel mode, or UnknownMode."""
    if isinstance(mode, TravelMode):
        return mode
    try:
        return TravelMode(mode)
    except ValueError:
        raise UnknownMode(_l("Mode de déplacement inconnu.")) from None


def _origin(position, commune_id) -> tuple[float | None, float | None, int]:
    """(latitude, longitude, commune id) of a valid origin: a position in Senegal
    rounded to ~100 m with its nearest commune, or a known commune alone."""
    if (position is None) == (commune_id is None):
        raise TravelError(_l("Indiquez votre position ou votre commune."))
    if commune_id is not None:
        commune = _known_commune(commune_id)
        return None, None, commune.id
    try:
        lat, lon = (float(v) for v in position)
    except (TypeError, ValueError):
        raise OutsideSenegal(_l("Cette position n'est pas valide.")) from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (
        SENEGAL_LATITUDES[0] <= lat <= SENEGAL_LATITUDES[1]
        and SENEGAL_LONGITUDES[0] <= lon <= SENEGAL_LONGITUDES[1]
    ):
        raise OutsideSenegal(_l("Cette position est hors du Sénégal."))
    lat, lon = round(lat, POSITION_DECIMALS), round(lon, POSITION_DECIMALS)
    return lat, lon, nearest_commune_id(lat, lon)


def _known_commune(commune_id) -> Commune:
    try:
        commune = db.session.get(Commune, int(commune_id))
    except (TypeError, ValueError):
        commune = None
    if commune is None:
        raise UnknownCommune(_l("Cette commune n'est pas dans la liste."))
    return commune


def nearest_commune_id(lat: float, lon: float) -> int:
    """The reference commune whose centre is nearest the position (its local factor
    applies): those within a small box first, else all of them."""
    box = (
        Commune.latitude.between(lat - NEAR_DEGREES, lat + NEAR_DEGREES),
        Commune.longitude.between(lon - NEAR_DEGREES, lon + NEAR_DEGREES),
    )
    columns = select(Commune.id, Commune.latitude, Commune.longitude)
    rows = db.session.execute(columns.where(*box)).all() or (
        db.session.execute(columns).all()
    )
    here = Place(lat, lon)
    return min(rows, key=lambda r: haversine_km(here, Place(r[1], r[2])))[0]


def _remember_mode(customer_id: int | None, mode: TravelMode) -> None:
    if customer_id is None:
        return
    preference = db.session.get(TravelPreference, customer_id)
    if preference is None:
        db.session.add(TravelPreference(user_id=customer_id, mode=mode.value))
    elif preference.mode != mode.value:
        preference.mode = mode.value
        preference.updated_at = clock.now()


def _set_plan(holder: str, holder_id: int, lat, lon, commune_id, mode) -> TravelPlan:
    """The holder's plan with its new origin; what was computed for the old one is
    dropped (the page shows nothing stale), what was told is kept (told once)."""
    column = getattr(TravelPlan, f"{holder}_id")
    plan = db.session.scalar(select(TravelPlan).where(column == holder_id))
    if plan is None:
        plan = TravelPlan(**{f"{holder}_id": holder_id})
        db.session.add(plan)
    plan.latitude, plan.longitude, plan.commune_id = lat, lon, commune_id
    plan.mode = mode.value
    plan.origin_set_at = clock.now()
    plan.travel_minutes = plan.margin_minutes = plan.leave_at = None
    plan.source = plan.computed_at = None
    return plan


@unit_of_work
def set_ticket_origin(
    ticket: Ticket,
    *,
    position: tuple[float, float] | None = None,
    commune_id: int | None = None,
    mode: TravelMode | str,
) -> TravelPlan:
    """Where a ticket's holder comes from (a position or a commune) and how; the trip is
    computed by a job."""
    travel_mode = parse_mode(mode)
    lat, lon, origin_commune = _origin(position, commune_id)
    ticket = lock_ticket(ticket)
    if ticket is None or ticket.status.value not in LIVE_TICKET_STATUSES:
        raise TripNotWanted(_l("Ce ticket n'attend plus."))
    plan = _set_plan("ticket", ticket.id, lat, lon, origin_commune, travel_mode)
    # Only the commune outlives the ticket (managers' "where customers come from").
    ticket.origin_commune_id = origin_commune
    _remember_mode(ticket.customer_id, travel_mode)
    db.session.flush()
    enqueue(travel_jobs.compute_ticket_trip, ticket.id)
    db.session.commit()
    return plan


@unit_of_work
def set_appointment_origin(
    appointment: Appointment,
    *,
    position: tuple[float, float] | None = None,
    commune_id: int | None = None,
    mode: TravelMode | str,
) -> TravelPlan:
    """Where an appointment's holder comes from and how; the departure is computed by a
    job and sent as its own reminder."""
    travel_mode = parse_mode(mode)
    lat, lon, origin_commune = _origin(position, commune_id)
    appointment_id = appointment.id
    begin_write(db.session)
    appointment = db.session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if (
        appointment is None
        or appointment.status.value not in LIVE_APPOINTMENT_STATUSES
        or appointment.starts_at <= clock.now()
    ):
        raise TripNotWanted(_l("Ce rendez-vous n'est plus à venir."))
    plan = _set_plan(
        "appointment", appointment.id, lat, lon, origin_commune, travel_mode
    )
    _remember_mode(appointment.customer_id, travel_mode)
    db.session.flush()
    enqueue(travel_jobs.compute_appointment_trip, appointment.id)
    db.session.commit()
    return plan


@unit_of_work
def forget_ticket_origin(ticket: Ticket) -> bool:
    """The holder takes their position back before the ticket ends: erased at once
    (the "told" mark goes with it), and its commune with it. Whether there was one."""
    ticket_id = ticket.id
    begin_write(db.session)
    erased = db.session.execute(
        delete(TravelPlan)
        .where(TravelPlan.ticket_id == ticket_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(origin_commune_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return erased == 1
