"""The counter screens of a branch, fed by the broker (in-process and Redis) after a series
of moves: each screen, its messages applied as htmx applies them (out-of-band swaps by
id), reads exactly as a fresh load of its page; a change is read once for all of them;
a change that moves nothing on a screen sends it nothing.

The screens are realtime.counter.CounterSocket, the object each socket holds, given the
messages a subscription to the branch's channel received, in a request of the screen's
agent: what the socket would send is what on_messages returns (the socket's transport is
tested in tests/web/test_agent.py and the browser tests)."""

import re
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import event

from smartqueue import clock
from smartqueue.extensions import db as _db
from smartqueue.models import Channel, CounterStatus, Priority, QueueStatus, User
from smartqueue.orgs.operations import update_counter, update_service
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker, publish
from smartqueue.realtime.counter import CounterSocket
from tests.conftest import AuthActions
from tests.htmx_page import (
    SKIP,
    Node,
    app_config_on_both_brokers,  # noqa: F401
    parse,
    shape,
    swap_out_of_band,
)
from tests.live import flush_new_tickets
from tests.scenarios import OPENING

pytestmark = pytest.mark.backends("sqlite", "postgresql")

REGIONS = ("counter-panel", "waiting-list", "tally")
MARKER = "test-marker"


# --- a screen as the browser holds it -----------------------------------------------------


def _received(node, at: datetime) -> None:
    """Stamp a subtree with the moment the page got it (agent.js counts timers on from
    there)."""
    node.received_at = at
    for child in node.children:
        if isinstance(child, Node):
            _received(child, at)


def _region_shape(node, attrs):
    """What a person sees of a region, bar two things. A timer reads as the moment it
    counts from (agent.js ticks it on from its seconds when received). The out-of-turn
    choices are left out: the socket leaves them as the panel was drawn, so as not to
    change the agent's choice under their hands (a call of a ticket gone meanwhile is
    refused)."""
    if "data-elapsed" in attrs:
        since = node.received_at.timestamp() - int(attrs.pop("data-elapsed"))
        return (node.tag, sorted(attrs.items()), [f"counting from {since}"])
    if attrs.get("id") == "out-of-turn":
        return SKIP
    return None


def regions(page) -> dict:
    return {region: shape(page.find(region)[1], _region_shape) for region in REGIONS}


class Screen:
    """One counter screen: its page, then its socket's messages swapped in."""

    def __init__(self, app, client, counter, user):
        self.app, self.client = app, client
        self.counter_id, self.user_id, self.locale = counter.id, user.id, user.locale
        self.page = self.reload()
        version = re.search(r"\?panel=(\w+)", self.html).group(1)
        self.socket = CounterSocket(counter.id, counter.branch_id, user.id, version)
        self.sent: list[str] = []
        with self.context():
            self.apply(self.socket.draw())
        self.subscription = get_broker().subscribe([channels.branch(counter.branch_id)])

    def reload(self):
        g.pop(
            "_login_user", None
        )  # the test's app context is every request's: its g too
        self.html = self.client.get(f"/agent/counters/{self.counter_id}").get_data(
            as_text=True
        )
        page = parse(self.html)
        _received(page, clock.now())
        return page

    def context(self):
        """The socket's request: its agent (and so the agent's language)."""
        context = self.app.test_request_context(f"/ws/counter/{self.counter_id}")
        context.push()
        g._login_user = _db.session.get(User, self.user_id)
        return _Popping(context)

    def apply(self, out: str) -> None:
        if not out:
            return
        self.sent.append(out)
        swap_out_of_band(
            self.page, out, on_swap=lambda element: _received(element, clock.now())
        )

    def hear(self, messages: list[str]) -> None:
        with self.context():
            self.apply(self.socket.on_messages(messages))
        _db.session.expire_all()

    def shows(self) -> dict:
        return regions(self.page)

    def reloaded(self) -> dict:
        return regions(self.reload())


