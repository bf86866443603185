"""What the ticket and appointment pages show of a trip, read from what the jobs stored
and the line as it is now (so a reload shows it right, scripts or not)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import (
    Appointment,
    Ticket,
    TicketStatus,
    TravelPlan,
    TravelPreference,
    User,
)
from ..queueing import queries as queueing
from .advice import advise_ticket, place_for_arrival
from .modes import TravelMode


@dataclass(frozen=True)
class TicketTripView:
    """A waiting (or called) ticket's trip, as its page shows it."""

    travel_minutes: int
    margin_minutes: int
    mode: TravelMode
    leave_at: datetime  # aware (UTC): the page shows it in Dakar time
    leave_now: bool
    too_far: bool  # offer to move back to `place_for_arrival`
    place_for_arrival: int | None  # people ahead after such a move (None: no offer)
    ahead: int
    called: bool  # called before its holder is there: "let others pass" is the offer
    told_at: datetime | None  # when "leave now" was last told
    source: str  # "estimate" or "osrm"
    computed_at: datetime


@dataclass(frozen=True)
class AppointmentTripView:
    travel_minutes: int
    margin_minutes: int
    mode: TravelMode
    leave_at: datetime  # the departure: start - travel - margin
    leave_now: bool
    told_at: datetime | None


def get_ticket_plan(ticket: Ticket) -> TravelPlan | None:
    """The ticket's origin and trip as stored (None: no origin given)."""
    return db.session.scalar(
        select(TravelPlan).where(TravelPlan.ticket_id == ticket.id)
    )


def ticket_trip_view(ticket: Ticket) -> TicketTripView | None:
    """A waiting ticket's travel time, when to leave, whether to leave now or move back
    (a called one's too: no wait left, so leave now, and too far unless close by); None
    without an origin, before its first computation, or once it has ended."""
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.CALLED):
        return None
    plan = get_ticket_plan(ticket)
    if plan is None or plan.travel_minutes is None:
        return None
    service = ticket.service
    ahead = queueing.count_ahead(ticket)
    mean = queueing.mean_service_minutes(service)
    open_counters = queueing.count_open_counters(service)
    wait = queueing.wait_range(ahead, mean, open_counters)
    advice = advise_ticket(
        clock.now(), wait.low, plan.travel_minutes, plan.margin_minutes
    )
    place = None
    if advice.too_far:
        others = _count_others_waiting(ticket)
        place = place_for_arrival(
            plan.travel_minutes,
            plan.margin_minutes,
            mean,
            open_counters,
            ahead_now=ahead,
            others_waiting=others,
        )
        if place == ahead:  # nowhere further back to go
            place = None
    return TicketTripView(
        travel_minutes=plan.travel_minutes,
        margin_minutes=plan.margin_minutes,
        mode=TravelMode(plan.mode),
        leave_at=advice.leave_at,
        leave_now=advice.leave_now,
        too_far=advice.too_far,
        place_for_arrival=place,
        ahead=ahead,
        called=ticket.status is TicketStatus.CALLED,
        told_at=plan.told_at,
        source=plan.source,
        computed_at=plan.computed_at,
    )


def _count_others_waiting(ticket: Ticket) -> int:
    """The waiting tickets of its line but itself: how far back it could move."""
    return db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.service_id == ticket.service_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.id != ticket.id,
        )
    )


def appointment_trip_view(appointment: Appointment) -> AppointmentTripView | None:
    """An appointment's travel time and departure; None without an origin or before
    its first computation."""
    plan = db.session.scalar(
        select(TravelPlan).where(TravelPlan.appointment_id == appointment.id)
    )
    if plan is None or plan.travel_minutes is None or plan.leave_at is None:
        return None
    return AppointmentTripView(
        travel_minutes=plan.travel_minutes,
        margin_minutes=plan.margin_minutes,
        mode=TravelMode(plan.mode),
        leave_at=plan.leave_at,
        leave_now=plan.leave_at <= clock.now() < appointment.starts_at,
        told_at=plan.told_at,
    )


def get_travel_mode(customer: User | None) -> TravelMode | None:
    """The mode a customer chose last (offered first), if any."""
    if customer is None or getattr(customer, "id", None) is None:
        return None
    preference = db.session.get(TravelPreference, customer.id)
    return TravelMode(preference.mode) if preference else None
