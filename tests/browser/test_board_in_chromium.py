"""The display board on a 1920x1080 TV in Chromium: live calls, and a server restart."""

import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from smartqueue import clock
from smartqueue.models import Channel, CounterStatus, DeviceKind
from smartqueue.queueing import operations, queries
from smartqueue.queueing.devices import create_device
from tests.conftest import ROOT
from tests.services import free_port
from tests.web.test_board import call_in_server, wait_for_board_socket

TV = {"width": 1920, "height": 1080}
TUESDAY_10H = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # Dakar is UTC+0


@pytest.fixture
def frozen():
    """The clock stopped on Tuesday 1 December 2026, 10:00 in Dakar."""
    clock.freeze(TUESDAY_10H)
    yield TUESDAY_10H
    clock.freeze(None)


@pytest.fixture
def bank(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """A busy bank branch: four services, four open counters, a morning of tickets."""

    org = make_org(name="Banque Teranga")
    branch = make_branch(org, name="Agence Plateau")
    services = [
        make_service(branch, "A", "Ouverture de compte", minutes=15),
        make_service(branch, "B", "Dépôt et retrait", minutes=5),
        make_service(branch, "C", "Transfert d'argent", minutes=5),
        make_service(branch, "D", "Crédit et prêts", minutes=20),
    ]
    services[0].name_wo, services[2].name_wo = "Ubbi kont", "Yónnee ak jot xaalis"
    counters = [make_counter(branch, n, services) for n in (1, 2, 3, 4)]
    for counter in counters:
        counter.status = CounterStatus.OPEN
    db.session.commit()
    for service in (services * 5)[:17] + services[1:2] * 6:  # arrivals, mixed
        operations.issue_ticket(service, channel=Channel.KIOSK)
    device, token = create_device(branch, DeviceKind.BOARD, "Salle d'attente", by=None)
    return SimpleNamespace(
        branch=branch,
        counters=counters,
        agent=make_user(role="agent", branch=branch),
        token=token,
    )


def test_board_shows_a_call_live_and_announces_it(
    page: Page, live_server, bank, frozen, screenshots_dir
):
    for minute, counter in enumerate(bank.counters * 2):  # a morning's calls
        clock.freeze(frozen + timedelta(minutes=minute))
        ticket = operations.call_next(counter, by=bank.agent)
        if minute < 4:  # served; the later ones are still at their counters
            operations.start_serving(ticket, by=bank.agent)
            operations.finish(ticket, by=bank.agent)
    at_counter_3 = queries.get_current_ticket(bank.counters[2])
    operations.finish(
        operations.start_serving(at_counter_3, by=bank.agent), by=bank.agent
    )
    clock.freeze(frozen + timedelta(minutes=12))
    page.set_viewport_size(TV)
    page.goto(f"{live_server.url}/board/{bank.token}")
    page.evaluate("window.sqNotReloaded = true")
    expect(page.locator("#board-calls .board-call")).to_have_count(7)
    wait_for_board_socket(live_server, bank.branch.id)

    code = call_in_server(live_server, bank.counters[2].id, bank.agent.id)

    latest = page.locator("#board-calls .board-call.latest")
    expect(latest).to_have_attribute("data-code", code)
    expect(latest).to_contain_text("3")
    expect(latest).to_have_class(re.compile(r"\bis-new\b"))
    spelled = " ".join(code)
    expect(page.locator("body")).to_have_attribute(
        "data-last-announced", f"Ticket {spelled}, guichet 3"
    )
    assert page.evaluate("window.sqNotReloaded") is True
    fits = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert fits == [TV["width"], TV["height"]]  # nothing to scroll on a TV
    expect(page.locator("#board-clock .board-time")).to_have_text("10:12")
    page.screenshot(path=screenshots_dir / "tv-board.png")


RUNNER = """
import sys
from datetime import datetime
from werkzeug.serving import make_server
from smartqueue import clock, create_app
clock.freeze(datetime.fromisoformat(sys.argv[3]))
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True,
                  "REDIS_URL": None, "EMBEDDED_SCHEDULER": False, "RATELIMIT_ENABLED": False})
make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True).serve_forever()
"""


class Server:
    """The app in a process of its own, which the test can kill and start again."""

    def __init__(self, database_url: str, moment: datetime):
        self.args = [sys.executable, "-c", RUNNER, database_url]
        self.moment = moment.isoformat()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, ready_path: str) -> None:
        self.process = subprocess.Popen(
            [*self.args, str(self.port), self.moment], cwd=ROOT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_board_resynchronizes_after_a_server_restart_without_reload(
    page: Page, app, bank, frozen, screenshots_dir
):
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], frozen)
    board_path = f"/board/{bank.token}"
    # Count the socket's openings on <html> (a DOM attribute: the page's CSP forbids eval).
    page.add_init_script(
        "document.addEventListener('htmx:wsOpen', () => { const html ="
        " document.documentElement; html.dataset.opens = +(html.dataset.opens || 0) + 1; });"
    )
    html = page.locator("html")
    try:
        server.start(board_path)
        page.set_viewport_size(TV)
        page.goto(server.url + board_path)
        page.evaluate("window.sqNotReloaded = true")
        expect(html).to_have_attribute("data-opens", "1")
        expect(page.locator("#board-calls")).to_contain_text("Aucun appel")

        server.kill()
        expect(page.locator("#board-connection")).to_be_visible()
        page.screenshot(path=screenshots_dir / "tv-board-offline.png")
        # a call made while the server is down, then the server comes back
        code = operations.call_next(bank.counters[1], by=bank.agent).code
        server.start(board_path)

        expect(html).to_have_attribute("data-opens", "2", timeout=30_000)
        latest = page.locator("#board-calls .board-call.latest")
        expect(latest).to_have_attribute("data-code", code)
        expect(latest).to_contain_text("2")
        expect(page.locator("#board-connection")).to_be_hidden()
        assert page.evaluate("window.sqNotReloaded") is True
    finally:
        server.kill()
