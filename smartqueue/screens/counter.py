"""What the counter screen shows, read once for the page, its htmx fragment and its socket.

The engine's queries give the current ticket and the day's tally; each line's count
(bounded, see queries.count_waiting), oldest arrival and head are read for all of its
services at once: the screen's cost does not grow with the length of the lines.

The lines are plain data (Line), so that the counter sockets of a process can share them:
after a change in a branch, read_branch() reads every line of the branch and every
counter's panel state once (a handful of statements whatever the number of screens), and
each socket picks its services' lines and learns whether its panel changed without a
query of its own (realtime/counter.py).
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask import get_template_attribute, render_template
from markupsafe import Markup
from sqlalchemy import and_, select, union_all
from sqlalchemy.orm import selectinload

from .. import clock
from ..appointments import queries as appointments
from ..extensions import db
from ..models import (
    Appointment,
    Branch,
    Counter,
    CounterEvent,
    CounterStatus,
    Priority,
    QueueStatus,
    Service,
    Ticket,
    TicketEvent,
    TicketStatus,
    counter_services,
)
from ..orgs.queries import list_counter_services, list_services
from ..queueing import queries, rules

HEAD = 6  # tickets shown at the head of each line
OUT_OF_TURN_CHOICES = 60  # waiting tickets offered to call out of turn
CURRENT = (TicketStatus.CALLED, TicketStatus.SERVING)


@dataclass(frozen=True)
class Chip:
    """A ticket at the head of a line."""

    code: str
    priority: Priority


@dataclass(frozen=True)
class Line:
    """One service's waiting line, as the agents see it. Two readings compare equal when
    the list shows the same thing (the longest wait's seconds tick in the page)."""

    service_id: int
    prefix: str
    names: tuple[tuple[str, str], ...]  # (locale, the service's name there)
    queue_status: QueueStatus | None
    count: int
    since: datetime | None  # arrival of the longest-waiting ticket
    head: tuple[Chip, ...]
    read_at: datetime = field(compare=False)

    def name_for(self, locale: str) -> str:
        return dict(self.names).get(str(locale)) or dict(self.names)["fr"]

    @property
    def is_open(self) -> bool:
        return self.queue_status in (None, QueueStatus.ACTIVE)

    @property
    def longest_wait(self) -> int:
        """Seconds the longest-waiting ticket had waited when the line was read."""
        return _seconds(self.since, self.read_at)


def _names(service: Service) -> tuple[tuple[str, str], ...]:
    return tuple((locale, service.name_for(locale)) for locale in ("fr", "wo", "en"))


def _heads(counts: dict[int, int]) -> dict[int, tuple[Chip, ...]]:
    """The first HEAD waiting tickets of each line that has some, in one statement (a
    UNION ALL of one small index read per service)."""
    ids = [service_id for service_id, count in counts.items() if count]
    if not ids:
        return {}
    parts = [
        select(
            Ticket.service_id, Ticket.code, Ticket.priority, Ticket.rank_key, Ticket.id
        )
        .where(Ticket.service_id == service_id, Ticket.status == queries.WAITING)
        .order_by(Ticket.rank_key, Ticket.id)
        .limit(HEAD)
        .subquery()
        for service_id in ids
    ]
    rows = db.session.execute(union_all(*(select(*part.c) for part in parts))).all()
    heads: dict[int, list] = {service_id: [] for service_id in ids}
    for row in sorted(rows, key=lambda r: (r.rank_key, r.id)):
        heads[row.service_id].append(Chip(row.code, row.priority))
    return {service_id: tuple(chips) for service_id, chips in heads.items()}


def read_lines(services: list[Service], now: datetime) -> list[Line]:
    """The lines of `services` (with their queue loaded), in their order: three
    statements, whatever the number of services."""
    ids = [s.id for s in services]
    counts = queries.count_waiting(ids) if ids else {}
    oldest = queries.waiting_since(ids) if ids else {}
    heads = _heads(counts)
    return [
        Line(
            service_id=s.id,
            prefix=s.prefix,
            names=_names(s),
            queue_status=s.queue.status if s.queue else None,
            count=counts.get(s.id, 0),
            since=oldest.get(s.id),
            head=heads.get(s.id, ()),
            read_at=now,
        )
        for s in services
    ]


@dataclass(frozen=True)
class PanelState:
    """What the current-ticket panel shows, as far as the branch's reading tells (bar the
    clock, the out-of-turn choices and the waiting count of its hint, see
    waiting_hint): a counter socket redraws its panel only when this changes."""

    number: int
    status: CounterStatus
    agent_id: int | None
    agent_since: datetime | None
    ticket: tuple | None  # (id, status, recalls, called_at, serving_at)
    services: tuple  # the branch's services: the transfer list and the ticket's name

    @property
    def version(self) -> str:
        """A short string the page hands its socket (see realtime/counter.py)."""
        return hashlib.sha1(repr(self).encode()).hexdigest()[:12]

    @property
    def shows_waiting(self) -> bool:
        """The panel's hint says how many wait (an open counter with no ticket)."""
        return self.ticket is None and self.status is CounterStatus.OPEN


def _services_key(services: list[Service]) -> tuple:
    return tuple((s.id, s.prefix, _names(s), s.is_active) for s in services)


def _ticket_key(ticket) -> tuple | None:
    if ticket is None:
        return None
    return (
        ticket.id,
        ticket.status,
        ticket.recall_count,
        ticket.called_at,
        ticket.serving_at,
    )


@dataclass(frozen=True)
class CounterScreen:
    counter: Counter
    ticket: Ticket | None
    since: int  # seconds since the current ticket was called (or started)
    lines: list[Line]
    tally: dict[str, int]
    viewer_id: int | None = None  # the agent looking at the screen
    max_recalls: int = rules.MAX_RECALLS

    @property
    def is_held_by_other(self) -> bool:
        """Another agent holds this counter: the viewer may only take it over."""
        holder = self.counter.agent_id
        return holder is not None and holder != self.viewer_id

    @functools.cached_property
    def was_taken_from_viewer(self) -> bool:
        """The counter's last change was another agent taking it from the viewer."""
        last = db.session.execute(
            select(CounterEvent.action, CounterEvent.from_user_id)
            .where(CounterEvent.counter_id == self.counter.id)
            .order_by(CounterEvent.id.desc())
            .limit(1)
        ).first()
        return last is not None and tuple(last) == ("take_over", self.viewer_id)

    @functools.cached_property
    def out_of_turn_reason(self) -> str | None:
        """Why the current ticket was called before its turn, if it was."""
        if self.ticket is None:
            return None
        last = db.session.execute(
            select(TicketEvent.action, TicketEvent.note)
            .where(
                TicketEvent.ticket_id == self.ticket.id,
                TicketEvent.action.in_(("call", "call_out_of_turn")),
            )
            .order_by(TicketEvent.id.desc())
            .limit(1)
        ).first()
        return last.note if last and last.action == "call_out_of_turn" else None

    @functools.cached_property
    def callable_tickets(self) -> list[Ticket]:
        """The waiting tickets an agent may call out of turn here, in calling order."""
        ids = [line.service_id for line in self.lines if line.count]
        return queries.list_waiting(ids, limit=OUT_OF_TURN_CHOICES)

    @functools.cached_property
    def branch_services(self) -> list[Service]:
        return list_services(self.counter.branch_id)

    # Read only when the panel is drawn (or its version asked by the page): a socket's
    # redraw after another counter's call usually leaves the panel out.
    @property
    def transfer_to(self) -> list[Service]:
        """The services the current ticket may be transferred to."""
        current = self.ticket.service_id if self.ticket is not None else None
        return [s for s in self.branch_services if s.is_active and s.id != current]

    @functools.cached_property
    def appointment(self) -> Appointment | None:
        """The current ticket's appointment, if it came from one."""
        if self.ticket is None:
            return None
        return appointments.get_ticket_appointment(self.ticket.id)

    @property
    def waiting(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def panel_state(self) -> PanelState:
        c = self.counter
        return PanelState(
            number=c.number,
            status=c.status,
            agent_id=c.agent_id,
            agent_since=c.agent_since,
            ticket=_ticket_key(self.ticket),
            services=_services_key(self.branch_services),
        )

    @property
    def panel_version(self) -> str:
        return self.panel_state.version


def _seconds(since: datetime | None, now: datetime) -> int:
    return max(0, int((now - since).total_seconds())) if since else 0


def _panel_screen(
    counter: Counter, lines: list[Line], viewer_id: int | None, now: datetime
) -> CounterScreen:
    ticket = queries.get_current_ticket(counter)
    since = None
    if ticket is not None:
        since = ticket.serving_at if ticket.status is TicketStatus.SERVING else None
        since = since or ticket.called_at
    return CounterScreen(
        counter=counter,
        ticket=ticket,
        since=_seconds(since, now),
        lines=lines,
        tally=queries.count_today_at_counter(counter),
        viewer_id=viewer_id,
    )


def get_counter_screen(counter: Counter, viewer_id: int | None = None) -> CounterScreen:
    """The counter, its current ticket, its services' lines and today's tally, as the
    agent `viewer_id` sees them."""
    now = clock.now()
    lines = read_lines(list_counter_services(counter.id), now)
    return _panel_screen(counter, lines, viewer_id, now)


def get_counter_panel(
    counter: Counter, lines: list[Line], viewer_id: int | None
) -> CounterScreen:
    """get_counter_screen with lines already read (a socket's share of its branch's)."""
    return _panel_screen(counter, lines, viewer_id, clock.now())


@dataclass(frozen=True)
class BranchScreens:
    """What every counter screen of a branch shows of its lines and panel state, read
    once per change per process (realtime/counter.py)."""

    lines: dict[int, Line]  # active service id -> its line
    services_of: dict[
        int, tuple[int, ...]
    ]  # counter id -> its active services, by letter
    panels: dict[int, PanelState]  # counter id -> its panel's state

    def lines_of(self, counter_id: int) -> list[Line]:
        return [self.lines[s] for s in self.services_of.get(counter_id, ())]


def read_branch(branch_id: int) -> BranchScreens:
    """Every counter screen's lines and panel state of `branch_id` now: six statements,
    whatever the number of its counters, services and screens open."""
    now = clock.now()
    services = list_services(branch_id)  # by letter, each with its queue
    active = [s for s in services if s.is_active]
    lines = {line.service_id: line for line in read_lines(active, now)}
    links = db.session.execute(
        select(counter_services.c.counter_id, counter_services.c.service_id)
        .join(Counter, Counter.id == counter_services.c.counter_id)
        .where(Counter.branch_id == branch_id)
    ).all()
    order = {s.id: n for n, s in enumerate(active)}
    services_of: dict[int, list[int]] = {}
    for counter_id, service_id in links:
        if service_id in order:
            services_of.setdefault(counter_id, []).append(service_id)
    rows = db.session.execute(
        select(
            Counter.id,
            Counter.number,
            Counter.status,
            Counter.agent_id,
            Counter.agent_since,
            Ticket.id,
            Ticket.status,
            Ticket.recall_count,
            Ticket.called_at,
            Ticket.serving_at,
        )
        .outerjoin(
            Ticket,
            and_(Ticket.counter_id == Counter.id, Ticket.status.in_(CURRENT)),
        )
        .where(Counter.branch_id == branch_id)
        .order_by(Counter.id, Ticket.id)
    ).all()
    services_key = _services_key(services)
    panels: dict[int, PanelState] = {}
    for row in rows:
        counter_id, number, status, agent_id, agent_since, *ticket = row
        panels.setdefault(
            counter_id,
            PanelState(
                number=number,
                status=status,
                agent_id=agent_id,
                agent_since=agent_since,
                ticket=tuple(ticket) if ticket[0] is not None else None,
                services=services_key,
            ),
        )
    return BranchScreens(
        lines=lines,
        services_of={
            c: tuple(sorted(ids, key=order.get)) for c, ids in services_of.items()
        },
        panels=panels,
    )


def list_counter_branches(branch_ids: set[int]) -> list[Branch]:
    """The branches an agent may work at, with their counters and those counters' services."""
    return list(
        db.session.scalars(
            select(Branch)
            .where(Branch.id.in_(branch_ids))
            .options(
                selectinload(Branch.organization),
                selectinload(Branch.counters).selectinload(Counter.services),
                selectinload(Branch.counters).selectinload(Counter.agent),
            )
            .order_by(Branch.name)
        )
    )


def render_update(
    screen: CounterScreen,
    *,
    with_panel: bool = True,
    error: str | None = None,
    notice: str | None = None,
) -> str:
    """The screen's regions as out-of-band swaps: an htmx answer, or a socket message."""
    return render_template(
        "agent/_counter_update.html",
        screen=screen,
        with_panel=with_panel,
        error=error,
        notice=notice,
        oob=True,
    )


def render_panel(screen: CounterScreen) -> str:
    """The current-ticket panel alone, out of band (a socket's, when it changed)."""
    return render_template(
        "agent/_counter_panel.html", screen=screen, error=None, notice=None, oob=True
    )


def render_line(line: Line) -> Markup:
    """One line of the waiting list, in the request's language: drawn once per change
    per language for all the counter screens of a process."""
    return get_template_attribute("agent/_waiting.html", "line_part")(line)


@dataclass(frozen=True)
class WaitingList:
    """The waiting list of one screen, its lines already drawn (render_line)."""

    lines: list[Line]
    drawn: list[Markup]

    @property
    def waiting(self) -> int:
        return sum(line.count for line in self.lines)


def render_waiting(lines: list[Line], drawn: list[Markup]) -> str:
    """A screen's #waiting-list, out of band, from its lines' drawn parts."""
    return render_template(
        "agent/_waiting.html", screen=WaitingList(lines, drawn), oob=True
    )


def render_waiting_hint(waiting: int) -> str:
    """The panel's "N people wait" alone, out of band (the panel itself unchanged)."""
    return get_template_attribute("agent/_waiting.html", "waiting_hint")(
        waiting, oob=True
    )


def render_tally(tally: dict[str, int]) -> str:
    return render_template("agent/_tally.html", screen={"tally": tally}, oob=True)
