"""Two web processes and a real Redis: a call served by process A reaches a board on B."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from simple_websocket import Client

from smartqueue import clock
from smartqueue.models import Channel, CounterStatus, DeviceKind
from smartqueue.orgs.operations import set_opening_hours
from smartqueue.queueing.devices import create_device
from smartqueue.queueing.operations import issue_ticket
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.production


def _serve(app_config, port):
    """One production web process: gunicorn with the gevent worker, as in the Procfile."""
    env = dict(
        os.environ,
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app_config["REDIS_URL"],
        SECRET_KEY=app_config["SECRET_KEY"],
        COOKIE_SECURE="0",
        RATELIMIT_ENABLED="0",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            "gevent",
            "--worker-connections",
            "100",
            "-w",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, data, token_from):
        token = re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', self.get(token_from)
        )
        body = urllib.parse.urlencode(dict(data, csrf_token=token.group(1))).encode()
        with self.opener.open(self.base + path, data=body, timeout=10) as response:
            return response.status


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
    servers = [_serve(app_config, port_a), _serve(app_config, port_b)]
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
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
