"""The live ticket pages of a whole line, fed by the broker (in-process and Redis) after a
series of moves: each page, its messages applied as htmx applies them (out-of-band swaps
by id), reads exactly as a fresh load of the page; a move that changes nothing on a page
sends it nothing; a move of the line sends a few hundred bytes, not the whole fragment.

The pages are realtime.ticket.TicketPage, the object each socket holds, given the
messages its ticket's channel received and what its line's watch handed it (lines.fan_out,
run here when the line's channel received something): what the socket would send is what
on_messages returns (the socket's transport is tested in test_customer.py,
test_two_processes.py and the browser tests)."""

import time

import pytest

from smartqueue.extensions import db as _db
from smartqueue.models import Channel, CounterStatus, Priority, QueueStatus
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker, publish
from smartqueue.realtime.lines import Reading, fan_out
from smartqueue.realtime.ticket import Moved, TicketPage
from smartqueue.screens.ticket import read_line
from tests.htmx_page import (
    app_config_on_both_brokers,  # noqa: F401
    parse,
    shape,
    swap_out_of_band,
)
from tests.live import flush_new_tickets
from tests.queueing import conftest as queueing

# Services A and B; counters 1 (A+B) and 2 (A), open; Tuesday 10:00.
desk = queueing.desk


# --- a page as the browser holds it ------------------------------------------------------


def _page_shape(node, attrs):
    """When a page was drawn is not compared: a reload is now."""
    if attrs.get("id") == "ticket-updated":
        return (node.tag, sorted(attrs.items()), ["<time>"])
    return None


class Browser:
    """One ticket page: the fragment it holds, changed by each message as htmx would."""

    def __init__(self, token: str):
        self.socket = TicketPage(token)
        self.page = parse(self.socket.draw())
        self.sent: list[str] = []  # what the socket sent after the first draw
        self.delivered: list = []  # what its line's watch handed it, not yet heard

    def hear(self, messages: list) -> None:
        out = self.socket.on_messages(messages)
        if not out:
            return
        self.sent.append(out)
        swap_out_of_band(self.page, out)

    def shows(self):
        return shape(self.page.find("ticket-live")[1], _page_shape)


def reloaded(client, token: str, locale: str):
    response = client.get(f"/t/{token}", headers={"Accept-Language": locale})
    page = parse(response.get_data(as_text=True))
    return shape(page.find("ticket-live")[1], _page_shape)


LOCALES = ("fr", "wo", "en")
MARKER = "test-marker"

# --- the line -----------------------------------------------------------------------------


class Line:
    """Every waiting ticket's page of services A and B, as their sockets and their lines'
    watches hold them: a subscription per page to its ticket's channel, one per line to
    its service's channel, and the watch's work (lines.fan_out) done when a line moved."""

    def __init__(self, app, tokens):
        self.app = app
        self.browsers = {}
        self.locales = {}
        self.subscriptions = {}
        self.lines = {}  # service id -> (its subscription, its pages' tokens)
        for n, (token, service_id) in enumerate(tokens):
            self.open(token, service_id, LOCALES[n % len(LOCALES)])

    def context(self, token):
        """The socket's request: its page's language."""
        return self.app.test_request_context(
            f"/ws/ticket/{token}", headers={"Accept-Language": self.locales[token]}
        )

    def open(self, token, service_id, locale):
        if service_id not in self.lines:
            watched = get_broker().subscribe([channels.service(service_id)])
            self.lines[service_id] = (watched, [])
        self.lines[service_id][1].append(token)
        self.subscriptions[token] = get_broker().subscribe([channels.ticket(token)])
        self.locales[token] = locale
        with self.context(token):
            self.browsers[token] = Browser(token)
        _db.session.expire_all()

    def settle(self):
        """Hand each page what its channels received (everything published so far) and
        what its line's watch worked out: each subscription reads up to a marker
        published after it (the Redis broker's listener may not have handed over what
        Redis already sent)."""
        flush_new_tickets()
        for token in self.browsers:
            publish(channels.ticket(token), MARKER)
        for service_id in self.lines:
            publish(channels.service(service_id), MARKER)
        for subscription, tokens in self.lines.values():
            if _read_to_marker(subscription):
                pages = {
                    self.browsers[t].socket: self.browsers[t].delivered.append
                    for t in tokens
                }
                with self.app.app_context():  # the watch's: no request, its own session
                    fan_out(self.lines_service(subscription), pages)
        sent = {}
        for token, browser in self.browsers.items():
            messages = _read_to_marker(self.subscriptions[token]) + browser.delivered
            browser.delivered = []
            before = len(browser.sent)
            if messages:
                with self.context(token):
                    browser.hear(messages)
                _db.session.expire_all()
            sent[token] = browser.sent[before:]
        return sent

    def lines_service(self, subscription):
        return next(s for s, (w, _) in self.lines.items() if w is subscription)

    def close(self):
        for subscription in self.subscriptions.values():
            subscription.close()
        for subscription, _ in self.lines.values():
            subscription.close()


def _read_to_marker(subscription) -> list[str]:
    messages = []
    for message in subscription:
        if message == MARKER:
            return messages
        assert message is not None, "the marker never came"
        messages.append(message)


