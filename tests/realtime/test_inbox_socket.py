"""A signed-in person's socket, /ws/me: the bell's unread count when it opens, then each
time it changes (a message sent to them, some read), from any process."""

import http.cookiejar
import urllib.request

import pytest
from simple_websocket import Client, ConnectionClosed

from smartqueue import clock
from smartqueue.extensions import db as _db
from smartqueue.models import (
    Channel,
    Counter,
    DeliveryChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
    User,
)
from smartqueue.notifications import operations as notifications
from smartqueue.queueing import operations as ops
from tests.processes import Browser, production_env, serve_web, stop
from tests.services import free_port

FOREIGN = "https://evil.example"
# Refused before anything is sent: 1008. Werkzeug's dev server may drop the connection
# before the client reads the close frame: 1005 (see tests/live.py: refused_with).
REFUSED = (1008, 1005)


def _socket(base: str, cookie: str = "", origin: str | None = None) -> Client:
    headers = {"Cookie": cookie} if cookie else {}
    if origin:
        headers["Origin"] = origin
    return Client.connect(base.replace("http", "ws", 1) + "/ws/me", headers=headers)


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


def _refused(ws: Client) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        ws.receive(timeout=10)
    return closed.value.reason


def _unread_note(db, user) -> Notification:
    note = Notification(
        kind=NotificationKind.TICKET_NEAR,
        channel=DeliveryChannel.IN_APP,
        status=NotificationStatus.SENT,
        recipient=f"user:{user.id}",
        user_id=user.id,
        subject="Votre tour approche",
        body="Rapprochez-vous des guichets.",
    )
    db.session.add(note)
    db.session.commit()
    return note


def test_inbox_socket_refuses_a_visitor_and_a_page_of_another_site(
    live_server, make_user
):
    make_user(email="awa@example.sn")
    codes = []
    for _ in range(3):  # see REFUSED: the code shows on one of a few tries
        codes.append(_refused(_socket(live_server.url)))
        if codes[-1] == 1008:
            break
    assert 1008 in codes
    _, cookie = _signed_in(live_server.url, "awa@example.sn")
    assert _refused(_socket(live_server.url, cookie, FOREIGN)) in REFUSED


def test_inbox_socket_sends_the_count_then_each_change(
    live_server, make_hall, make_user
):
    hall = make_hall(counters={1: "A", 2: "A"}, staff=("agent", "agent"))
    customer = make_user(email="awa@example.sn")
    ops.issue_ticket(hall.a, channel=Channel.KIOSK)  # someone ahead
    ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)
    _, cookie = _signed_in(live_server.url, "awa@example.sn")
    ws = _socket(live_server.url, cookie)
    try:
        # relay() subscribes before it sends the count: nothing from here is lost
        assert ws.receive(timeout=10) == "0"
        with live_server.app_context():  # the served app publishes to its sockets
            ops.call_next(
                _db.session.get(Counter, hall.counters[1].id),
                by=_db.session.get(User, hall.staff[0].id),
            )  # the one ahead: Awa's ticket is near, an in-app message is sent
        assert ws.receive(timeout=10) == "1"
        with live_server.app_context():
            ops.call_next(
                _db.session.get(Counter, hall.counters[2].id),
                by=_db.session.get(User, hall.staff[1].id),
            )  # Awa's
        assert ws.receive(timeout=10) == "2"
        with live_server.app_context():
            notifications.mark_read(_db.session.get(User, customer.id))
        assert ws.receive(timeout=10) == "0"
    finally:
        ws.close()


@pytest.mark.production
def test_inbox_socket_on_process_b_hears_what_process_a_did(
    app, app_config, db, make_user
):
    """Two web processes and a real Redis: marking read through A reaches B's socket."""
    clock.freeze(None)
    customer = make_user(email="awa@example.sn")
    _unread_note(db, customer)
    _unread_note(db, customer)
    port_a, port_b = free_port(), free_port()
    env = production_env(app_config)
    servers = [serve_web(env, port_a), serve_web(env, port_b)]
    try:
        browser, cookie = _signed_in(f"http://127.0.0.1:{port_a}", "awa@example.sn")
        ws = _socket(f"http://127.0.0.1:{port_b}", cookie)
        try:
            assert ws.receive(timeout=10) == "2"
            status = browser.post("/notifications/read", {"all": "1"}, "/notifications")
            assert status == 200  # the list again, after the redirect
            assert ws.receive(timeout=10) == "0"
        finally:
            ws.close()
    finally:
        for server in servers:
            stop(server)
