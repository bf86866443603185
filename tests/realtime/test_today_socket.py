"""A manager's "today, live" socket: its fragment when it opens, a new one after a ticket
is called in its branch; refused to a manager of another branch (and to a page of another
site); moves in quick succession come to one redraw."""

import http.cookiejar
import re
import urllib.request
from types import SimpleNamespace

import pytest
from simple_websocket import Client, ConnectionClosed

from smartqueue.analytics.report import Scope
from smartqueue.models import Channel
from smartqueue.queueing import operations as ops
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker, publish
from smartqueue.realtime.today import TodaySocket
from tests.live import call_next_in
from tests.processes import Browser

FOREIGN = "https://evil.example"
# Refused before anything is sent: 1008; Werkzeug's dev server may drop the connection
# before the client reads the close frame: 1005 (see tests/live.py: refused_with).
REFUSED = (1008, 1005)


@pytest.fixture
def halls(make_hall, make_branch, make_service, make_user):
    """Organization A's branches Plateau (two waiting at A) and Almadies, a manager of
    each, and the org's admin."""
    plateau = make_hall(
        staff=("agent", "branch_manager"), name="Agence Plateau", org="Banque A"
    )
    branch = make_branch(plateau.org, name="Agence Almadies")
    almadies = SimpleNamespace(
        branch=branch,
        a=make_service(branch, "A"),
        manager=make_user(role="branch_manager", branch=branch),
    )
    plateau.admin = make_user(role="org_admin", org=plateau.org)
    ops.issue_ticket(plateau.a, channel=Channel.KIOSK)
    ops.issue_ticket(plateau.a, channel=Channel.KIOSK)
    return plateau, almadies


def _signed_in(base: str, email: str) -> tuple[Browser, str]:
    """A browser signed in through the real form, and its Cookie header."""
    browser = Browser(base)
    browser.post(
        "/auth/login",
        {"email": email, "password": "correct-horse-42"},
        "/auth/login",
    )
    jar = next(
        h.cookiejar
        for h in browser.opener.handlers
        if isinstance(h, urllib.request.HTTPCookieProcessor)
    )
    assert isinstance(jar, http.cookiejar.CookieJar)
    return browser, "; ".join(f"{c.name}={c.value}" for c in jar)


def _socket(base: str, path: str, cookie: str, origin: str | None = None) -> Client:
    headers = {"Cookie": cookie}
    if origin:
        headers["Origin"] = origin
    return Client.connect(base.replace("http", "ws", 1) + path, headers=headers)


def _refused(base: str, path: str, cookie: str, origin: str | None = None) -> int:
    codes = []
    for _ in range(3):  # see REFUSED: the code shows on one of a few tries
        ws = _socket(base, path, cookie, origin)
        with pytest.raises(ConnectionClosed):  # nothing is ever sent
            ws.receive(timeout=10)
        codes.append(int(ws.close_reason))
        if codes[-1] != 1005:
            break
    return codes[-1]


def _figure(fragment: str, service_id: int, figure: str) -> str:
    row = re.search(
        rf'<tr id="today-service-{service_id}".*?</tr>', fragment, re.DOTALL
    ).group(0)
    cell = re.search(rf'data-figure="{figure}">(.*?)</td>', row, re.DOTALL).group(1)
    return re.sub(r"<[^>]+>|\s+", " ", cell).strip()


@pytest.mark.backends("sqlite", "postgresql")
def test_today_socket_sends_a_new_fragment_when_a_ticket_is_called(
    live_server, halls, frozen
):
    plateau, _ = halls
    _, cookie = _signed_in(live_server.url, plateau.manager.email)
    ws = _socket(
        live_server.url, f"/ws/manage/branches/{plateau.branch.id}/today", cookie
    )
    try:
        snapshot = ws.receive(timeout=10)
        assert snapshot.startswith('<section id="today-live"')
        # Asks the page again each minute (the longest wait grows with no change).
        page = f"/manage/branches/{plateau.branch.id}/today"
        assert f'hx-get="{page}" hx-trigger="every 60s"' in snapshot
        assert _figure(snapshot, plateau.a.id, "waiting") == "2"
        frozen.tick(minutes=4)
        call_next_in(live_server, plateau.counter.id, plateau.agent.id)
        update = ws.receive(timeout=10)
        assert _figure(update, plateau.a.id, "waiting") == "1"
        assert _figure(update, plateau.a.id, "mean") == "4 min"
    finally:
        ws.close()


def test_today_socket_of_the_organization_hears_each_branch(live_server, halls, frozen):
    plateau, almadies = halls
    _, cookie = _signed_in(live_server.url, plateau.admin.email)
    ws = _socket(
        live_server.url, f"/ws/manage/organizations/{plateau.org.id}/today", cookie
    )
    try:
        snapshot = ws.receive(timeout=10)
        assert f'id="today-branch-{almadies.branch.id}"' in snapshot
        call_next_in(live_server, plateau.counter.id, plateau.agent.id)
        assert _figure(ws.receive(timeout=10), plateau.a.id, "waiting") == "1"
    finally:
        ws.close()


def test_today_socket_and_pages_refuse_a_manager_of_another_branch(live_server, halls):
    plateau, almadies = halls
    browser, cookie = _signed_in(live_server.url, almadies.manager.email)
    theirs = f"/manage/branches/{plateau.branch.id}/today"
    assert browser.request(theirs)[0] == 403
    assert browser.request(f"/manage/organizations/{plateau.org.id}/today")[0] == 403
    assert _refused(live_server.url, "/ws" + theirs, cookie) in REFUSED
    org_socket = f"/ws/manage/organizations/{plateau.org.id}/today"
    assert _refused(live_server.url, org_socket, cookie) in REFUSED
    # Their own branch opens, but not from a page of another site.
    own = f"/ws/manage/branches/{almadies.branch.id}/today"
    assert _refused(live_server.url, own, cookie, FOREIGN) in REFUSED
    ws = _socket(live_server.url, own, cookie)
    try:
        assert f'id="today-branch-{almadies.branch.id}"' in ws.receive(timeout=10)
    finally:
        ws.close()


def test_today_socket_redraws_once_for_moves_in_quick_succession(app, halls):
    """Three changes published together: the socket redraws once, for all of them (the
    ones that came while it waited out its second are covered by its reading)."""
    plateau, _ = halls
    screen = TodaySocket(
        Scope(plateau.org.id, (plateau.branch.id,)), "fr", "/manage/today-page"
    )
    channel = channels.branch(plateau.branch.id)
    with get_broker().subscribe([channel]) as subscription:
        screen.subscribed(subscription)
        screen.draw()
        moves = [channels.stamp("call") for _ in range(3)]
        for move in moves:
            publish(channel, move)
        first = subscription.drain()
        assert first == moves
        publish(channel, channels.stamp("finish"))  # while the socket waits its turn
        fragment = screen.on_messages(first)
        assert fragment.startswith('<section id="today-live"')
        assert subscription.drain() == []  # nothing left for a second redraw
