"""What the counter screen shows, read once for the page, its htmx fragment and its socket.

The engine's queries give the current ticket, the head of each line and the day's tally;
each line's count (bounded, see queries.count_waiting) and oldest arrival come from
queries too: the screen's cost does not grow with the length of the lines.
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..appointments import queries as appointments
from ..extensions import db
from ..models import (
    Appointment,
    Branch,
    Counter,
    CounterEvent,
    QueueStatus,
    Service,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from ..orgs.queries import list_counter_services, list_services
from ..queueing import queries, rules

HEAD = 6  # tickets shown at the head of each line
OUT_OF_TURN_CHOICES = 60  # waiting tickets offered to call out of turn


@dataclass(frozen=True)
class Line:
    """One service's waiting line, as the agent sees it."""

    service: Service
    count: int
    longest_wait: int  # seconds the longest-waiting ticket has waited (0: nobody)
    head: list[Ticket]

    @property
    def is_open(self) -> bool:
        queue = self.service.queue
        return queue is None or queue.status is QueueStatus.ACTIVE


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
        ids = [line.service.id for line in self.lines if line.count]
        return queries.list_waiting(ids, limit=OUT_OF_TURN_CHOICES)

    # Read only when the panel is drawn: a socket's redraw after another counter's call
    # usually leaves the panel out (see realtime/counter.py).
    @functools.cached_property
    def transfer_to(self) -> list[Service]:
        """The services the current ticket may be transferred to."""
        current = self.ticket.service_id if self.ticket is not None else None
        return [
            s
            for s in list_services(self.counter.branch_id)
            if s.is_active and s.id != current
        ]

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
    def panel_key(self) -> tuple:
        """Changes exactly when the panel would render differently (bar the clock)."""
        t = self.ticket
        return (
            self.counter.status,
            self.counter.agent_id,
            self.counter.agent_since,
            t and (t.id, t.status, t.recall_count, t.called_at, t.serving_at),
        )

    @property
    def panel_version(self) -> str:
        """panel_key as a short string the page hands its socket (see realtime/counter.py)."""
        return hashlib.sha1(repr(self.panel_key).encode()).hexdigest()[:12]


def _seconds(since: datetime | None, now: datetime) -> int:
    return max(0, int((now - since).total_seconds())) if since else 0


def get_counter_screen(counter: Counter, viewer_id: int | None = None) -> CounterScreen:
    """The counter, its current ticket, its services' lines and today's tally, as the
    agent `viewer_id` sees them."""
    now = clock.now()
    services = list_counter_services(counter.id)
    ids = [s.id for s in services]
    counts = queries.count_waiting(ids)
    oldest = queries.waiting_since(ids)
    lines = []
    for service in services:
        count = counts.get(service.id, 0)
        head = queries.list_waiting([service.id], limit=HEAD) if count else []
        since = _seconds(oldest.get(service.id), now)
        lines.append(Line(service, count, since, head))
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
