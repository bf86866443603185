"""Redis stopped while boards and ticket pages are open: their sockets close with a code
the page retries later, one warning line each and no traceback; once Redis is back, a
board gets the snapshot and then live updates again, and a ticket page hears its line
again (a new line watch)."""

import logging
import re

import pytest
from simple_websocket import Client, ConnectionClosed

from smartqueue.models import Channel, DeviceKind
from smartqueue.queueing import operations
from tests.services import RedisServer

pytestmark = pytest.mark.production

TRY_AGAIN_LATER = 1013


@pytest.fixture
def outage_redis():
    """A Redis of this test's own, which it stops and starts again on the same port."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, outage_redis):
    """The test's app and the live server on that Redis."""
    return dict(app_config, REDIS_URL=f"redis://127.0.0.1:{outage_redis.port}/0")


@pytest.fixture
def hall(make_hall):
    """A branch with service A, an open counter 3, its agent and a board link."""
    hall = make_hall(counters={3: "A"}, screens=[(DeviceKind.BOARD, "Salle")])
    return hall.a, hall.counter, hall.agent, hall.token


def _words(html: str) -> list[str]:
    return re.sub(r"<[^>]+>", " ", html).split()


def test_a_board_socket_closes_quietly_while_redis_is_down_and_resyncs_after(
    live_server, hall, outage_redis, caplog
):
    service, counter, agent, board = hall
    url = live_server.url.replace("http", "ws", 1) + f"/ws/board/{board}"

    outage_redis.halt()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        ws = Client.connect(url)
        with pytest.raises(ConnectionClosed) as closed:
            ws.receive(timeout=10)
    assert closed.value.reason == TRY_AGAIN_LATER  # the page retries, with back-off
    refused = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(refused) == 1 and refused[0].levelno == logging.WARNING
    assert not any(r.exc_info for r in caplog.records)  # no traceback in the log

    outage_redis.start()
    ws = Client.connect(url)
    try:
        snapshot = ws.receive(timeout=10)
        assert snapshot and 'id="board-' in snapshot
        ticket = operations.issue_ticket(service, channel=Channel.KIOSK)
        operations.call_next(counter, by=agent)
        seen = ""
        while ticket.code not in _words(seen):
            seen = ws.receive(timeout=10)
            assert seen is not None, "no live update after Redis came back"
        assert "3" in _words(seen)  # called to counter 3
    finally:
        if ws.connected:
            ws.close()


# Each reconnection's time on the page's (fake) clock: when the socket closed, and when
# the next one was started.
RECORD_RECONNECTS = """
document.addEventListener("htmx:wsConnecting", () => {
  const html = document.documentElement;
  html.dataset.connects = (html.dataset.connects || "") + Date.now() + ",";
});
document.addEventListener("htmx:wsClose", () => {
  const html = document.documentElement;
  html.dataset.closes = (html.dataset.closes || "") + Date.now() + ",";
});
"""


def _times(page, name: str) -> list[float]:
    value = page.locator("html").get_attribute(f"data-{name}") or ""
    return [float(t) for t in value.split(",") if t]


def test_a_board_page_backs_off_while_redis_is_down(
    live_server, hall, outage_redis, page
):
    """2, 4, 8, 16 then 30 s between attempts (each with jitter), not every 2 s: a room
    of screens does not hammer a server that is recovering."""
    from playwright.sync_api import expect

    board = hall[3]
    outage_redis.halt()
    page.add_init_script(RECORD_RECONNECTS)
    page.clock.install()
    page.goto(f"{live_server.url}/board/{board}")
    html = page.locator("html")
    for attempt in range(1, 7):
        # A deadline, not a measure: on a loaded machine (two test processes and
        # their browsers on 2 cores) a refused attempt can take longer than 5 s to show.
        expect(html).to_have_attribute(
            "data-closes", re.compile(r"^(\d+,){%d}$" % attempt), timeout=15_000
        )
        page.clock.run_for(31_000)  # the longest wait: the next attempt starts in it
    closes, connects = _times(page, "closes"), _times(page, "connects")
    waits = [
        (start - closed) / 1000
        for closed, start in zip(closes[:6], connects[1:7], strict=True)
    ]
    # The page's clock also flows with real time (installed, not paused): on a loaded
    # machine the close is recorded up to a few hundred ms after its timer was set.
    skew = 0.3
    for wait, ceiling in zip(waits, [2, 4, 8, 16, 30, 30], strict=True):
        assert ceiling / 2 - skew <= wait <= ceiling + skew, waits


def test_a_ticket_page_closes_while_redis_is_down_and_its_line_is_heard_again_after(
    live_server, hall, outage_redis
):
    """The page's own subscription and its line's watch both end with Redis; once it is
    back, the page's new socket starts a new watch, and a call moves the page again."""
    service, counter, agent, _board = hall
    operations.issue_ticket(service, channel=Channel.KIOSK)  # one ahead
    mine = operations.issue_ticket(service, channel=Channel.WEB)
    url = live_server.url.replace("http", "ws", 1) + f"/ws/ticket/{mine.token}"

    ws = Client.connect(url)
    assert mine.code in _words(ws.receive(timeout=10))
    outage_redis.halt()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.receive(timeout=10)
    assert closed.value.reason == TRY_AGAIN_LATER

    outage_redis.start()
    ws = Client.connect(url)
    try:
        assert mine.code in _words(ws.receive(timeout=10))
        operations.call_next(counter, by=agent)  # the one ahead: mine is next
        moved = ws.receive(timeout=10)
        assert moved is not None, "the line's move never came after Redis came back"
        assert 'id="ticket-place"' in moved and "Vous êtes le prochain" in moved
        assert 'id="ticket-live"' not in moved  # the parts, not the whole page
    finally:
        if ws.connected:
            ws.close()
