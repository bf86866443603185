"""The live ticket page /t/<token> in Chromium under a slow-3G profile: bytes and time.

Served as in production (PostgreSQL + Redis, gunicorn started like the Procfile's web line).
A kiosk ticket is issued with --ahead tickets waiting before it. Debian's Chromium, driven
by Playwright, opens the page as a phone (360x740) with the network throttled through the
DevTools protocol (`Network.emulateNetworkConditions`) and its cache on
(`Network.setCacheDisabled` false), then reloads it. For each visit: the HTTP requests that
went to the network (a file served from the browser's cache is not one), the bytes they
transferred (Chromium's `encodedDataLength`: headers and bodies as sent, compressed or not;
the ticket's websocket is counted apart), and the time from the navigation's start until
the ticket number is painted (the page's largest contentful paint, which is the ticket
number; if it is not, the first contentful paint is shown and said so).

Profiles: "slow-3g" is ~400 kbit/s down and up with a 400 ms round trip (the issue's
figure); "devtools-slow-3g" is the old DevTools "Slow 3G" preset (400 kbit/s, 2 000 ms
latency). Targets: first visit under 30 KB transferred, a reload in one request.

    .venv/bin/python bench/slow_3g.py [--profile slow-3g] [--ahead 12]
"""

import argparse
import os
import sys
import time

from _live import Stack, command_line, machine_facts, now_text

from smartqueue.extensions import db
from smartqueue.models import Channel, DeviceKind, Service, Strategy
from smartqueue.queueing import operations as ops

KBIT = 1000 / 8  # bytes per second in one kbit/s
PROFILES = {
    "slow-3g": {"latency": 400, "down": 400 * KBIT, "up": 400 * KBIT},
    "devtools-slow-3g": {"latency": 2000, "down": 400 * KBIT, "up": 400 * KBIT},
}
TARGET_BYTES = 30_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# When the ticket number enters the page, measured from the navigation's start; it is
# painted at the first contentful paint that follows (the stylesheets block rendering).
NUMBER_SEEN = """new MutationObserver((_, watcher) => {
  if (document.querySelector('#ticket-live .ticket-code')) {
    window.sqNumberAt = performance.now();
    watcher.disconnect();
  }
}).observe(document, {childList: true, subtree: true});"""
PAINTED = """() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp: fcp ? fcp.startTime : null, number: window.sqNumberAt ?? null};
}"""


class NetworkLog:
    """What the DevTools protocol reports of one visit's HTTP requests."""

    def __init__(self, cdp):
        self.requests, self.cached, self.finished = {}, set(), {}
        self.sockets = 0
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketCreated", self._socket)

    def reset(self):
        self.requests, self.cached, self.finished = {}, set(), {}
        self.sockets = 0

    def _sent(self, event):
        self.requests[event["requestId"]] = {"url": event["request"]["url"]}

    def _from_cache(self, event):
        self.cached.add(event["requestId"])

    def _received(self, event):
        response = event["response"]
        entry = self.requests.setdefault(event["requestId"], {"url": response["url"]})
        entry["status"] = response["status"]
        entry["encoding"] = _header(response["headers"], "content-encoding")
        entry["cache"] = _header(response["headers"], "cache-control")
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def _finished(self, event):
        self.finished[event["requestId"]] = event["encodedDataLength"]

    def _socket(self, _event):
        self.sockets += 1

    def network(self) -> list[dict]:
        """The requests that reached the server, with the bytes each transferred."""
        return [
            {**entry, "bytes": self.finished.get(rid, 0)}
            for rid, entry in self.requests.items()
            if rid not in self.cached and entry["url"].startswith("http")
        ]


def _header(headers: dict, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return "-"


def visit(page, log, action) -> dict:
    log.reset()
    started = time.monotonic()
    action()
    page.locator("#ticket-live .ticket-code").wait_for(state="visible")
    page.wait_for_load_state("networkidle")  # the icon too, fetched after "load"
    painted = page.evaluate(PAINTED)
    wall = time.monotonic() - started
    network = log.network()
    return {
        "network": network,
        "bytes": sum(r["bytes"] for r in network),
        "painted": painted,
        "wall": wall,
        "sockets": log.sockets,
    }


def report(name: str, result: dict) -> None:
    network, painted = result["network"], result["painted"]
    print(f"\n{name}: {len(network)} request(s) to the network")
    for r in network:
        path = r["url"].split("/", 3)[-1]
        print(
            f"  /{path:<44} {r.get('status', '?'):>4} {r['bytes']:>7} B"
            f"  {r.get('encoding', '-'):<5} {r.get('cache', '-')}"
        )
    shown = (
        f"ticket number in the page at {painted['number'] / 1000:.2f} s, "
        f"painted at {max(painted['fcp'], painted['number']) / 1000:.2f} s "
        f"(first contentful paint {painted['fcp'] / 1000:.2f} s)"
    )
    print(
        f"  total {result['bytes']} bytes = {result['bytes'] / 1000:.1f} KB transferred; "
        f"{shown}; network idle after {result['wall']:.2f} s (wall clock); "
        f"websockets opened: {result['sockets']}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ahead", type=int, default=12, help="tickets waiting before")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="slow-3g")
    parser.add_argument(
        "--accept-encoding",
        help="send this Accept-Encoding instead of Chromium's own (which names br "
        "over HTTPS and on 127.0.0.1; e.g. 'gzip, deflate' as over plain HTTP)",
    )
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]

    from playwright.sync_api import sync_playwright

    print(f"command: {command_line()}")
    with Stack() as stack:
        print(f"date: {now_text()}")
        print(f"machine: {machine_facts(stack)}")
        desk = stack.seed_branch([("A", "Dépôts", 10, Strategy.FIFO)], [[0]])
        stack.device(desk.branch, DeviceKind.KIOSK)
        stack.fill(desk.services[0], args.ahead)
        ticket = ops.issue_ticket(
            db.session.get(Service, desk.services[0].id), channel=Channel.KIOSK
        )
        token = ticket.token
        db.session.remove()
        with stack.gunicorn("wsgi:app", workers=2) as web, sync_playwright() as pw:
            print(f"server: {web.command}")
            print(
                f"profile: {args.profile}: {profile['down'] * 8 / 1000:.0f} kbit/s down, "
                f"{profile['up'] * 8 / 1000:.0f} kbit/s up, {profile['latency']} ms latency"
            )
            browser = pw.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=CHROMIUM_ARGS,
            )
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                locale="fr-SN",
                timezone_id="Africa/Dakar",
            )
            context.add_init_script(NUMBER_SEEN)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": profile["latency"],
                    "downloadThroughput": profile["down"],
                    "uploadThroughput": profile["up"],
                },
            )
            if args.accept_encoding:
                cdp.send(
                    "Network.setExtraHTTPHeaders",
                    {"headers": {"Accept-Encoding": args.accept_encoding}},
                )
            log = NetworkLog(cdp)
            url = f"http://127.0.0.1:{web.port}/t/{token}"
            first = visit(page, log, lambda: page.goto(url, timeout=120_000))
            again = visit(page, log, lambda: page.reload(timeout=120_000))
            browser.close()

    report("first visit", first)
    report("reload", again)
    met_bytes = first["bytes"] < TARGET_BYTES
    met_reload = len(again["network"]) == 1
    print(
        f"\ntargets: first visit {first['bytes'] / 1000:.1f} KB < 30 KB: "
        f"{'met' if met_bytes else 'NOT met'}; reload in one request "
        f"({len(again['network'])}): {'met' if met_reload else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
