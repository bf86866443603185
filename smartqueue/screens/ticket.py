"""A ticket's live fragment: for its page, the page's htmx answers and its socket.

A page is drawn whole once (render_live_ticket). After that, most changes only move its
line: LineSnapshot reads a service's line once per change (each waiting ticket's place,
the estimate's inputs, the service's names) and each page's socket picks its own Place out
of it without the database, sending only the parts that changed (render_moved).
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, get_template_attribute, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..analytics import confidence, ratings
from ..extensions import db
from ..models import QueueStatus, Service, Ticket, TicketStatus
from ..queueing import queries, rules
from ..queueing.queries import WaitEstimate
from ..travel import queries as travel_queries
from .sockets import socket_path


@dataclass(frozen=True)
class Place:
    """What a waiting ticket's page shows of its line (_ticket_parts.html's place)."""

    estimate: WaitEstimate
    calls_stopped: (
        bool  # call_next skips the line: the holder should know why it stands
    )
    notify_before: int  # "your turn is near" from this many tickets ahead


@dataclass(frozen=True)
class Shown:
    """What a page shows, as far as a move of its line can change it."""

    status: TicketStatus
    service_id: int
    service_name: str
    place: Place | None  # None unless waiting
    locale: str  # the page's language, for the parts a move sends
    # The line's inputs the place was worked out from (LineSnapshot.inputs); None when
    # the page was drawn whole. The same inputs and the same number ahead: the same place.
    line_inputs: tuple | None = None


def _calls_stopped(service: Service) -> bool:
    queue = service.queue
    return not service.is_active or (
        queue is not None and queue.status is not QueueStatus.ACTIVE
    )


def _notify_before(service: Service) -> int:
    return service.queue.notify_before if service.queue else 3


def _successor(ticket: Ticket) -> Ticket | None:
    """The ticket a transfer created from this one."""
    return db.session.scalar(
        select(Ticket).where(Ticket.transferred_from_id == ticket.id).limit(1)
    )


def _place(ticket: Ticket) -> Place | None:
    if ticket.status is not TicketStatus.WAITING:
        return None
    return Place(
        estimate=queries.estimate_ticket_wait(ticket),
        calls_stopped=_calls_stopped(ticket.service),
        notify_before=_notify_before(ticket.service),
    )


def _travel(ticket: Ticket) -> dict:
    """How long the holder takes to come, once they said from where (issue 9): the
    stored plan (None: not asked; no minutes yet: being computed) and, while waiting,
    what to do about it."""
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.CALLED):
        return {"travel_plan": None, "trip": None}
    plan = travel_queries.get_ticket_plan(ticket)
    trip = None
    if plan is not None and plan.travel_minutes is not None:
        trip = travel_queries.ticket_trip_view(ticket)
    return {"travel_plan": plan, "trip": trip}


def _after_service(ticket: Ticket) -> dict:
    """A served ticket's rating (customer/_rating.html): given, open, or too late."""
    if ticket.status is not TicketStatus.SERVED:
        return {"rating": None, "rating_state": None}
    return {
        "rating": ratings.get_rating(ticket.id),
        "rating_state": ratings.rating_state(ticket),
        "rating_words": ratings.rating_words(),
    }


def ticket_context(ticket: Ticket, **extra) -> dict:
    """What _ticket.html needs, for the page, its htmx answers and its socket."""
    waiting = ticket.status is TicketStatus.WAITING
    return dict(
        ticket=ticket,
        place=_place(ticket),
        # How often this service's estimates came true (one read per service and day).
        confidence=confidence.estimate_confidence(ticket.service_id)
        if waiting
        else None,
        **_travel(ticket),
        **_after_service(ticket),
        successor=(
            _successor(ticket) if ticket.status is TicketStatus.TRANSFERRED else None
        ),
        socket_path=socket_path("live_ticket.ticket_socket", token=ticket.token),
        passes_left=max(rules.MAX_PASSES - ticket.pass_count, 0),
        pass_places=rules.PASS_PLACES,
        updated_at=clock.now(),
        **extra,
    )


def _locale() -> str:
    return str(get_locale() or "fr")


def render_live_ticket(token: str) -> tuple[str, Shown | None]:
    """The ticket's fragment as an out-of-band swap, for its socket, and what it shows
    (None: no such ticket, and nothing to send)."""
    ticket = queries.get_ticket_by_token(token)
    if ticket is None:
        return "", None
    context = ticket_context(ticket)
    locale = _locale()
    shown = Shown(
        status=ticket.status,
        service_id=ticket.service_id,
        service_name=ticket.service.name_for(locale),
        place=context["place"],
        locale=locale,
    )
    return render_template("customer/_ticket.html", oob=True, **context), shown


