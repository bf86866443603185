"""The display board on a 1920x1080 TV in Chromium: live calls, each announced in turn,
its sound reported to the server, its closed badge at closing time, a server restart."""

import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import request
from playwright.sync_api import Page, expect

from smartqueue.models import Channel, DeviceKind
from smartqueue.queueing import operations, queries
from smartqueue.queueing.devices import create_device
from tests.conftest import ROOT, TUESDAY_10H
from tests.services import free_port
from tests.web.test_board import call_in_server, wait_for_board_socket

TV = {"width": 1920, "height": 1080}


@pytest.fixture
def bank(db, make_hall):
    """A busy bank branch: four services, four open counters, a morning of tickets."""
    hall = make_hall(
        services=[
            ("A", "Ouverture de compte", 15),
            ("B", "Dépôt et retrait", 5),
            ("C", "Transfert d'argent", 5),
            ("D", "Crédit et prêts", 20),
        ],
        counters={n: "ABCD" for n in (1, 2, 3, 4)},
        screens=[(DeviceKind.BOARD, "Salle d'attente")],
        org="Banque Teranga",
        name="Agence Plateau",
    )
    hall.a.name_wo, hall.c.name_wo = "Ubbi kont", "Yónnee ak jot xaalis"
    db.session.commit()
    services = list(hall.services.values())
    for service in (services * 5)[:17] + services[1:2] * 6:  # arrivals, mixed
        operations.issue_ticket(service, channel=Channel.KIOSK)
    return SimpleNamespace(
        branch=hall.branch,
        counters=list(hall.counters.values()),
        agent=hall.agent,
        token=hall.token,
    )


def test_board_shows_a_call_live_and_announces_it(
    page: Page, live_server, bank, frozen, screenshots_dir
):
    for minute, counter in enumerate(bank.counters * 2):  # a morning's calls
        frozen.set(TUESDAY_10H + timedelta(minutes=minute))
        ticket = operations.call_next(counter, by=bank.agent)
        if minute < 4:  # served; the later ones are still at their counters
            operations.start_serving(ticket, by=bank.agent)
            operations.finish(ticket, by=bank.agent)
    at_counter_3 = queries.get_current_ticket(bank.counters[2])
    operations.finish(
        operations.start_serving(at_counter_3, by=bank.agent), by=bank.agent
    )
    frozen.set(TUESDAY_10H + timedelta(minutes=12))
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


# The TV's speech engine as a test double: each utterance "speaks" for 300 ms; what is
# said, when it starts and ends, and any cancel() are recorded in window.sqSpeech.
SPEECH_ENGINE = """
(() => {
  const log = { spoken: [], cancels: 0 };
  window.sqSpeech = log;
  Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
    speaking: false, pending: false, paused: false,
    getVoices: () => [], addEventListener() {}, removeEventListener() {},
    pause() {}, resume() {}, cancel() { log.cancels += 1; },
    speak(utterance) {
      const entry = { text: utterance.text, start: performance.now(), end: null };
      log.spoken.push(entry);
      setTimeout(() => {
        entry.end = performance.now();
        if (utterance.onend) utterance.onend(new Event("end"));
      }, 300);
    },
  }});
})();
"""


def test_board_announces_two_quick_calls_in_turn_and_reports_blocked_sound(
    page: Page, live_server, bank, frozen
):
    reports = []

    @live_server.before_request
    def record_reports():  # what reaches the server, whatever the devices area keeps
        if request.endpoint == "devices.report":
            reports.append(request.form.get("sound"))

    page.add_init_script(SPEECH_ENGINE)
    page.set_viewport_size(TV)
    page.goto(f"{live_server.url}/board/{bank.token}")
    wait_for_board_socket(live_server, bank.branch.id)

    first = call_in_server(live_server, bank.counters[0].id, bank.agent.id)
    time.sleep(0.1)  # the next counter calls a tenth of a second later
    frozen.set(TUESDAY_10H + timedelta(milliseconds=100))
    second = call_in_server(live_server, bank.counters[1].id, bank.agent.id)

    page.wait_for_function(
        "() => sqSpeech.spoken.filter(u => u.text.trim() && u.end).length >= 2"
    )
    log = page.evaluate("sqSpeech")
    said = [u for u in log["spoken"] if u["text"].strip()]  # not the silent probe
    assert [u["text"] for u in said] == [
        f"Ticket {' '.join(first)}, guichet 1",
        f"Ticket {' '.join(second)}, guichet 2",
    ]
    assert said[1]["start"] >= said[0]["end"]  # in turn: the first was heard in full
    assert log["cancels"] == 0

    # Headless Chromium without --autoplay-policy keeps the chime's AudioContext
    # suspended: the server is told "blocked"; the room sees no notice.
    deadline = time.monotonic() + 10
    while not reports and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reports and set(reports) == {"blocked"}
    expect(page.locator("#board-sound")).to_be_visible()
    expect(page.locator("#board-sound")).to_have_text("")
    expect(page.get_by_text("Son coupé")).to_have_count(0)


def test_board_shows_closed_at_closing_time_without_reload(
    page: Page, live_server, db, frozen, make_branch, make_service
):
    branch = make_branch(name="Agence Plateau")  # Monday to Saturday 08:00-17:00
    make_service(branch, "A", "Ouverture de compte")
    _, token = create_device(branch, DeviceKind.BOARD, "Salle", by=None)
    frozen.set(TUESDAY_10H.replace(hour=16, minute=59, second=30))
    page.clock.install()  # the test moves the page's timers on
    page.set_viewport_size(TV)
    page.goto(f"{live_server.url}/board/{token}")
    page.evaluate("window.sqNotReloaded = true")
    badge = page.locator("#board-closed")
    expect(badge).to_be_hidden()
    closing = int(TUESDAY_10H.replace(hour=17).timestamp() * 1000)
    expect(badge).to_have_attribute("data-next-check", str(closing))

    frozen.set(TUESDAY_10H.replace(hour=17, second=2))
    page.clock.run_for(40_000)  # 30 s to 17:00, then a few to spread the boards

    expect(badge).to_have_text("Fermé · ouvre demain à 08:00")
    within_the_hour = int(TUESDAY_10H.replace(hour=18, second=2).timestamp() * 1000)
    expect(badge).to_have_attribute("data-next-check", str(within_the_hour))
    assert page.evaluate("window.sqNotReloaded") is True


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
    server = Server(app.config["SQLALCHEMY_DATABASE_URI"], TUESDAY_10H)
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
        # made a moment ago, while the board was cut off: still called out
        expect(page.locator("body")).to_have_attribute(
            "data-last-announced", f"Ticket {' '.join(code)}, guichet 2"
        )
        expect(page.locator("#board-connection")).to_be_hidden()
        assert page.evaluate("window.sqNotReloaded") is True
    finally:
        server.kill()
