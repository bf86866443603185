"""The kiosk's socket: its device link only, then a word each time the branch changes."""

import pytest
from simple_websocket import Client

from smartqueue.extensions import db as _db
from smartqueue.models import DeviceKind, QueueStatus, Service, User
from smartqueue.queueing import operations
from smartqueue.queueing.devices import revoke_device
from tests.live import refused_with


@pytest.fixture
def entrance(make_hall):
    """A branch with service A, its manager, a kiosk link and a board link."""
    hall = make_hall(
        counters={},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée"), (DeviceKind.BOARD, "Salle")],
        name="Agence Plateau",
    )
    (kiosk, token), (_, board) = hall.screens
    return hall.branch, hall.a, hall.manager, kiosk, token, board


def _url(server, token: str) -> str:
    return server.url.replace("http://", "ws://") + f"/ws/kiosk/{token}"


def _close_code(server, token: str) -> int:
    # The dev server may drop the connection before the close frame is read (1005):
    # see refused_with in tests/live.py.
    return refused_with(server, token, path="kiosk")


def test_kiosk_socket_says_hello_then_changed_when_a_queue_is_paused(
    live_server, entrance
):
    _, service, manager, _, token, _ = entrance
    ws = Client.connect(_url(live_server, token))
    try:
        # relay() subscribes before it says hello: nothing published from here is lost
        assert ws.receive(timeout=5) == "hello"
        with live_server.app_context():  # the served app publishes to its sockets
            queue = _db.session.get(Service, service.id).queue
            operations.set_queue_status(
                queue, QueueStatus.PAUSED, by=_db.session.get(User, manager.id)
            )
        assert ws.receive(timeout=5) == "changed"
    finally:
        ws.close()


def test_kiosk_socket_refuses_a_revoked_link_and_a_boards_link(live_server, entrance):
    _, _, manager, kiosk, token, board = entrance
    assert _close_code(live_server, board) == 4403  # a board's link is no kiosk's
    assert _close_code(live_server, "not-a-device-token") == 4403
    revoke_device(kiosk, by=manager)
    assert _close_code(live_server, token) == 4403
