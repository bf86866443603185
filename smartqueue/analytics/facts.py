"""A branch's day in figures, computed from the live tables: the rows the nightly rollups
write, and what the period reports fold in for today and for days not rolled up yet.
One code path for both, so the figures are the same whichever way they are read.

A branch-day is read in five Core selects of only the columns needed (a busy branch has
2 000 tickets a day), then counted in Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Branch,
    Service,
    Ticket,
    TicketRating,
    TicketStatus,
    TravelPlan,
)
from ..models.analytics import CHANNELS, agent_day, commune_day, service_day
from .buckets import bucket_of

# An agent's gap from one finish to the next call is idle time under an hour; longer
# is a break (lunch, a meeting), not idle time.
IDLE_LIMIT_SECONDS = 3600

APPOINTMENT_KEPT = {
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
}
APPOINTMENT_NOT_COUNTED = {AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED}
FINAL_STATUS_COLUMNS = {
    TicketStatus.SERVED: "served",
    TicketStatus.CANCELLED: "cancelled",
    TicketStatus.NO_SHOW: "no_show",
    TicketStatus.TRANSFERRED: "transferred",
    TicketStatus.EXPIRED: "expired",
}

SERVICE_COLUMNS = tuple(c.name for c in service_day.columns)
AGENT_COLUMNS = tuple(c.name for c in agent_day.columns if c.name != "id")
COMMUNE_COLUMNS = tuple(c.name for c in commune_day.columns)
AGENT_KEYS = ("service_id", "counter_id", "agent_id")


@dataclass
class DayFacts:
    """One branch's day as rollup rows: dicts keyed by the rollup tables' columns."""

    day: date
    branch_id: int
    tickets: int = 0
    service_rows: list[dict] = field(default_factory=list)
    agent_rows: list[dict] = field(default_factory=list)
    commune_rows: list[dict] = field(default_factory=list)


def _seconds(later, earlier) -> int:
    return int((later - earlier).total_seconds())


def _zeros(columns, **keys) -> dict:
    row = dict.fromkeys(columns, 0)
    row.update(keys)
    return row


def day_facts(day: date, branch_id: int) -> DayFacts:
    """The rollup rows of one branch's Dakar day, from its tickets, appointments,
    ratings and trips (zeros included; a service with nothing that day has no row)."""
    organization_id = db.session.scalar(
        select(Branch.organization_id).where(Branch.id == branch_id)
    )
    targets = dict(
        db.session.execute(
            select(Service.id, Service.target_wait_minutes).where(
                Service.branch_id == branch_id
            )
        ).all()
    )
    tickets = db.session.execute(
        select(
            Ticket.id,
            Ticket.service_id,
            Ticket.status,
            Ticket.channel,
            Ticket.arrived_at,
            Ticket.called_at,
            Ticket.serving_at,
            Ticket.finished_at,
            Ticket.counter_id,
            Ticket.agent_id,
            Ticket.transferred_from_id,
            Ticket.told_minutes,
            Ticket.told_low,
            Ticket.told_high,
        ).where(Ticket.branch_id == branch_id, Ticket.day == day)
    ).all()
    appointments = db.session.execute(
        select(Appointment.service_id, Appointment.status).where(
            Appointment.branch_id == branch_id, Appointment.day == day
        )
    ).all()
    ratings = db.session.execute(
        select(TicketRating.ticket_id, TicketRating.service_id, TicketRating.rating)
        .where(TicketRating.branch_id == branch_id, TicketRating.day == day)
        .order_by(TicketRating.ticket_id)
    ).all()
    plans = db.session.execute(
        select(Ticket.service_id, TravelPlan.commune_id)
        .join(TravelPlan, TravelPlan.ticket_id == Ticket.id)
        .where(
            Ticket.branch_id == branch_id,
            Ticket.day == day,
            TravelPlan.commune_id.is_not(None),
        )
    ).all()

    keys = {
        "day": day,
        "branch_id": branch_id,
        "organization_id": organization_id,
    }
    services: dict[int, dict] = {}

    def service_row(service_id: int) -> dict:
        if service_id not in services:
            services[service_id] = _zeros(
                SERVICE_COLUMNS,
                **keys,
                service_id=service_id,
                weekday=day.weekday(),
                target_wait_minutes=targets.get(service_id, 15),
            )
        return services[service_id]

    agents: dict[tuple, dict] = {}

    def agent_row(ticket) -> dict:
        key = (ticket.service_id, ticket.counter_id, ticket.agent_id)
        if key not in agents:
            agents[key] = _zeros(
                AGENT_COLUMNS, **keys, **dict(zip(AGENT_KEYS, key, strict=True))
            )
        return agents[key]

    for ticket in tickets:
        _count_ticket(service_row(ticket.service_id), ticket)
        if ticket.called_at is not None:
            _count_call(agent_row(ticket), ticket)
    _count_idle(tickets, agent_row)

    for service_id, status in appointments:
        if status in APPOINTMENT_NOT_COUNTED:
            continue
        row = service_row(service_id)
        row["appointments"] += 1
        row["appointments_kept"] += status in APPOINTMENT_KEPT
        row["appointments_missed"] += status is AppointmentStatus.NO_SHOW

    tickets_by_id = {ticket.id: ticket for ticket in tickets}
    for ticket_id, service_id, rating in ratings:
        row = service_row(service_id)
        row["rating_n"] += 1
        row["rating_sum"] += rating
        row[f"r{rating}"] += 1
        ticket = tickets_by_id.get(ticket_id)
        if ticket is not None and ticket.called_at is not None:
            agent = agent_row(ticket)
            agent["rating_n"] += 1
            agent["rating_sum"] += rating

    communes: dict[tuple[int, int], int] = defaultdict(int)
    for service_id, commune_id in plans:
        communes[(service_id, commune_id)] += 1

    return DayFacts(
        day=day,
        branch_id=branch_id,
        tickets=len(tickets),
        service_rows=[services[k] for k in sorted(services)],
        agent_rows=[agents[k] for k in sorted(agents, key=_none_first)],
        commune_rows=[
            {**keys, "service_id": s, "commune_id": c, "tickets": n}
            for (s, c), n in sorted(communes.items())
        ],
    )


def _none_first(key: tuple) -> tuple:
    return tuple((value is not None, value or 0) for value in key)


def _count_ticket(row: dict, ticket) -> None:
    row["issued"] += 1
    status_column = FINAL_STATUS_COLUMNS.get(ticket.status)
    if status_column:
        row[status_column] += 1
    if ticket.transferred_from_id is not None:
        # A transfer's new ticket is the same customer: counted in its new line, but
        # not as an arrival, nor in the channels customers came by.
        row["transfers_in"] += 1
    else:
        row[f"h{clock.local(ticket.arrived_at).hour}"] += 1
        channel = ticket.channel.value
        if channel in CHANNELS:
            row[f"ch_{channel}"] += 1
    if ticket.called_at is not None:
        wait_s = _seconds(ticket.called_at, ticket.arrived_at)
        row["wait_n"] += 1
        row["wait_sum_s"] += wait_s
        row[f"w{bucket_of(wait_s)}"] += 1
        row["within_target"] += wait_s <= row["target_wait_minutes"] * 60
        if ticket.told_minutes is not None:
            row["told_n"] += 1
            row["told_error_sum_s"] += abs(wait_s - ticket.told_minutes * 60)
            low = (
                ticket.told_low if ticket.told_low is not None else ticket.told_minutes
            )
            high = (
                ticket.told_high
                if ticket.told_high is not None
                else ticket.told_minutes
            )
            row["told_inside"] += low * 60 <= wait_s <= high * 60
    if ticket.status is TicketStatus.SERVED and _served_times(ticket):
        service_s = _seconds(ticket.finished_at, ticket.serving_at)
        row["service_n"] += 1
        row["service_sum_s"] += service_s
        row[f"s{bucket_of(service_s)}"] += 1


def _served_times(ticket) -> bool:
    return ticket.serving_at is not None and ticket.finished_at is not None


def _count_call(row: dict, ticket) -> None:
    row["called"] += 1
    status_column = FINAL_STATUS_COLUMNS.get(ticket.status)
    if status_column in ("served", "no_show", "transferred"):
        row[status_column] += 1
    if ticket.status is TicketStatus.SERVED and _served_times(ticket):
        row["service_n"] += 1
        row["service_sum_s"] += _seconds(ticket.finished_at, ticket.serving_at)
    if ticket.serving_at is not None:
        row["call_to_start_n"] += 1
        row["call_to_start_sum_s"] += _seconds(ticket.serving_at, ticket.called_at)


def _count_idle(tickets, agent_row) -> None:
    """Idle: from one finish to the next call by the same agent at the same counter,
    counted on the row of the ticket called next."""
    calls: dict[tuple, list] = defaultdict(list)
    for ticket in tickets:
        if ticket.called_at is not None and None not in (
            ticket.agent_id,
            ticket.counter_id,
        ):
            calls[(ticket.agent_id, ticket.counter_id)].append(ticket)
    for called in calls.values():
        called.sort(key=lambda t: (t.called_at, t.id))
        for previous, ticket in zip(called, called[1:], strict=False):
            if previous.finished_at is None:
                continue
            gap = _seconds(ticket.called_at, previous.finished_at)
            if 0 <= gap < IDLE_LIMIT_SECONDS:
                row = agent_row(ticket)
                row["idle_n"] += 1
                row["idle_sum_s"] += gap