@dataclass(frozen=True)
class LineSnapshot:
    """A service's line as every page of it sees it, read once per change."""

    names: dict[str, str]  # locale -> the service's name there
    calls_stopped: bool
    notify_before: int
    mean_minutes: float
    open_counters: int
    ahead: dict[str, int]  # waiting ticket's token -> tickets before it
    read_at: datetime  # to the minute: what the pages say they were updated at

    @property
    def inputs(self) -> tuple:
        """What a place depends on besides the number ahead."""
        return (
            self.calls_stopped,
            self.notify_before,
            self.mean_minutes,
            self.open_counters,
        )

    def place(self, token: str) -> Place | None:
        """The ticket's place, None if it does not wait in this line (any more)."""
        ahead = self.ahead.get(token)
        if ahead is None:
            return None
        return self.place_at(ahead)

    def place_at(self, ahead: int) -> Place:
        return Place(
            estimate=queries.wait_range(ahead, self.mean_minutes, self.open_counters),
            calls_stopped=self.calls_stopped,
            notify_before=self.notify_before,
        )


def read_line(service_id: int) -> LineSnapshot | None:
    """The line of `service_id` now (None: the service is gone). Four statements, whatever
    the number of its pages open."""
    service = db.session.scalar(
        select(Service)
        .where(Service.id == service_id)
        .options(joinedload(Service.queue))
    )
    if service is None:
        return None
    tokens = queries.waiting_tokens(service_id)
    return LineSnapshot(
        names={locale: service.name_for(locale) for locale in ("fr", "wo", "en")},
        calls_stopped=_calls_stopped(service),
        notify_before=_notify_before(service),
        mean_minutes=queries.mean_service_minutes(service),
        open_counters=queries.count_open_counters(service),
        ahead={token: n for n, token in enumerate(tokens)},
        read_at=clock.now().replace(second=0, microsecond=0),
    )


# The parts a line's move sends, drawn once per (language, value) in this process: after
# a call, the place a page now reads was drawn for its neighbour the change before, so a
# thousand pages cost a few macro calls and string joins, not a thousand renders. A
# process must keep at least one part per page it holds (each waiting page has a place of
# its own): two generations of PARTS_KEPT, the older dropped when the newer is full, so
# that what the last changes used stays (a line of 5 000 pages on one process once
# cleared a single 4 096-part cache at every call, and drew every page again).
PARTS_KEPT = 16384


class _Parts:
    def __init__(self):
        self.new: dict = {}
        self.old: dict = {}

    def get(self, key):
        html = self.new.get(key)
        if html is None:
            html = self.old.get(key)
            if html is not None:
                self.put(key, html)
        return html

    def put(self, key, html: str) -> None:
        if len(self.new) >= PARTS_KEPT:
            self.old, self.new = self.new, {}
        self.new[key] = html


def _part(macro: str, locale: str, *args) -> str:
    parts = current_app.extensions.get("sq_ticket_parts")
    if parts is None:
        parts = current_app.extensions.setdefault("sq_ticket_parts", _Parts())
    key = (macro, locale, *args)
    html = parts.get(key)
    if html is None:
        draw = get_template_attribute("customer/_ticket_parts.html", macro)
        with force_locale(locale):  # the page's, whoever draws it
            html = str(draw(*args, oob=True))
        parts.put(key, html)
    return html


def render_moved(
    token: str, shown: Shown, line: LineSnapshot
) -> tuple[str, Shown] | None:
    """What the page of `token`, showing `shown`, must receive now that its line reads
    `line`: the parts that changed ("" when none did) and what it then shows. None when a
    waiting ticket is no longer in the line: it moved itself, and is redrawn whole.
    Needs the app, not the page's request: a line's watch computes it for every page."""
    locale = shown.locale
    name = line.names.get(locale, line.names["fr"])
    place = None
    if shown.place is not None:
        ahead = line.ahead.get(token)
        if ahead is None:
            return None
        inputs = line.inputs
        if (
            ahead == shown.place.estimate.ahead
            and inputs == shown.line_inputs
            and name == shown.service_name
        ):
            return "", shown  # most pages after a finish: nothing built, nothing sent
        place = line.place_at(ahead)
    if name == shown.service_name and place == shown.place:
        return "", shown
    html = []
    if name != shown.service_name:
        html.append(_part("service_name", locale, name))
    if place != shown.place:
        html.append(_part("place", locale, place))
    html.append(_part("updated", locale, line.read_at))
    moved = Shown(shown.status, shown.service_id, name, place, locale, line.inputs)
    return "".join(html), moved
