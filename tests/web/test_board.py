"""The display board: its device link, the page, the published fragment and its socket."""

import re
import time
from datetime import datetime, timezone

import pytest
from simple_websocket import Client, ConnectionClosed

from smartqueue import clock
from smartqueue.extensions import db as _db
from smartqueue.models import Channel, Counter, CounterStatus, DeviceKind, User
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device, revoke_device
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker
from smartqueue.web.board.live import render_board_snapshot, render_board_update

TUESDAY_10H = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # Dakar is UTC+0


@pytest.fixture
def frozen():
    """The clock stopped on Tuesday 1 December 2026, 10:00 in Dakar (branch open)."""
    clock.freeze(TUESDAY_10H)
    yield TUESDAY_10H
    clock.freeze(None)


@pytest.fixture
def hall(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """A branch with services A and B, open counters 1 (A+B) and 3 (A), an agent, a board."""

    class Hall:
        org = make_org(name="Banque Teranga")
        branch = make_branch(org, name="Agence Plateau")
        a = make_service(branch, "A", "Ouverture de compte")
        b = make_service(branch, "B", "Dépôt et retrait", minutes=5)
        counter = make_counter(branch, 1, [a, b])
        counter3 = make_counter(branch, 3, [a])
        agent = make_user(role="agent", branch=branch)
        manager = make_user(role="branch_manager", branch=branch)

    Hall.a.name_wo = "Ubbi kont"
    for counter in (Hall.counter, Hall.counter3):
        counter.status = CounterStatus.OPEN
    db.session.commit()
    Hall.device, Hall.token = create_device(
        Hall.branch, DeviceKind.BOARD, "Salle", by=Hall.manager
    )
    return Hall


def issue(service, n=1):
    return [operations.issue_ticket(service, channel=Channel.KIOSK) for _ in range(n)]


# --- the device link ----------------------------------------------------------------------


def test_board_unknown_token_is_404(client, hall):
    assert client.get("/board/not-a-real-token").status_code == 404
    assert client.get("/board/" + "x" * 500).status_code == 404


def test_board_revoked_link_is_404(client, hall):
    revoke_device(hall.device, by=hall.manager)
    assert client.get(f"/board/{hall.token}").status_code == 404


def test_board_kiosk_link_does_not_open_a_board(client, hall):
    _kiosk, token = create_device(hall.branch, DeviceKind.KIOSK, "Borne", by=None)
    assert client.get(f"/board/{token}").status_code == 404


# --- the page -----------------------------------------------------------------------------


def test_board_page_shows_calls_newest_first_and_waiting_counts(client, hall, frozen):
    issue(hall.a, 4)
    issue(hall.b, 2)
    operations.call_next(hall.counter3, by=hall.agent)  # A001 -> 3
    clock.freeze(frozen.replace(minute=1))
    operations.call_next(hall.counter, by=hall.agent)  # A002 -> 1

    response = client.get(f"/board/{hall.token}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Agence Plateau" in page and "Banque Teranga" in page
    calls = re.findall(
        r'<li class="board-call( latest)?" data-code="(\w+)">.*?<strong>(\d+)</strong>',
        page,
        re.S,
    )
    assert calls == [(" latest", "A002", "1"), ("", "A001", "3")]
    counts = dict(re.findall(r'data-service="(\d+)">(\d+)<', page))
    assert counts == {str(hall.a.id): "2", str(hall.b.id): "2"}
    assert "Ouverture de compte" in page and 'lang="wo">Ubbi kont<' in page
    assert ">10:01</time>" in page  # the server's time until the script takes over


def test_board_page_is_a_bare_live_screen(client, hall):
    page = client.get(f"/board/{hall.token}").get_data(as_text=True)
    assert f'ws-connect="/ws/board/{hall.token}"' in page
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in page
    assert "js/board." in page and "vendor/ws.min." in page  # content-hashed names
    # no site header, footer, language switch or any control: nothing to click on a TV
    for absent in ('class="topbar"', 'class="footer"', "<form", "<button", "<a href"):
        assert absent not in page
    assert "Aucun appel pour le moment" in page


# --- the published fragment ---------------------------------------------------------------


def test_render_board_update_on_call_has_oob_regions_and_announcement(hall):
    issue(hall.a, 7)
    ticket = operations.call_next(hall.counter3, by=hall.agent)

    html = render_board_update(hall.branch.id, "call", [ticket.id])  # no request here

    assert 'id="board-calls" class="board-calls" hx-swap-oob="true"' in html
    assert 'id="board-waiting" class="board-waiting" hx-swap-oob="true"' in html
    announce = re.search(r'<div id="board-announce"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in announce
    assert 'data-code="A001"' in announce and 'data-counter="3"' in announce
    assert 'data-speech="Ticket A 0 0 1, guichet 3"' in announce
    assert "data-stamp=" in announce
    assert f'data-service="{hall.a.id}">6<' in html


def test_render_board_update_on_recall_announces_again_with_a_new_stamp(hall, frozen):
    issue(hall.a)
    ticket = operations.call_next(hall.counter, by=hall.agent)
    first = render_board_update(hall.branch.id, "call", [ticket.id])
    clock.freeze(frozen.replace(minute=2))
    operations.recall(ticket, by=hall.agent)
    again = render_board_update(hall.branch.id, "recall", [ticket.id])

    def stamp(html):
        return re.search(r'data-stamp="([^"]+)"', html).group(1)

    assert 'data-code="A001"' in again and stamp(again) != stamp(first)


def test_render_board_update_on_issue_has_no_announcement(hall):
    ticket = issue(hall.b)[0]
    html = render_board_update(hall.branch.id, "issue", [ticket.id])
    assert "board-announce" not in html
    assert f'data-service="{hall.b.id}">1<' in html


def test_board_snapshot_clears_the_announcement_and_sets_the_clock(hall):
    html = render_board_snapshot(hall.branch.id)
    assert re.search(r'<div id="board-announce"[^>]*hx-swap-oob="true">', html)
    assert "data-code" not in html
    assert 'id="board-clock"' in html and ">10:00</time>" in html


def test_board_fragment_is_published_after_a_call(hall):
    issue(hall.a)
    with get_broker().subscribe([channels.board(hall.branch.id)]) as messages:
        operations.call_next(hall.counter3, by=hall.agent)
        message = next(iter(messages))
    assert 'data-speech="Ticket A 0 0 1, guichet 3"' in message


# --- the socket ---------------------------------------------------------------------------


def ws_url(server, token: str) -> str:
    return server.url.replace("http://", "ws://") + f"/ws/board/{token}"


def wait_for_board_socket(server, branch_id: int, timeout: float = 5.0) -> None:
    """Until the server's socket has subscribed (it sends the snapshot first)."""
    deadline = time.monotonic() + timeout
    channel = channels.board(branch_id)
    while time.monotonic() < deadline:
        broker = server.extensions.get("sq_broker")
        if broker is not None and broker._subscribers.get(channel):
            return
        time.sleep(0.01)
    raise AssertionError("the board socket never subscribed")


def call_in_server(server, counter_id: int, agent_id: int):
    """Call next as the agent would, in the served app (so it publishes to its sockets)."""
    with server.app_context():
        counter = _db.session.get(Counter, counter_id)
        return operations.call_next(counter, by=_db.session.get(User, agent_id)).code


def test_board_socket_sends_the_snapshot_then_each_call(live_server, hall):
    issue(hall.a, 2)
    ws = Client.connect(ws_url(live_server, hall.token))
    try:
        snapshot = ws.receive(timeout=5)
        assert 'id="board-calls"' in snapshot and 'id="board-clock"' in snapshot
        assert f'data-service="{hall.a.id}">2<' in snapshot
        wait_for_board_socket(live_server, hall.branch.id)

        code = call_in_server(live_server, hall.counter3.id, hall.agent.id)

        update = ws.receive(timeout=5)
        assert code == "A001"
        assert 'data-code="A001"' in update and 'data-counter="3"' in update
        assert f'data-service="{hall.a.id}">1<' in update
    finally:
        ws.close()


def test_board_socket_refuses_a_revoked_link(live_server, hall):
    revoke_device(hall.device, by=hall.manager)
    ws = Client.connect(ws_url(live_server, hall.token))
    with pytest.raises(ConnectionClosed):
        ws.receive(timeout=5)
    assert ws.close_reason == 4403
