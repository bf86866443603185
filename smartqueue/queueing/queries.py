"""Reads of the queue engine: positions, waiting lines, estimates."""

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    Integer,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..models import (
    Counter,
    CounterStatus,
    Service,
    Ticket,
    TicketStatus,
    counter_services,
)

RECENT_SERVED = 20
COUNT_CAP = 999  # waiting counts past this read "999+" (see count_waiting)


@dataclass(frozen=True)
class WaitEstimate:
    ahead: int
    # Not compared: what is shown is the range, and live pages send a new estimate only
    # when what it shows moved.
    minutes: int = field(compare=False)
    low: int
    high: int

    @property
    def label(self) -> str:
        if self.high <= 0:
            return "0 min"
        if self.low == self.high:
            return f"{self.low} min"
        return f"{self.low}–{self.high} min"


def get_ticket_by_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Ticket)
        .where(Ticket.token == token)
        .options(
            joinedload(Ticket.service), joinedload(Ticket.counter)
        )  # one statement
    )


def count_ahead(ticket: Ticket) -> int:
    """Waiting tickets that go before this one in its service's line."""
    if ticket.status is not TicketStatus.WAITING:
        return 0
    return db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.service_id == ticket.service_id,
            Ticket.status == TicketStatus.WAITING,
            (Ticket.rank_key < ticket.rank_key)
            | ((Ticket.rank_key == ticket.rank_key) & (Ticket.id < ticket.id)),
        )
    )


def mean_service_minutes(service: Service) -> float:
    """Mean of the last RECENT_SERVED service times, else the service's own estimate."""
    rows = db.session.execute(
        select(Ticket.serving_at, Ticket.finished_at)
        .where(
            Ticket.service_id == service.id,
            Ticket.status == TicketStatus.SERVED,
            Ticket.serving_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT_SERVED)
    ).all()
    if not rows:
        return float(service.estimated_minutes)
    total = sum((done - start).total_seconds() for start, done in rows)
    return max(total / len(rows) / 60, 0.5)


def count_open_counters(service: Service) -> int:
    return (
        db.session.scalar(
            select(func.count(Counter.id))
            .join(counter_services, counter_services.c.counter_id == Counter.id)
            .where(
                counter_services.c.service_id == service.id,
                Counter.status == CounterStatus.OPEN,
            )
        )
        or 0
    )


def estimate_wait(service: Service, ahead: int) -> WaitEstimate:
    """Tickets ahead x recent mean service time / open counters, shown as a range."""
    return wait_range(
        ahead, mean_service_minutes(service), count_open_counters(service)
    )


def wait_range(ahead: int, mean_minutes: float, open_counters: int) -> WaitEstimate:
    """The estimate from its three inputs: read once for a whole line (live pages),
    or per ticket (estimate_wait)."""
    minutes = ahead * mean_minutes / max(open_counters, 1)
    low = max(0, int(math.floor(minutes * 0.75 / 5) * 5)) if minutes >= 5 else 0
    high = int(math.ceil(minutes * 1.25 / 5) * 5) if minutes > 0 else 0
    return WaitEstimate(
        ahead=ahead, minutes=round(minutes), low=low, high=max(high, low)
    )


def estimate_ticket_wait(ticket: Ticket) -> WaitEstimate:
    return estimate_wait(ticket.service, count_ahead(ticket))


def waiting_tokens(service_id: int) -> list[str]:
    """The tokens of a service's waiting tickets in calling order (each one's index is
    count_ahead): live ticket pages read their whole line once per change."""
    return list(
        db.session.scalars(
            select(Ticket.token)
            .where(Ticket.service_id == service_id, Ticket.status == WAITING)
            .order_by(Ticket.rank_key, Ticket.id)
        )
    )


WAITING = literal_column("'waiting'")  # a literal, so that the partial indexes apply


def _per_service(service_ids: list[int], value) -> list:
    """(service_id, value(service_id)) for each service, in one statement: a UNION ALL of
    one small index read per service."""
    if not service_ids:
        return []
    statement = _per_service_statement(value, len(service_ids))
    params = {f"s{n}": service_id for n, service_id in enumerate(service_ids)}
    return db.session.execute(statement, params).all()


@functools.cache
def _per_service_statement(value, services: int):
    """Built once per (read, number of services): screens redraw these counts after every
    change, and building the statement cost more than running it."""
    parts = []
    for n in range(services):
        service_id = bindparam(f"s{n}", type_=Integer)
        parts.append(
            select(service_id.label("service_id"), value(service_id).label("v"))
        )
    return union_all(*parts)


def _capped_count(service_id):
    head = (
        select(Ticket.id)
        .where(Ticket.service_id == service_id, Ticket.status == WAITING)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    return select(func.count()).select_from(head).scalar_subquery()


def _oldest_arrival(service_id):
    return (
        select(func.min(Ticket.arrived_at))
        .where(Ticket.service_id == service_id, Ticket.status == WAITING)
        .scalar_subquery()
    )


def count_waiting(service_ids: list[int]) -> dict[int, int]:
    """How many tickets wait in each service's line, counted up to COUNT_CAP.

    Screens redraw these counts after every move; counting a line of 100 000 would make
    each call cost more as the line grows. Each service's count reads at most COUNT_CAP
    entries of its waiting-line index, so a screen shows "999+" past that.
    """
    return dict(_per_service(service_ids, _capped_count))


def waiting_since(service_ids: list[int]) -> dict[int, datetime]:
    """The arrival of the oldest waiting ticket of each service that has one (an index
    lookup per service: ix_ticket_waiting_arrival)."""
    rows = _per_service(service_ids, _oldest_arrival)
    return {service_id: since for service_id, since in rows if since is not None}


def count_waiting_by_service(branch_id: int) -> dict[int, int]:
    """count_waiting for every service of a branch."""
    ids = db.session.scalars(select(Service.id).where(Service.branch_id == branch_id))
    return count_waiting(list(ids))


def list_waiting(service_ids: list[int], limit: int = 50) -> list[Ticket]:
    """The waiting line of some services, in calling order (strategy keys)."""
    if not service_ids:
        return []
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.service_id.in_(service_ids),
                Ticket.status == TicketStatus.WAITING,
            )
            .order_by(Ticket.rank_key, Ticket.id)
            .limit(limit)
        )
    )


def list_recent_calls(branch_id: int, limit: int = 8) -> list[Ticket]:
    """The latest tickets called in a branch (for the display board)."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                Ticket.branch_id == branch_id,
                Ticket.day == clock.today(),
                Ticket.called_at.is_not(None),
                Ticket.status.in_(
                    (TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.SERVED)
                ),
            )
            .options(joinedload(Ticket.counter), joinedload(Ticket.service))
            .order_by(Ticket.called_at.desc())
            .limit(limit)
        )
    )


def get_current_ticket(counter: Counter) -> Ticket | None:
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.counter_id == counter.id,
            Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
        )
        .limit(1)
    )


def count_today_at_counter(counter: Counter) -> dict[str, int]:
    """Today's tally of a counter: served, no-shows, transferred."""
    rows = db.session.execute(
        select(Ticket.status, func.count(Ticket.id))
        .where(Ticket.counter_id == counter.id, Ticket.day == clock.today())
        .group_by(Ticket.status)
    ).all()
    return {status.value: n for status, n in rows}


def list_customer_tickets(customer_id: int, limit: int = 20) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer_id)
            .options(selectinload(Ticket.service), selectinload(Ticket.branch))
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
    )
