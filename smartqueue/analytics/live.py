"""Today, live: each line of a manager's branches as it stands now and so far today.

Read from the live tables in four statements whatever the number of branches (the lines,
today's tickets counted per line, the waits of today's called tickets, the open counters),
so that an organization's 50 branches x 5 services cost what one branch costs. Sockets
redraw it after each change (realtime/today.py); it never writes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select

from .. import clock
from ..extensions import db
from ..models import (
    Branch,
    Counter,
    CounterStatus,
    Service,
    Ticket,
    TicketStatus,
    User,
    counter_services,
)
from ..models.analytics import BUCKETS
from .buckets import bucket_of, p90_minutes
from .report import Scope


@dataclass(frozen=True)
class OpenCounter:
    number: int
    name: str | None
    agent: str | None  # who holds it (None: open, nobody named)


@dataclass
class ServiceToday:
    """One line of one branch: now, and so far today."""

    branch_id: int
    branch_name: str
    service_id: int
    prefix: str
    name: str
    target_wait_minutes: int
    waiting: int = 0  # people waiting now
    oldest_arrived_at: datetime | None = None  # of those waiting now
    longest_wait_minutes: int | None = None  # now - oldest_arrived_at, whole minutes
    served: int = 0
    no_show: int = 0
    called: int = 0  # tickets of today called so far: the waits below
    wait_mean_minutes: float | None = None
    wait_p90_minutes: int | None = None  # bounded, as the period pages say it
    counters: list[OpenCounter] = field(default_factory=list)

    @property
    def beyond_target(self) -> bool:
        """The longest wait now, or today's 90th percentile, passes the line's target."""
        target = self.target_wait_minutes
        return (self.longest_wait_minutes or 0) > target or (
            self.wait_p90_minutes or 0
        ) > target


def _in_scope(statement, scope: Scope, branch_column, service_column):
    if scope.organization_id is not None:
        statement = statement.where(Branch.organization_id == scope.organization_id)
    if scope.branch_ids is not None:
        statement = statement.where(branch_column.in_(scope.branch_ids))
    if scope.service_id is not None:
        statement = statement.where(service_column == scope.service_id)
    return statement


def today_by_service(scope: Scope, locale: str = "fr") -> list[ServiceToday]:
    """Every active line of the scope's branches, by branch name then letter: people
    waiting now and the longest wait, then today's served, no-shows, mean and p90 wait,
    and the open counters serving it with who holds them."""
    now, today = clock.now(), clock.today()
    services = db.session.execute(
        _in_scope(
            select(Service, Branch.name)
            .join(Branch, Branch.id == Service.branch_id)
            .where(Service.is_active)
            .order_by(Branch.name, Branch.id, Service.prefix),
            scope,
            Service.branch_id,
            Service.id,
        )
    ).all()
    lines = {
        service.id: ServiceToday(
            branch_id=service.branch_id,
            branch_name=branch_name,
            service_id=service.id,
            prefix=service.prefix,
            name=service.name_for(locale),
            target_wait_minutes=service.target_wait_minutes,
        )
        for service, branch_name in services
    }
    if not lines:
        return []
    branch_ids = sorted({line.branch_id for line in lines.values()})
    # By branch and day first: the index of today's tickets (branch, day, status).
    todays = and_(
        Ticket.branch_id.in_(branch_ids),
        Ticket.day == today,
        Ticket.service_id.in_(list(lines)),
    )
    is_waiting = Ticket.status == TicketStatus.WAITING
    counts = db.session.execute(
        select(
            Ticket.service_id,
            func.count(case((is_waiting, 1))),
            func.min(case((is_waiting, Ticket.arrived_at))),
            func.count(case((Ticket.status == TicketStatus.SERVED, 1))),
            func.count(case((Ticket.status == TicketStatus.NO_SHOW, 1))),
        )
        .where(todays)
        .group_by(Ticket.service_id)
    )
    for service_id, waiting, oldest, served, no_show in counts:
        line = lines[service_id]
        line.waiting, line.served, line.no_show = waiting, served, no_show
        if oldest is not None:
            line.oldest_arrived_at = oldest
            line.longest_wait_minutes = max(
                0, int((now - oldest).total_seconds() // 60)
            )
    histograms = {service_id: [0] * BUCKETS for service_id in lines}
    sums = dict.fromkeys(lines, 0)
    # A wait ends at the first call (called_at is the latest, after recalls).
    first_call = func.coalesce(Ticket.first_called_at, Ticket.called_at)
    waits = db.session.execute(
        select(Ticket.service_id, Ticket.arrived_at, first_call).where(
            todays, first_call.is_not(None)
        )
    )
    for service_id, arrived_at, called_at in waits:
        # Whole seconds, as the rollups count them (analytics/facts.py).
        seconds = int((called_at - arrived_at).total_seconds())
        histograms[service_id][bucket_of(seconds)] += 1
        sums[service_id] += seconds
    for service_id, line in lines.items():
        line.called = sum(histograms[service_id])
        if line.called:
            line.wait_mean_minutes = sums[service_id] / 60 / line.called
            line.wait_p90_minutes = p90_minutes(histograms[service_id])
    counters = db.session.execute(
        select(
            counter_services.c.service_id,
            Counter.number,
            Counter.name,
            User.full_name,
            User.email,
        )
        .join(Counter, Counter.id == counter_services.c.counter_id)
        .outerjoin(User, User.id == Counter.agent_id)
        .where(
            counter_services.c.service_id.in_(list(lines)),
            Counter.status == CounterStatus.OPEN,
        )
        .order_by(Counter.number)
    )
    for service_id, number, name, full_name, email in counters:
        agent = (full_name or email) if email else None  # as User.display_name
        lines[service_id].counters.append(OpenCounter(number, name, agent))
    return list(lines.values())