class _Popping:
    def __init__(self, context):
        self.context = context

    def __enter__(self):
        return self

    def __exit__(self, *_):
        g.pop("_login_user", None)
        self.context.pop()


class Hall:
    """Every counter screen of the branch, fed by one subscription each."""

    def __init__(self, app, branch_id):
        self.app, self.branch_id = app, branch_id
        self.screens: dict[str, Screen] = {}

    def open(self, name, counter, user):
        client = self.app.test_client()
        AuthActions(client).login(user)
        self.screens[name] = Screen(self.app, client, counter, user)
        _db.session.expire_all()

    def settle(self) -> dict[str, list[str]]:
        """Hand each screen what its subscription received (up to a marker published
        after everything else); what each one sent."""
        flush_new_tickets()
        publish(channels.branch(self.branch_id), MARKER)
        sent = {}
        for name, screen in self.screens.items():
            messages = []
            for message in screen.subscription:
                if message == MARKER:
                    break
                assert message is not None, "the marker never came"
                messages.append(message)
            before = len(screen.sent)
            if messages:
                screen.hear(messages)
            sent[name] = screen.sent[before:]
        return sent

    def close(self):
        for screen in self.screens.values():
            screen.subscription.close()


@pytest.fixture
def hall(app, db, make_hall):
    """Services A, B, C; counters 1 (A+B), 2 (A), 3 (B+C), open; one agent each (French,
    Wolof, English), and a manager (French) watching counter 1 held by its agent.
    Tickets wait in A (5, one of them high priority) and B (2)."""
    made = make_hall(
        services=[("A", OPENING), ("B", "Dépôt et retrait", 5), ("C", "Crédit", 20)],
        counters={1: "AB", 2: "A", 3: "BC"},
        staff=(
            {"role": "agent", "locale": "fr"},
            {"role": "agent", "locale": "wo"},
            {"role": "agent", "locale": "en"},
            "branch_manager",
        ),
    )
    for _ in range(4):
        ops.issue_ticket(made.a, channel=Channel.KIOSK)
    ops.issue_ticket(made.a, channel=Channel.KIOSK, priority=Priority.HIGH)
    for _ in range(2):
        ops.issue_ticket(made.b, channel=Channel.KIOSK)
    opened = Hall(app, made.branch.id)
    for n, agent in zip((1, 2, 3), made.staff[:3], strict=True):
        opened.open(f"counter {n}", made.counters[n], agent)
    opened.open("counter 1, manager", made.counters[1], made.manager)
    opened.settle()
    made.live = opened
    yield made
    opened.close()


def first_difference(shown, reloaded, path=""):
    """Where two shapes first differ, to read in a failure."""
    if isinstance(shown, tuple) and isinstance(reloaded, tuple):
        if shown[:2] != reloaded[:2]:
            return f"{path}: {shown[:2]} != {reloaded[:2]}"
        for n, (a, b) in enumerate(zip(shown[2], reloaded[2], strict=False)):
            if a != b:
                return first_difference(a, b, f"{path}/{shown[0]}[{n}]")
        return (
            f"{path}: {shown[2][len(reloaded[2]) :]} / {reloaded[2][len(shown[2]) :]}"
        )
    return f"{path}: {shown!r} != {reloaded!r}"


def assert_every_screen_reads_as_reloaded(hall):
    for name, screen in hall.live.screens.items():
        shown, reloaded = screen.shows(), screen.reloaded()
        for region in REGIONS:
            assert shown[region] == reloaded[region], (
                f"{name}: #{region} "
                + first_difference(shown[region], reloaded[region])
            )


def _current(counter):
    return queries.get_current_ticket(counter)


def _waiting(service):
    return queries.list_waiting([service.id], limit=50)


def _rename(service, name_wo):
    queue = service.queue
    update_service(
        service,
        prefix=service.prefix,
        name_fr=service.name_fr,
        name_wo=name_wo,
        name_en=service.name_en,
        estimated_minutes=service.estimated_minutes,
        queue_status=queue.status if queue else None,
    )


