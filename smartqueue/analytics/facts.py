"""A branch's day in figures, computed from the live tables: the rows the nightly rollups
write, and what the period reports fold in for today and for days not rolled up yet.
One code path for both, so the figures are the same whichever way they are read.

A branch-day is read in five Core selects of only the columns needed (a busy branch has
2 000 tickets a day), then counted in Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, and_, func, or_, select, type_coerce

from .. import clock
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Branch,
    Channel,
    Service,
    Ticket,
    TicketRating,
    TicketStatus,
)
from ..models.analytics import BUCKETS, agent_day, commune_day, service_day
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
# Keyed by the statuses' stored values (tickets are read as strings).
FINAL_STATUS_COLUMNS = {
    TicketStatus.SERVED.value: "served",
    TicketStatus.CANCELLED.value: "cancelled",
    TicketStatus.NO_SHOW.value: "no_show",
    TicketStatus.TRANSFERRED.value: "transferred",
    TicketStatus.EXPIRED.value: "expired",
}
SERVED = TicketStatus.SERVED.value

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


def branch_days_with_activity(wanted: dict[date, set[int]]) -> set[tuple[date, int]]:
    """Which of the (day, branch) pairs asked (day -> branch ids) had tickets or
    appointments. Days asking the same branches share one probe of the (branch, day)
    indexes: a year whose closed days are rolled up asks little more than today."""
    lacking: dict[frozenset, list[date]] = defaultdict(list)
    for day, branch_ids in wanted.items():
        if branch_ids:
            lacking[frozenset(branch_ids)].append(day)
    if not lacking:
        return set()
    pairs = set()
    for model in (Ticket, Appointment):
        probes = [
            and_(model.branch_id.in_(sorted(branches)), model.day.in_(days))
            for branches, days in lacking.items()
        ]
        pairs |= {
            tuple(row)
            for row in db.session.execute(
                select(model.day, model.branch_id)
                .where(or_(*probes))
                .group_by(model.day, model.branch_id)
            )
        }
    return pairs


def _zeros(columns, **keys) -> dict:
    row = dict.fromkeys(columns, 0)
    row.update(keys)
    return row


def day_facts(day: date, branch_id: int) -> DayFacts:
    """The rollup rows of one branch's Dakar day, from its tickets, appointments,
    ratings and trips (zeros included; a service with nothing that day has no row)."""
    return branches_day_facts(day, [branch_id])[branch_id]


def branches_day_facts(day: date, branch_ids) -> dict[int, DayFacts]:
    """day_facts of several branches on one day, read in the same five selects (today
    for an organization of 50 branches: five statements, not 250)."""
    branch_ids = sorted(set(branch_ids))
    organizations = dict(
        db.session.execute(
            select(Branch.id, Branch.organization_id).where(Branch.id.in_(branch_ids))
        ).all()
    )
    targets = dict(
        db.session.execute(
            select(Service.id, Service.target_wait_minutes).where(
                Service.branch_id.in_(branch_ids)
            )
        ).all()
    )
    tickets = Ticket.__table__  # Core: a busy day's rows skip the ORM's loading
    read = defaultdict(lambda: defaultdict(list))  # branch -> what -> rows
    for what, query in (
        (
            "tickets",
            select(
                tickets.c.branch_id,
                tickets.c.id,
                tickets.c.service_id,
                # Statuses and channels as their stored strings: no enum made and
                # hashed for each of a busy day's tickets.
                type_coerce(tickets.c.status, String),
                type_coerce(tickets.c.channel, String),
                tickets.c.arrived_at,
                tickets.c.called_at,
                tickets.c.serving_at,
                tickets.c.finished_at,
                tickets.c.counter_id,
                tickets.c.agent_id,
                tickets.c.transferred_from_id,
                tickets.c.told_minutes,
                tickets.c.told_low,
                tickets.c.told_high,
                # The wait ends at the first call (called_at is the latest, after
                # recalls); rows written before first_called_at existed have only it.
                func.coalesce(tickets.c.first_called_at, tickets.c.called_at),
            ).where(tickets.c.branch_id.in_(branch_ids), tickets.c.day == day),
        ),
        (
            "appointments",
            select(
                Appointment.branch_id, Appointment.service_id, Appointment.status
            ).where(Appointment.branch_id.in_(branch_ids), Appointment.day == day),
        ),
        (
            "ratings",
            select(
                TicketRating.branch_id,
                TicketRating.ticket_id,
                TicketRating.service_id,
                TicketRating.rating,
            )
            .where(TicketRating.branch_id.in_(branch_ids), TicketRating.day == day)
            .order_by(TicketRating.ticket_id),
        ),
        (
            "plans",
            # The commune a holder said they came from (kept on the ticket: the
            # trip itself is erased when the ticket ends).
            select(Ticket.branch_id, Ticket.service_id, Ticket.origin_commune_id).where(
                Ticket.branch_id.in_(branch_ids),
                Ticket.day == day,
                Ticket.origin_commune_id.is_not(None),
            ),
        ),
    ):
        for row in db.session.execute(query).all():
            read[row[0]][what].append(row[1:] if what != "tickets" else row)
    return {
        branch_id: _facts(
            day,
            branch_id,
            organizations.get(branch_id),
            targets,
            **read[branch_id],
        )
        for branch_id in branch_ids
    }


def _facts(
    day: date,
    branch_id: int,
    organization_id: int | None,
    targets: dict[int, int],
    tickets=(),
    appointments=(),
    ratings=(),
    plans=(),
) -> DayFacts:
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
        key = (ticket[2], ticket[9], ticket[10])  # service, counter, agent
        if key not in agents:
            agents[key] = _zeros(
                AGENT_COLUMNS, **keys, **dict(zip(AGENT_KEYS, key, strict=True))
            )
        return agents[key]

    for ticket in tickets:
        _count_ticket(service_row(ticket[2]), ticket)
        if ticket[6] is not None:  # called
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


WAIT_BUCKETS = tuple(f"w{i}" for i in range(BUCKETS))
SERVICE_BUCKETS = tuple(f"s{i}" for i in range(BUCKETS))
HOURS = tuple(f"h{hour}" for hour in range(24))
CHANNEL_COLUMNS = {channel.value: f"ch_{channel.value}" for channel in Channel}
CALL_STATUS_COLUMNS = {
    status: column
    for status, column in FINAL_STATUS_COLUMNS.items()
    if column in ("served", "no_show", "transferred")
}


def _count_ticket(row: dict, ticket) -> None:
    # Unpacked once: a busy day counts 25 000 of these (a bench's 50 branches).
    (_, _, _, status, channel, arrived, called, serving, finished) = ticket[:9]
    (_, _, transferred_from, told, told_low, told_high, called) = ticket[9:]
    row["issued"] += 1
    status_column = FINAL_STATUS_COLUMNS.get(status)
    if status_column:
        row[status_column] += 1
    if transferred_from is not None:
        # A transfer's new ticket is the same customer: counted in its new line, but
        # not as an arrival, nor in the channels customers came by.
        row["transfers_in"] += 1
    else:
        row[HOURS[clock.local(arrived).hour]] += 1
        row[CHANNEL_COLUMNS[channel]] += 1
    if called is not None:
        wait_s = int((called - arrived).total_seconds())
        row["wait_n"] += 1
        row["wait_sum_s"] += wait_s
        row[WAIT_BUCKETS[bucket_of(wait_s)]] += 1
        row["within_target"] += wait_s <= row["target_wait_minutes"] * 60
        if told is not None:
            low = told if told_low is None else told_low
            high = told if told_high is None else told_high
            row["told_n"] += 1
            row["told_error_sum_s"] += abs(wait_s - told * 60)
            row["told_inside"] += low * 60 <= wait_s <= high * 60
    if status == SERVED and serving is not None and finished is not None:
        service_s = int((finished - serving).total_seconds())
        row["service_n"] += 1
        row["service_sum_s"] += service_s
        row[SERVICE_BUCKETS[bucket_of(service_s)]] += 1


def _count_call(row: dict, ticket) -> None:
    (_, _, _, status, _, _, called, serving, finished) = ticket[:9]
    row["called"] += 1
    status_column = CALL_STATUS_COLUMNS.get(status)
    if status_column:
        row[status_column] += 1
    if serving is not None:
        if status == SERVED and finished is not None:
            row["service_n"] += 1
            row["service_sum_s"] += int((finished - serving).total_seconds())
        row["call_to_start_n"] += 1
        row["call_to_start_sum_s"] += int((serving - called).total_seconds())


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
