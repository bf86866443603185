"""Sockets that use the session only serve pages of this site: a page elsewhere, opened
in a browser that holds an agent's cookies, is refused before anything is sent."""

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from simple_websocket import Client, ConnectionClosed

from smartqueue.models import Channel, DeviceKind
from smartqueue.queueing.operations import issue_ticket

FOREIGN = "https://evil.example"
PARTNER = "https://ecran.partenaire.sn"  # configured in WEBSOCKET_ALLOWED_ORIGINS


@pytest.fixture
def app_config(app_config):
    """The test's apps (and the live server) allow one more origin."""
    return dict(app_config, WEBSOCKET_ALLOWED_ORIGINS=[PARTNER])


@pytest.fixture
def desk(make_hall):
    """A branch with service A, an open counter 2, its agent, a waiting ticket, a board."""
    desk = make_hall(
        counters={2: "A"},
        staff=({"role": "agent", "email": "agent@example.sn"},),
        screens=[(DeviceKind.BOARD, "Salle")],
    )
    ticket = issue_ticket(desk.a, channel=Channel.KIOSK)
    return desk.counter, ticket, desk.token


def _signed_in_cookie(base: str, email: str) -> str:
    """Sign in through the real form (CSRF on) and return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/auth/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"email": email, "password": "correct-horse-42", "csrf_token": token}
    ).encode()
    opener.open(base + "/auth/login", data=body, timeout=10).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _own_origin(live_server) -> str:
    # simple_websocket's client sends `Host: 127.0.0.1` without the port (a browser
    # sends the port in both): the page of this site, as this server is told its host.
    return live_server.url.rsplit(":", 1)[0]


def _first(url: str, origin: str | None, cookie: str = "") -> tuple[str | None, int]:
    """What the socket sends first, or (None, close code) if it closes instead."""
    headers = {"Cookie": cookie} if cookie else {}
    if origin:
        headers["Origin"] = origin
    ws = Client.connect(url, headers=headers)
    try:
        return ws.receive(timeout=10), 0
    except ConnectionClosed as closed:
        return None, closed.reason
    finally:
        if ws.connected:
            ws.close()


# A refusal sends nothing and closes with 1008. Werkzeug's dev server (the tests') may write
# its HTTP answer into the socket after the close frame; the client then reports 1005.
REFUSED = (1008, 1005)


def _refused(url: str, origin: str | None, cookie: str = "") -> bool:
    message, code = _first(url, origin, cookie)
    return message is None and code in REFUSED


def test_the_counter_socket_refuses_a_page_of_another_site(live_server, desk):
    counter, ticket, _ = desk
    cookie = _signed_in_cookie(live_server.url, "agent@example.sn")
    url = live_server.url.replace("http", "ws", 1) + f"/ws/counter/{counter.id}"

    assert _refused(url, FOREIGN, cookie)
    assert _refused(url, "null", cookie)  # a sandboxed page, file://

    for origin in (_own_origin(live_server), PARTNER):
        sent, _code = _first(url, origin, cookie)
        assert sent is not None and ticket.code in sent  # the counter's waiting line


def test_the_ticket_socket_refuses_a_page_of_another_site(live_server, desk):
    _, ticket, _ = desk
    cookie = _signed_in_cookie(live_server.url, "agent@example.sn")
    url = live_server.url.replace("http", "ws", 1) + f"/ws/ticket/{ticket.token}"

    assert _refused(url, FOREIGN, cookie)
    sent, _code = _first(url, _own_origin(live_server), cookie)
    assert sent is not None and ticket.code in sent


def test_the_board_socket_needs_only_its_link(live_server, desk):
    """No cookie and nothing personal: a board's socket is its link, from anywhere."""
    _, _, board = desk
    url = live_server.url.replace("http", "ws", 1) + f"/ws/board/{board}"
    sent, _code = _first(url, FOREIGN)
    assert sent is not None and 'id="board-' in sent


def test_behind_a_trusted_proxy_the_origin_is_the_host_the_browser_used(
    app_config, desk
):
    """With PROXY_FIX_X_HOST, the site's host is the one the proxy was asked for."""
    import threading

    from werkzeug.serving import make_server

    from smartqueue import create_app
    from smartqueue.extensions import db
    from tests.services import free_port

    served = create_app(
        dict(app_config, SERVER_NAME=None, PROXY_FIX_X_HOST=1, PROXY_FIX_X_PROTO=1)
    )
    port = free_port()
    server = make_server("127.0.0.1", port, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"ws://127.0.0.1:{port}/ws/ticket/{desk[1].token}"
        proxied = {"X-Forwarded-Host": "file.banque.sn", "X-Forwarded-Proto": "https"}
        ws = Client.connect(
            url, headers={**proxied, "Origin": "https://file.banque.sn"}
        )
        try:
            assert desk[1].code in ws.receive(timeout=10)
        finally:
            ws.close()
        ws = Client.connect(
            url, headers={**proxied, "Origin": f"http://127.0.0.1:{port}"}
        )
        try:
            with pytest.raises(ConnectionClosed) as closed:
                ws.receive(timeout=10)
            assert closed.value.reason == 1008
        finally:
            if ws.connected:
                ws.close()
    finally:
        server.shutdown()
        with served.app_context():
            db.engine.dispose()