def test_every_counter_screen_reads_as_a_reload_after_a_series_of_moves(
    app, db, hall, frozen
):
    agent1, agent2, agent3 = hall.staff[:3]
    c1, c2, c3 = hall.counters[1], hall.counters[2], hall.counters[3]
    moves = [
        lambda: ops.call_next(c1, by=agent1),  # the priority ticket of A
        lambda: frozen.tick(minutes=3),  # timers tick in the page, nothing is sent
        lambda: ops.issue_ticket(hall.c, channel=Channel.KIOSK),
        lambda: ops.call_next(c2, by=agent2),
        lambda: ops.start_serving(_current(c1), by=agent1),
        lambda: ops.finish(_current(c1), by=agent1),  # counter 1 idle: its hint counts
        lambda: ops.issue_ticket(hall.b, channel=Channel.KIOSK),
        lambda: ops.let_others_pass(_waiting(hall.a)[0]),
        lambda: ops.cancel_ticket(_waiting(hall.a)[1]),
        lambda: ops.set_queue_status(hall.a.queue, QueueStatus.PAUSED, by=agent2),
        lambda: frozen.tick(minutes=2),
        lambda: ops.set_queue_status(hall.a.queue, QueueStatus.ACTIVE, by=agent2),
        lambda: ops.recall(_current(c2), by=agent2),
        lambda: ops.call_next(c3, by=agent3),
        lambda: ops.transfer(_current(c3), hall.a, by=agent3),
        lambda: (
            ops.mark_no_show(_current(c2), by=agent2)
            if _current(c2).recall_count >= 3
            else ops.finish(_current(c2), by=agent2)
        ),
        lambda: _rename(hall.b, "Dugal ak génné xaalis"),
        lambda: update_counter(c3, 3, None, [hall.c.id]),
        lambda: ops.take_over_counter(c1, by=hall.manager),
        lambda: ops.call_next(c1, by=hall.manager),
        lambda: ops.set_counter_status(c2, CounterStatus.PAUSED, by=agent2),
        lambda: ops.call_next(c3, by=agent3),
    ]
    for n, move in enumerate(moves):
        move()
        db.session.expire_all()
        hall.live.settle()
        try:
            assert_every_screen_reads_as_reloaded(hall)
        except AssertionError as error:
            raise AssertionError(f"after move {n}: {error}") from None


def test_a_change_is_read_once_for_every_screen_and_sends_only_what_moved(
    app, db, hall, frozen
):
    screens = hall.live
    statements = []
    counting = []  # only while a socket works out its message

    def count(conn, cursor, statement, *_):
        if counting:
            statements.append(statement)

    def counted(on_messages, messages):
        counting.append(True)
        try:
            return on_messages(messages)
        finally:
            counting.clear()

    for screen in screens.screens.values():
        inner = screen.socket.on_messages
        screen.socket.on_messages = lambda m, inner=inner: counted(inner, m)
    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        ops.issue_ticket(hall.c, channel=Channel.KIOSK)
        db.session.expire_all()
        sent = screens.settle()
        read = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Only counter 3 serves C: the others' screens do not move.
    assert [len(sent[name]) for name in sent] == [0, 0, 1, 0], sent
    assert 'id="waiting-list"' in sent["counter 3"][0]
    assert 'id="counter-panel"' not in sent["counter 3"][0]
    assert read == 6, statements  # one reading of the branch, for four screens

    ops.call_next(hall.counters[2], by=hall.staff[1])  # A moves: counters 1 and 2
    db.session.expire_all()
    sent = screens.settle()
    assert not sent["counter 3"]
    assert 'id="counter-panel"' in "".join(sent["counter 2"])
    for name in ("counter 1", "counter 1, manager"):
        assert len(sent[name]) == 1 and 'id="counter-panel"' not in sent[name][0]
