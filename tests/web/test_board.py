"""The display board: its device link, the page, the published fragment and its socket."""

import re
import time
from datetime import time as clock_time

import pytest
from simple_websocket import Client

from smartqueue import clock
from smartqueue.extensions import db as _db
from smartqueue.models import Channel, Counter, DeviceKind, User
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device, revoke_device
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker
from smartqueue.screens.board import (
    next_check,
    render_board_snapshot,
    render_board_update,
)
from tests.conftest import TUESDAY_10H, at
from tests.live import refused_with
from tests.scenarios import OPENING


@pytest.fixture
def hall(db, make_hall):
    """A branch with services A and B, open counters 1 (A+B) and 3 (A), an agent, a board."""
    hall = make_hall(
        services=[("A", OPENING), ("B", "Dépôt et retrait", 5)],
        counters={1: "AB", 3: "A"},
        staff=("agent", "branch_manager"),
        screens=[(DeviceKind.BOARD, "Salle")],
        org="Banque Teranga",
        name="Agence Plateau",
    )
    hall.counter3 = hall.counters[3]
    hall.a.name_wo = "Ubbi kont"
    db.session.commit()
    return hall


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
    frozen.set(at(1, 10, 1))
    operations.call_next(hall.counter, by=hall.agent)  # A002 -> 1

    response = client.get(f"/board/{hall.token}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Agence Plateau" in page and "Banque Teranga" in page
    calls = re.findall(
        r'<li class="board-call( latest)?" data-code="(\w+)"[^>]*>.*?<strong>(\d+)</strong>',
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
    # the sound's state goes to the manager, never as a notice to the waiting room
    assert f'data-report-url="/devices/{hall.token}/report"' in page
    assert "Son coupé" not in page and "touchez" not in page


def test_board_htmx_request_gets_the_live_regions(client, hall):
    issue(hall.a, 3)
    response = client.get(f"/board/{hall.token}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<html" not in html and "ws-connect" not in html
    for region in ("board-calls", "board-waiting", "board-closed", "board-clock"):
        assert re.search(rf'id="{region}"[^>]*hx-swap-oob="true"', html), region
    assert f'data-service="{hall.a.id}">3<' in html


def test_board_htmx_request_with_a_revoked_link_is_404(client, hall):
    revoke_device(hall.device, by=hall.manager)
    response = client.get(f"/board/{hall.token}", headers={"HX-Request": "true"})
    assert response.status_code == 404


# --- the published fragment ---------------------------------------------------------------


def stamps(html: str) -> list[tuple[str, str, str]]:
    """(code, stamp, spoken text) of each call row, newest first."""
    return re.findall(
        r'<li class="board-call[^"]*" data-code="(\w+)" data-stamp="([^"]+)"'
        r' data-speech="([^"]+)"',
        html,
    )


def test_render_board_update_on_call_has_oob_regions_and_each_call_to_announce(hall):
    issue(hall.a, 7)
    first = operations.call_next(hall.counter3, by=hall.agent)
    second = operations.call_next(hall.counter, by=hall.agent)

    html = render_board_update(hall.branch.id, "call", [second.id])  # no request here

    assert 'id="board-calls" class="board-calls" hx-swap-oob="true"' in html
    assert 'id="board-waiting" class="board-waiting" hx-swap-oob="true"' in html
    # Both calls, each with its own stamp: the board announces every stamp it has not
    # announced, so the first is heard even when one update carries both.
    rows = stamps(html)
    assert [(code, speech) for code, _, speech in rows] == [
        ("A002", "Ticket A 0 0 2, guichet 1"),
        ("A001", "Ticket A 0 0 1, guichet 3"),
    ]
    assert rows[0][1] == f"{second.id}-{int(second.called_at.timestamp() * 1000)}"
    assert rows[1][1].startswith(f"{first.id}-")
    assert f'data-service="{hall.a.id}">5<' in html
    # a ticket's move never opens or closes the branch: no badge, no clock
    assert "board-closed" not in html and "board-clock" not in html


def test_render_board_update_on_recall_gives_the_call_a_new_stamp(hall, frozen):
    issue(hall.a)
    ticket = operations.call_next(hall.counter, by=hall.agent)
    first = render_board_update(hall.branch.id, "call", [ticket.id])
    frozen.set(at(1, 10, 2))
    operations.recall(ticket, by=hall.agent)
    again = render_board_update(hall.branch.id, "recall", [ticket.id])

    ((code, before, _),) = stamps(first)
    ((code_again, after, _),) = stamps(again)
    assert code == code_again == "A001" and after != before


def test_render_board_update_on_issue_sends_only_the_waiting_counts(hall):
    ticket = issue(hall.b)[0]
    html = render_board_update(hall.branch.id, "issue", [ticket.id])
    assert "board-calls" not in html and "data-stamp" not in html
    assert f'data-service="{hall.b.id}">1<' in html


def test_render_board_update_on_a_service_change_carries_the_closed_badge(hall):
    html = render_board_update(hall.branch.id, "service", [])
    badge = re.search(r'<p id="board-closed"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in badge and " hidden" in badge  # open: nothing shown
    # 10:00 on an 08:00-17:00 day: asked again within the hour
    assert (
        'data-next-check="%d"' % (TUESDAY_10H.timestamp() * 1000 + 3_600_000) in badge
    )


def test_board_snapshot_sets_the_clock_and_the_badge(hall):
    html = render_board_snapshot(hall.branch.id)
    assert 'id="board-clock"' in html and ">10:00</time>" in html
    assert re.search(r'<p id="board-closed"[^>]*hx-swap-oob="true"', html)


def test_board_closed_badge_says_when_it_opens(client, hall, frozen):
    frozen.set(at(6, 10))  # a Sunday
    page = client.get(f"/board/{hall.token}").get_data(as_text=True)
    badge = re.search(r'<p id="board-closed"[^>]*>(.*?)</p>', page, re.S)
    assert " hidden" not in badge.group(0)
    assert "Fermé · ouvre demain à 08:00" in badge.group(1)


def test_next_check_is_the_next_opening_closing_or_midnight(hall):
    def check(moment):
        return next_check(hall.branch.id, moment)

    assert check(at(1, 10)) == at(1, 11)  # open all day: at least once an hour
    assert check(at(1, 16, 30)) == at(1, 17)  # closing
    assert check(at(1, 23, 30)) == at(2, 0)  # midnight: "ouvre demain" -> "ouvre à"
    assert check(at(2, 7, 30)) == at(2, 8)  # opening
    tuesday = next(h for h in hall.branch.opening_hours if h.weekday == 1)
    tuesday.opens_at, tuesday.closes_at = clock_time(20), clock_time(2)
    _db.session.commit()
    assert check(at(1, 19, 30)) == at(1, 20)  # a night shift opens (Tuesday 20:00)
    assert check(at(2, 1, 30)) == at(2, 2)  # and closes the next morning (02:00)


def test_board_fragment_is_published_after_a_call(hall):
    issue(hall.a)
    with get_broker().subscribe([channels.board(hall.branch.id)]) as messages:
        operations.call_next(hall.counter3, by=hall.agent)
        message = next(iter(messages))
    assert 'data-speech="Ticket A 0 0 1, guichet 3"' in message


def test_a_closure_for_today_reaches_boards_and_kiosks_at_once(hall):
    from smartqueue.orgs import operations as org_ops

    branch_id = hall.branch.id
    subscribed = [channels.board(branch_id), channels.branch(branch_id)]
    with get_broker().subscribe(subscribed) as messages:
        closure = org_ops.add_closure(hall.branch, clock.today(), "Inventaire")
        received = iter(messages)
        board, kiosk = next(received), next(received)
    badge = re.search(r'<p id="board-closed"[^>]*>(.*?)</p>', board, re.S)
    assert " hidden" not in badge.group(0)
    assert "Fermé · ouvre demain à 08:00" in badge.group(1)
    assert (
        channels.action(kiosk) == "hours"
    )  # the kiosk re-fetches its offer on any branch message
    with get_broker().subscribe([channels.board(branch_id)]) as messages:
        org_ops.remove_closure(closure, by=hall.manager)
        reopened = next(iter(messages))
    assert re.search(r'<p id="board-closed"[^>]* hidden', reopened)


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
        assert 'data-speech="Ticket A 0 0 1, guichet 3"' in update
        assert f'data-service="{hall.a.id}">1<' in update
    finally:
        ws.close()


def test_board_socket_refuses_a_revoked_link(live_server, hall):
    revoke_device(hall.device, by=hall.manager)
    assert refused_with(live_server, hall.token) == 4403
