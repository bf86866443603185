"""Two web processes and a real Redis: a call served by process A reaches a board on B."""

import re
import time

import pytest
from simple_websocket import Client

from smartqueue import clock
from smartqueue.models import Channel, CounterStatus, DeviceKind
from smartqueue.orgs.operations import set_opening_hours
from smartqueue.queueing.devices import create_device
from smartqueue.queueing.operations import issue_ticket
from tests.processes import Browser, production_env, serve_web, stop
from tests.services import free_port

pytestmark = pytest.mark.production


@pytest.fixture
def branch_desk(db, make_branch, make_service, make_counter, make_user):
    """A branch open all week, service A, an open counter 4, its agent, a board link."""
    from datetime import time as t

    branch = make_branch()
    set_opening_hours(branch, {d: (t(0), t(23, 59, 59)) for d in range(7)})
    service = make_service(branch, "A")
    counter = make_counter(branch, 4, [service])
    counter.status = CounterStatus.OPEN
    agent = make_user(email="agent@example.sn", role="agent", branch=branch)
    db.session.commit()
    _, token = create_device(branch, DeviceKind.BOARD, "Salle", by=agent)
    return branch, service, counter, token


def test_a_call_served_by_process_a_updates_a_board_connected_to_process_b(
    app, app_config, backend, branch_desk
):
    clock.freeze(None)
    branch, service, counter, board_token = branch_desk
    ticket = issue_ticket(service, channel=Channel.KIOSK)
    port_a, port_b = free_port(), free_port()
    env = production_env(app_config)
    servers = [serve_web(env, port_a), serve_web(env, port_b)]
    try:
        board = Client.connect(f"ws://127.0.0.1:{port_b}/ws/board/{board_token}")
        try:
            snapshot = board.receive(timeout=10)
            assert (
                ticket.code not in re.sub(r"<[^>]+>", " ", snapshot).split()
            )  # not called
            agent = Browser(f"http://127.0.0.1:{port_a}")
            agent.post(
                "/auth/login",
                {"email": "agent@example.sn", "password": "correct-horse-42"},
                "/auth/login",
            )
            status = agent.post(
                f"/agent/counters/{counter.id}/call",
                {},
                f"/agent/counters/{counter.id}",
            )
            assert status == 200
            deadline = time.monotonic() + 10
            seen = ""
            while time.monotonic() < deadline and ticket.code not in seen:
                seen = (
                    board.receive(timeout=max(deadline - time.monotonic(), 0.1)) or ""
                )
            words = re.sub(r"<[^>]+>", " ", seen).split()
            assert ticket.code in words and "4" in words  # the ticket, at counter 4
        finally:
            board.close()
    finally:
        for server in servers:
            stop(server)
