"""The statements of issuing a ticket, in SQLAlchemy Core, built once per process.

Issuing is the write every kiosk and phone makes; building a statement and going through
the ORM cost more CPU than PostgreSQL spends running it. Here each statement is a module
constant with bind parameters, so a request only binds values (SQLAlchemy caches the
compiled SQL) and reads plain rows. Same SQL on SQLite and PostgreSQL except where noted.
"""

import functools
from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import (
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal_column,
    select,
)

from ..models import (
    Branch,
    BranchClosure,
    Counter,
    CounterStatus,
    OpeningHours,
    Organization,
    Plan,
    Queue,
    QueueStatus,
    QueueType,
    Service,
    Strategy,
    Ticket,
    TicketEvent,
    TicketStatus,
    counter_services,
)
from .numbering import next_value_statement, take_next

_queue = Queue.__table__
_service = Service.__table__
_branch = Branch.__table__
_organization = Organization.__table__
_hours = OpeningHours.__table__
_hours_before = _hours.alias("hours_before")  # the day before's (overnight spans)
_closure = BranchClosure.__table__
_ticket = Ticket.__table__
_event = TicketEvent.__table__


class IssueInputs(NamedTuple):
    """Everything the rules of issuing read, from one row."""

    queue_status: QueueStatus
    capacity: int
    strategy: Strategy
    queue_type: QueueType  # VIP and express tickets are paid for (payments/fees.py)
    service_active: bool
    requires_appointment: bool
    prefix: str
    branch_id: int
    branch_active: bool
    organization_id: int
    organization_active: bool
    plan: Plan
    opens_at: time | None
    closes_at: time | None
    closed_today: bool


# Not locked: issuers of a service queue up on its daily number (numbering.py) instead,
# for as short a time as possible. A capacity is checked under the queue's lock (below).
_ISSUE_INPUTS = (
    select(
        _queue.c.status,
        _queue.c.capacity,
        _queue.c.strategy,
        _queue.c.type,
        _service.c.is_active,
        _service.c.requires_appointment,
        _service.c.prefix,
        _branch.c.id,
        _branch.c.is_active,
        _organization.c.id,
        _organization.c.is_active,
        _organization.c.plan,
        _hours.c.opens_at,
        _hours.c.closes_at,
        exists()
        .where(
            _closure.c.branch_id == _branch.c.id,
            _closure.c.date == bindparam("local_date"),
        )
        .label("closed_today"),
        _hours_before.c.opens_at,
        _hours_before.c.closes_at,
        exists()
        .where(
            _closure.c.branch_id == _branch.c.id,
            _closure.c.date == bindparam("day_before"),
        )
        .label("closed_day_before"),
    )
    .select_from(
        _service.join(_queue, _queue.c.service_id == _service.c.id)
        .join(_branch, _branch.c.id == _service.c.branch_id)
        .join(_organization, _organization.c.id == _branch.c.organization_id)
        .outerjoin(
            _hours,
            and_(
                _hours.c.branch_id == _branch.c.id,
                _hours.c.weekday == bindparam("weekday"),
            ),
        )
        .outerjoin(
            _hours_before,
            and_(
                _hours_before.c.branch_id == _branch.c.id,
                _hours_before.c.weekday == bindparam("weekday_before"),
            ),
        )
    )
    .where(_service.c.id == bindparam("service_id"))
)


def issue_inputs(conn, service_id: int, local: datetime) -> IssueInputs | None:
    """The rules' inputs for a service at `local` (Dakar time); None if the service has
    no queue yet (or does not exist)."""
    row = conn.execute(
        _ISSUE_INPUTS,
        {
            "service_id": service_id,
            "weekday": local.weekday(),
            "local_date": local.date(),
            "weekday_before": (local.weekday() - 1) % 7,
            "day_before": local.date() - timedelta(days=1),
        },
    ).first()
    if row is None:
        return None
    inputs = IssueInputs(*row[:15])
    opens_before, closes_before, closed_day_before = row[15:]
    # In the night's tail of the day before's span (20:00-02:00 at 00:30), the rules
    # see that tail as this day's hours (00:00-02:00): it is what applies now.
    if (
        opens_before is not None
        and not closed_day_before
        and time(0) < closes_before < opens_before
        and local.time() < closes_before
    ):
        inputs = inputs._replace(
            opens_at=time(0), closes_at=closes_before, closed_today=False
        )
    return inputs


_LOCK_QUEUE = (
    select(_queue.c.capacity)
    .where(_queue.c.service_id == bindparam("service_id"))
    .with_for_update()
)
_WAITING_UPTO = select(func.count()).select_from(
    select(_ticket.c.id)
    .where(
        _ticket.c.service_id == bindparam("service_id"),
        _ticket.c.status == TicketStatus.WAITING,
    )
    .limit(bindparam("upto"))
    .subquery()
)


def has_room(conn, service_id: int) -> bool:
    """Whether a capacity-limited queue has room for one more waiting ticket. Locks the
    queue's row until commit, so that two issuers cannot both take the last place."""
    capacity = conn.execute(_LOCK_QUEUE, {"service_id": service_id}).scalar_one()
    if not capacity:
        return True
    waiting = conn.execute(
        _WAITING_UPTO, {"service_id": service_id, "upto": capacity}
    ).scalar_one()
    return waiting < capacity


def ticket_code(prefix: str, number: int) -> str:
    """'A007': the service's prefix and at least three digits (A1000 after A999)."""
    return f"{prefix}{number:03d}"


# What the caller gives of a new ticket (the number and its code come from the counter).
TICKET_VALUES = tuple(
    c.name for c in _ticket.columns if c.name not in ("id", "number", "code")
)
EVENT_VALUES = tuple(
    c.name for c in _event.columns if c.name not in ("id", "ticket_id")
)


