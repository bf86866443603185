"""Travel jobs: compute trips, recompute them as the traffic changes, tell "leave now".

Every job recomputes from the database and is safe to run twice: what was computed is
overwritten, and the "told" mark decides whether to tell. The mark is set by a
compare-and-set in the same transaction as the mail's outbox row, so the holder is told
once whatever runs concurrently, and a worker killed before the commit leaves the whole
decision to the retry (or the next recomputation).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from .. import clock, travel
from ..events import announce, trip_changed
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Branch,
    Commune,
    Region,
    Service,
    Ticket,
    TicketStatus,
    TravelPlan,
)
from ..models.travel import LIVE_APPOINTMENT_STATUSES, LIVE_TICKET_STATUSES
from ..notifications import notices
from ..queueing import queries as queueing
from ..work import begin_write
from . import enqueue

log = logging.getLogger(__name__)

BATCH = 500  # plans read, computed and written together
# Appointments whose trip the periodic job recomputes: those starting within this.
APPOINTMENT_HORIZON = timedelta(hours=6)
# An appointment's plan outlives its start by this much at most (the holder has come or
# not; the day's no-show job ends it later).
APPOINTMENT_KEPT_AFTER_START = timedelta(hours=2)

_origin_commune = aliased(Commune)
_branch_commune = aliased(Commune)


# --- tickets ----------------------------------------------------------------------------


def compute_ticket_trip(ticket_id: int) -> int:
    """Compute one ticket's trip and advice (its origin was just set); tells if due."""
    return _refresh_tickets(ticket_ids=[ticket_id])


def recompute_waiting_trips() -> int:
    """Every 5 minutes: every waiting (or called) ticket's trip again (the traffic changes by the
    hour, the line moves), in batches; tells those now due. Returns how many."""
    done, after = 0, 0
    stats: dict[int, tuple[float, int]] = {}
    while True:
        count, after = _refresh_batch(after_id=after, stats=stats)
        done += count
        if count < BATCH:
            return done


def _refresh_tickets(ticket_ids: list[int]) -> int:
    return _refresh_batch(ticket_ids=ticket_ids, stats={})[0]


@dataclass
class _Row:
    plan_id: int
    ticket_id: int
    token: str
    service_id: int
    branch_id: int
    email: str | None
    called: bool
    mode: travel.TravelMode
    origin: travel.Place
    destination: travel.Place | None
    weather: float
    origin_set_at: datetime
    shown_minutes: int | None
    told_leave_at: datetime | None