@pytest.fixture
def line(app, db, desk):
    """Services A (6 waiting, one of them high priority) and B (3 waiting), every page
    open."""
    tickets = [ops.issue_ticket(desk.a, channel=Channel.KIOSK) for _ in range(5)]
    tickets += [ops.issue_ticket(desk.b, channel=Channel.KIOSK) for _ in range(3)]
    tickets.append(
        ops.issue_ticket(desk.a, channel=Channel.KIOSK, priority=Priority.HIGH)
    )
    opened = Line(app, [(t.token, t.service_id) for t in tickets])
    opened.settle()
    yield opened
    opened.close()


def assert_every_page_reads_as_reloaded(client, line):
    for token, browser in line.browsers.items():
        assert browser.shows() == reloaded(client, token, line.locales[token]), token


def _waiting(service):
    return queries.list_waiting([service.id], limit=50)


def _current(counter):
    return queries.get_current_ticket(counter)


def test_every_page_of_the_line_reads_as_a_reload_after_a_series_of_moves(
    app, db, client, desk, line
):
    agent, agent2 = desk.agent, desk.agent2
    moves = [
        lambda: ops.call_next(desk.counter, by=agent),  # the priority ticket
        lambda: ops.call_next(desk.counter2, by=agent2),
        lambda: ops.start_serving(_current(desk.counter), by=agent),
        lambda: ops.finish(_current(desk.counter), by=agent),
        lambda: ops.let_others_pass(_waiting(desk.a)[0]),
        lambda: ops.issue_ticket(desk.a, channel=Channel.KIOSK, priority=Priority.HIGH),
        lambda: ops.cancel_ticket(_waiting(desk.a)[1]),
        lambda: ops.set_queue_status(desk.a.queue, QueueStatus.PAUSED, by=agent),
        lambda: ops.set_queue_status(desk.a.queue, QueueStatus.ACTIVE, by=agent),
        lambda: ops.recall(_current(desk.counter2), by=agent2),
        lambda: ops.start_serving(_current(desk.counter2), by=agent2),
        lambda: ops.finish(_current(desk.counter2), by=agent2),
        lambda: ops.set_counter_status(desk.counter2, CounterStatus.CLOSED, by=agent2),
        lambda: ops.call_next(desk.counter, by=agent),
        lambda: ops.transfer(_current(desk.counter), desk.b, by=agent),
        lambda: ops.call_next(desk.counter, by=agent),
    ]
    for n, move in enumerate(moves):
        move()
        db.session.expire_all()
        line.settle()
        try:
            assert_every_page_reads_as_reloaded(client, line)
        except AssertionError as error:
            raise AssertionError(f"after move {n}: {error}") from None


def _cycle(desk, frozen, minutes=4):
    """Counter 1 calls, starts, and finishes `minutes` later; what each step sent."""
    ticket = ops.call_next(desk.counter, by=desk.agent)
    ops.start_serving(ticket, by=desk.agent)
    frozen.tick(minutes=minutes)
    return ticket


def test_a_call_sends_each_waiting_page_a_few_hundred_bytes_and_a_finish_nothing(
    app, db, client, desk, line, frozen
):
    _cycle(desk, frozen)  # the line's mean service time is now 4 minutes
    ops.finish(_current(desk.counter), by=desk.agent)
    line.settle()
    service_a = {
        t for t, b in line.browsers.items() if b.socket.shown.service_id == desk.a.id
    }

    called = ops.call_next(desk.counter, by=desk.agent)
    sent = line.settle()
    for token in service_a - {called.token}:
        if line.browsers[token].socket.shown.status.value == "waiting":
            assert len(sent[token]) == 1, token
            assert len(sent[token][0].encode()) < 500, sent[token][0]
    assert 'id="ticket-live"' in sent[called.token][0]  # its own page: whole
    assert all(not sent[t] for t in line.browsers if t not in service_a)

    ops.start_serving(called, by=desk.agent)
    frozen.tick(minutes=4)
    ops.finish(called, by=desk.agent)  # the same 4 minutes: no estimate moves
    sent = line.settle()
    assert {t: s for t, s in sent.items() if t != called.token and s} == {}
    assert_every_page_reads_as_reloaded(client, line)


def test_what_a_watch_worked_out_is_dropped_or_worked_out_again_when_the_page_was_redrawn(
    app, db, client, desk, line
):
    """The watch computes in its own thread while a page may be drawn whole in its
    socket: a reading older than the page's drawing sends nothing, and a frame worked
    out while the page was being drawn is worked out again for what it shows."""
    token = _waiting(desk.a)[-1].token
    browser = line.browsers[token]
    page = browser.socket
    ops.cancel_ticket(_waiting(desk.a)[0])  # the page's ticket moves up
    db.session.expire_all()
    with app.app_context():
        before_the_drawing = Reading(read_line(desk.a.id), page.drawn_at - 1)
        page.drawing = True  # its socket is drawing it whole
        during_the_drawing = Reading(read_line(desk.a.id), time.monotonic())
        assert page.line_moved(before_the_drawing) is None
        handed = page.line_moved(during_the_drawing)
        page.drawing = False
    assert handed is not None and handed.html is None

    with line.context(token):
        assert (
            page.on_messages([Moved(before_the_drawing, page.shown, "<p>x</p>")]) == ""
        )
        browser.hear([handed])
    assert browser.sent and 'id="ticket-place"' in browser.sent[-1]
    assert len(browser.sent[-1].encode()) < 500
    assert browser.shows() == reloaded(client, token, line.locales[token])