def _scalar_default(column):
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


# Every column a new ticket's row needs, with its model default: the prepared inserts
# bind each one by name, so a column added to the model is covered here, not forgotten
# in the caller (PostgreSQL's one-statement insert would refuse a missing bind).
TICKET_DEFAULTS = {c: _scalar_default(_ticket.c[c]) for c in TICKET_VALUES}


def new_ticket_values(**values) -> dict:
    """A new ticket's row: the given values over the table's defaults (unknown names refused)."""
    unknown = values.keys() - TICKET_DEFAULTS.keys()
    if unknown:
        raise TypeError(f"not ticket columns: {sorted(unknown)}")
    return {**TICKET_DEFAULTS, **values}


_INSERT_TICKET = insert(_ticket).returning(_ticket.c.id)
_INSERT_EVENT = insert(_event)


@functools.cache
def _numbered_insert_postgresql():
    """Number, ticket and first event in one statement: issuers of a service queue up on
    the counter's row from this statement to the commit, and no longer."""
    number = next_value_statement("postgresql", limited=False).cte("number")
    digits = cast(number.c.value, Text)
    code = bindparam("prefix", type_=String) + case(
        (number.c.value < 1000, func.lpad(digits, 3, "0")), else_=digits
    )
    ticket = (
        insert(_ticket)
        .from_select(
            [*TICKET_VALUES, "number", "code"],
            select(
                *(
                    bindparam(name, type_=_ticket.c[name].type)
                    for name in TICKET_VALUES
                ),
                number.c.value,
                code,
            ),
        )
        .returning(_ticket.c.id, _ticket.c.number)
        .cte("ticket")
    )
    event = (
        insert(_event)
        .from_select(
            [*EVENT_VALUES, "ticket_id"],
            select(
                *(
                    bindparam(f"event_{name}", type_=_event.c[name].type)
                    for name in EVENT_VALUES
                ),
                ticket.c.id,
            ),
        )
        .cte("event")
    )
    return select(ticket.c.id, ticket.c.number).add_cte(event)


def insert_numbered_ticket(
    conn, prefix: str, values: dict, event: dict
) -> tuple[int, int]:
    """Take the service's next number of the day and write the ticket with it, and its
    first event; (ticket id, number). `values`: TICKET_VALUES; `event`: EVENT_VALUES."""
    if conn.dialect.name == "postgresql":
        params = {
            **values,
            **{f"event_{name}": value for name, value in event.items()},
            "prefix": prefix,
            "scope": "service",
            "scope_id": values["service_id"],
        }
        ticket_id, number = conn.execute(_numbered_insert_postgresql(), params).one()
        return ticket_id, number
    # SQLite: one writer at a time anyway; three statements.
    number = take_next("service", values["service_id"], values["day"])
    ticket_id = conn.execute(
        _INSERT_TICKET,
        {**values, "number": number, "code": ticket_code(prefix, number)},
    ).scalar_one()
    conn.execute(_INSERT_EVENT, {**event, "ticket_id": ticket_id})
    return ticket_id, number


def insert_transferred_ticket(conn, code: str, values: dict, event: dict) -> int:
    """Write a transferred ticket under the code it already had, with no number of its
    new line's day, and its first event; its id."""
    ticket_id = conn.execute(
        _INSERT_TICKET, {**values, "number": None, "code": code}
    ).scalar_one()
    conn.execute(_INSERT_EVENT, {**event, "ticket_id": ticket_id})
    return ticket_id


# What a new ticket is told it will wait (queries.wait_range's three inputs), read as it is
# issued so that analytics can compare it with the wait it had. Literal statuses, so that
# PostgreSQL plans with the partial indexes on waiting and served tickets.
RECENT_SERVED = 20  # as queries.RECENT_SERVED
_WAIT_INPUTS = select(
    select(func.count())
    .select_from(_ticket)
    .where(
        _ticket.c.service_id == bindparam("service_id"),
        _ticket.c.status == literal_column("'waiting'"),
        _ticket.c.rank_key <= bindparam("rank_key"),
    )
    .scalar_subquery(),
    select(func.count())
    .select_from(Counter.__table__.join(counter_services))
    .where(
        counter_services.c.service_id == bindparam("service_id"),
        Counter.__table__.c.status == CounterStatus.OPEN,
    )
    .scalar_subquery(),
    select(_service.c.estimated_minutes)
    .where(_service.c.id == bindparam("service_id"))
    .scalar_subquery(),
)
_RECENT_SERVICE_TIMES = (
    select(_ticket.c.serving_at, _ticket.c.finished_at)
    .where(
        _ticket.c.service_id == bindparam("service_id"),
        _ticket.c.status == literal_column("'served'"),
        _ticket.c.serving_at.is_not(None),
    )
    .order_by(_ticket.c.finished_at.desc())
    .limit(RECENT_SERVED)
)


def wait_inputs(conn, service_id: int, rank_key: float) -> tuple[int, float, int]:
    """(tickets ahead, recent mean service minutes, open counters) for a ticket about to
    join a service's line at `rank_key`: everyone waiting at or before it is ahead."""
    ahead, counters, estimated = conn.execute(
        _WAIT_INPUTS, {"service_id": service_id, "rank_key": rank_key}
    ).one()
    times = conn.execute(_RECENT_SERVICE_TIMES, {"service_id": service_id}).all()
    if times:
        total = sum((done - start).total_seconds() for start, done in times)
        mean = max(total / len(times) / 60, 0.5)
    else:
        mean = float(estimated)
    return ahead, mean, counters