def _plans_statement():
    return (
        select(
            TravelPlan.id,
            TravelPlan.ticket_id,
            TravelPlan.latitude,
            TravelPlan.longitude,
            TravelPlan.mode,
            TravelPlan.origin_set_at,
            TravelPlan.travel_minutes,
            TravelPlan.told_leave_at,
            _origin_commune.latitude,
            _origin_commune.longitude,
            _origin_commune.traffic_factor,
            Ticket.token,
            Ticket.service_id,
            Ticket.branch_id,
            Ticket.contact_email,
            Ticket.status,
            Branch.latitude,
            Branch.longitude,
            _branch_commune.latitude,
            _branch_commune.longitude,
            _branch_commune.traffic_factor,
            Region.weather_factor,
        )
        .join(Ticket, Ticket.id == TravelPlan.ticket_id)
        .join(Branch, Branch.id == Ticket.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .outerjoin(_origin_commune, _origin_commune.id == TravelPlan.commune_id)
        .outerjoin(_branch_commune, _branch_commune.id == Branch.commune_id)
        # A called ticket's holder may still be on the way (the page says so and offers
        # to let others pass): its trip is kept up to date too, though not told to leave.
        .where(Ticket.status.in_([TicketStatus.WAITING, TicketStatus.CALLED]))
        .order_by(TravelPlan.id)
    )


def _row(r) -> _Row:
    (plan_id, ticket_id, lat, lon, mode, origin_set_at, shown, told) = r[:8]
    (o_lat, o_lon, o_factor, token, service_id, branch_id, email, status) = r[8:16]
    (b_lat, b_lon, bc_lat, bc_lon, b_factor, weather) = r[16:]
    origin = (
        travel.Place(lat, lon, o_factor)
        if lat is not None
        else travel.Place(o_lat, o_lon, o_factor)
    )
    # A branch without a position of its own stands at its commune's centre.
    if b_lat is not None:
        destination = travel.Place(b_lat, b_lon, b_factor)
    elif bc_lat is not None:
        destination = travel.Place(bc_lat, bc_lon, b_factor)
    else:
        destination = None
    return _Row(
        plan_id,
        ticket_id,
        token,
        service_id,
        branch_id,
        email,
        status is TicketStatus.CALLED,
        travel.TravelMode(mode),
        origin,
        destination,
        max(weather or 1.0, 1.0),
        origin_set_at,
        shown,
        told,
    )


def _refresh_batch(
    *,
    stats: dict,
    after_id: int | None = None,
    ticket_ids: list[int] | None = None,
) -> tuple[int, int]:
    """Read a batch of waiting tickets' plans (one query), their places in line (one
    query), their services' rates (cached per run), one travel_minutes call per (branch,
    mode); write it all, tell who is due. Returns (plans read, last plan id)."""
    statement = _plans_statement()
    if ticket_ids is not None:
        statement = statement.where(TravelPlan.ticket_id.in_(ticket_ids))
    else:
        statement = statement.where(TravelPlan.id > after_id).limit(BATCH)
    rows = [_row(r) for r in db.session.execute(statement).all()]
    if not rows:
        db.session.commit()
        return 0, after_id or 0
    now = clock.now()
    places = _places_in_line(rows)
    for service_id in {r.service_id for r in rows} - stats.keys():
        service = db.session.get(Service, service_id)
        stats[service_id] = (
            queueing.mean_service_minutes(service),
            queueing.count_open_counters(service),
        )
    trips = _trips(rows, now)
    db.session.commit()  # end the reads: SQLite refuses a read turned write

    computed, tell = [], []
    for row in rows:
        trip = trips.get(row.plan_id)
        if trip is None:
            continue
        ahead, _waiting = places.get(row.ticket_id, (0, 0))  # called: nobody ahead
        mean, open_counters = stats[row.service_id]
        wait = queueing.wait_range(ahead, mean, open_counters)
        advice = travel.advise_ticket(now, wait.low, trip.minutes, trip.margin_minutes)
        computed.append(
            {
                "b_id": row.plan_id,
                "b_set_at": row.origin_set_at,
                "travel_minutes": trip.minutes,
                "margin_minutes": trip.margin_minutes,
                "leave_at": advice.leave_at,
                "source": trip.source,
                "computed_at": now,
            }
        )
        if not row.called and travel.should_tell(
            advice, row.told_leave_at, trip.margin_minutes
        ):
            tell.append((row, advice.leave_at))
    changed = _write(computed, tell, now, rows)
    if changed:
        announce(trip_changed, ticket_tokens=changed)
    return len(rows), rows[-1].plan_id


def _places_in_line(rows: list[_Row]) -> dict[int, tuple[int, int]]:
    """ticket id -> (waiting ahead, waiting in its line), for the batch's tickets."""
    services = sorted({r.service_id for r in rows})
    line = (
        select(
            Ticket.id.label("id"),
            (
                func.row_number().over(
                    partition_by=Ticket.service_id,
                    order_by=(Ticket.rank_key, Ticket.id),
                )
                - 1
            ).label("ahead"),
            func.count().over(partition_by=Ticket.service_id).label("waiting"),
        )
        .where(Ticket.service_id.in_(services), Ticket.status == TicketStatus.WAITING)
        .subquery()
    )
    wanted = [r.ticket_id for r in rows]
    found = db.session.execute(
        select(line.c.id, line.c.ahead, line.c.waiting).where(line.c.id.in_(wanted))
    ).all()
    return {ticket_id: (ahead, waiting) for ticket_id, ahead, waiting in found}


def _trips(rows, at: datetime) -> dict[int, travel.Trip]:
    """plan id -> trip: one travel_minutes call per (branch, mode)."""
    groups = defaultdict(list)
    for row in rows:
        if row.destination is not None:
            groups[(row.branch_id, row.mode)].append(row)
    osrm_url = current_app.config.get("OSRM_URL")
    trips = {}
    for (_branch, mode), group in groups.items():
        found = travel.travel_minutes(
            [r.origin for r in group],
            group[0].destination,
            mode,
            at,
            weather=group[0].weather,
            osrm_url=osrm_url,
        )
        trips.update({r.plan_id: t for r, t in zip(group, found, strict=True)})
    return trips


_WRITE_COMPUTED = (
    update(TravelPlan.__table__)
    .where(
        TravelPlan.__table__.c.id == bindparam("b_id"),
        # An origin set again meanwhile has its own job: leave it to that one.
        TravelPlan.__table__.c.origin_set_at == bindparam("b_set_at"),
    )
    .values(
        travel_minutes=bindparam("travel_minutes"),
        margin_minutes=bindparam("margin_minutes"),
        leave_at=bindparam("leave_at"),
        source=bindparam("source"),
        computed_at=bindparam("computed_at"),
    )
)


def _write(computed, tell, now, rows) -> list[str]:
    """Write the batch's computations, claim and enqueue its "leave now" notices; the
    tokens of the pages whose trip changed."""
    begin_write(db.session)
    if computed:
        db.session.execute(_WRITE_COMPUTED, computed)
    told = []
    for row, leave_at in tell:
        if _claim_telling(row.plan_id, row.told_leave_at, leave_at, now):
            told.append(row)
            # Whoever holds it (an account, an email, a number) is found by the job.
            enqueue(send_leave_now, row.ticket_id, key=f"leave_now:{row.ticket_id}")
    db.session.commit()
    minutes = {c["b_id"]: c["travel_minutes"] for c in computed}
    told_ids = {r.plan_id for r in told}
    return [
        r.token
        for r in rows
        if r.plan_id in told_ids
        or (r.plan_id in minutes and minutes[r.plan_id] != r.shown_minutes)
    ]


def _claim_telling(plan_id, told_before, leave_at, now) -> bool:
    """Mark the plan told, if nobody marked it since it was read (compare-and-set)."""
    was = (
        TravelPlan.told_leave_at.is_(None)
        if told_before is None
        else TravelPlan.told_leave_at == told_before
    )
    claimed = db.session.execute(
        update(TravelPlan)
        .where(TravelPlan.id == plan_id, was)
        .values(told_leave_at=leave_at, told_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def send_leave_now(ticket_id: int) -> int:
    """Tell a waiting ticket's holder that it is time to leave, if still true."""
    return notices.tell_leave_now(ticket_id)


# --- appointments -------------------------------------------------------------------------


def compute_appointment_trip(appointment_id: int) -> bool:
    """Compute an upcoming appointment's trip and departure; tells if already due."""
    plan = db.session.scalar(
        select(TravelPlan).where(TravelPlan.appointment_id == appointment_id)
    )
    appointment = db.session.get(Appointment, appointment_id)
    now = clock.now()
    if (
        plan is None
        or appointment is None
        or appointment.status.value not in LIVE_APPOINTMENT_STATUSES
        or appointment.starts_at <= now
    ):
        db.session.commit()
        return False
    branch = appointment.branch
    origin_commune = plan.commune
    origin = travel.Place(
        plan.latitude if plan.has_position else origin_commune.latitude,
        plan.longitude if plan.has_position else origin_commune.longitude,
        origin_commune.traffic_factor if origin_commune else None,
    )
    place = branch.commune
    if branch.latitude is None and place is None:
        db.session.commit()
        return False
    destination = travel.Place(
        branch.latitude if branch.latitude is not None else place.latitude,
        branch.longitude if branch.longitude is not None else place.longitude,
        place.traffic_factor if place else None,
    )
    mode = travel.TravelMode(plan.mode)
    weather = max(branch.region.weather_factor or 1.0, 1.0)
    osrm_url = current_app.config.get("OSRM_URL")

    def trip_at(moment):
        return travel.travel_minutes(
            [origin], destination, mode, moment, weather=weather, osrm_url=osrm_url
        )[0]

    # The traffic of the hour the holder leaves, not of the appointment's: a first
    # guess at the start, then at the departure it gives.
    first = trip_at(appointment.starts_at)
    guess = travel.appointment_departure(
        appointment.starts_at, first.minutes, first.margin_minutes
    )
    trip = trip_at(max(guess, now))
    departure = travel.appointment_departure(
        appointment.starts_at, trip.minutes, trip.margin_minutes
    )
    set_at = plan.origin_set_at
    plan_id, told_at, starts_at = plan.id, plan.told_at, appointment.starts_at
    db.session.commit()
    begin_write(db.session)
    db.session.execute(
        _WRITE_COMPUTED,
        [
            {
                "b_id": plan_id,
                "b_set_at": set_at,
                "travel_minutes": trip.minutes,
                "margin_minutes": trip.margin_minutes,
                "leave_at": departure,
                "source": trip.source,
                "computed_at": now,
            }
        ],
    )
    if told_at is None and departure <= now < starts_at:
        _tell_departure(plan_id, appointment_id, departure, now)
    db.session.commit()
    return True


def _tell_departure(plan_id, appointment_id, departure, now) -> None:
    if _claim_telling(plan_id, None, departure, now):
        enqueue(
            send_departure_reminder,
            appointment_id,
            key=f"departure:{appointment_id}",
        )


def send_due_departures() -> int:
    """Every minute: claim and enqueue the departure reminders now due (once each)."""
    now = clock.now()
    begin_write(db.session)
    due = db.session.execute(
        select(TravelPlan.id, TravelPlan.appointment_id, TravelPlan.leave_at)
        .join(Appointment, Appointment.id == TravelPlan.appointment_id)
        .where(
            TravelPlan.told_at.is_(None),
            TravelPlan.leave_at <= now,
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at > now,
        )
    ).all()
    for plan_id, appointment_id, leave_at in due:
        _tell_departure(plan_id, appointment_id, leave_at, now)
    db.session.commit()
    return len(due)


def recompute_upcoming_appointments() -> int:
    """Every 5 minutes: the trips of appointments starting soon, at the hour's traffic."""
    now = clock.now()
    ids = db.session.scalars(
        select(TravelPlan.appointment_id)
        .join(Appointment, Appointment.id == TravelPlan.appointment_id)
        .where(
            TravelPlan.told_at.is_(None),
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.starts_at > now,
            Appointment.starts_at <= now + APPOINTMENT_HORIZON,
        )
    ).all()
    db.session.commit()
    return sum(compute_appointment_trip(i) for i in ids)


def send_departure_reminder(appointment_id: int) -> int:
    """Tell an appointment's holder that it is time to leave, if it still stands."""
    return notices.tell_departure(appointment_id)


# --- the periodic job ---------------------------------------------------------------------


def erase_ended_trips() -> int:
    """Delete the plans whose holder has ended (the database's triggers do it as the
    holder ends; this is the safety net). Returns how many."""
    now = clock.now()
    live_ticket = exists().where(
        Ticket.id == TravelPlan.ticket_id,
        Ticket.status.in_([TicketStatus(s) for s in LIVE_TICKET_STATUSES]),
    )
    live_appointment = exists().where(
        Appointment.id == TravelPlan.appointment_id,
        Appointment.status.in_(
            [AppointmentStatus(s) for s in LIVE_APPOINTMENT_STATUSES]
        ),
        Appointment.starts_at > now - APPOINTMENT_KEPT_AFTER_START,
    )
    begin_write(db.session)
    erased = db.session.execute(
        delete(TravelPlan)
        .where(
            or_(
                and_(TravelPlan.ticket_id.is_not(None), ~live_ticket),
                and_(TravelPlan.appointment_id.is_not(None), ~live_appointment),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if erased:
        log.info("erased %d ended trip(s) the triggers had left", erased)
    return erased


def recompute_trips() -> dict:
    """Every 5 minutes: erase ended trips, then recompute the waiting tickets' and the
    upcoming appointments' trips."""
    return {
        "erased": erase_ended_trips(),
        "tickets": recompute_waiting_trips(),
        "appointments": recompute_upcoming_appointments(),
    }
