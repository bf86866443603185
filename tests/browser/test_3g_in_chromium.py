"""The live ticket page on a phone under slow 3G: compressed HTML, static files cached for a
year, a reload in one request. Figures (bytes, time) are in bench/slow_3g.py, not here."""

import pytest
from playwright.sync_api import Page, expect

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops
from tests.queueing import conftest as queueing

desk = queueing.desk

SLOW_3G = {  # ~400 kbit/s each way, 400 ms round trip
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}


class Network:
    """The HTTP requests of a visit that reached the server, as DevTools reports them."""

    def __init__(self, cdp):
        self.responses, self.cached, self.sockets = {}, set(), []
        cdp.on("Network.responseReceived", self._received)
        cdp.on(
            "Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"])
        )
        cdp.on("Network.webSocketHandshakeResponseReceived", self._socket)

    def _received(self, event):
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.cached.add(event["requestId"])
        headers = {k.lower(): v for k, v in response["headers"].items()}
        self.responses[event["requestId"]] = (
            response["url"],
            response["status"],
            headers,
        )

    def _socket(self, event):
        self.sockets.append(event)

    def reset(self):
        self.responses, self.cached = {}, set()
        self.sockets.clear()

    def fetched(self):
        return [
            answer
            for rid, answer in self.responses.items()
            if rid not in self.cached and answer[0].startswith("http")
        ]


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size({"width": 360, "height": 740})
    return page


def test_ticket_page_on_slow_3g_is_compressed_and_reloads_in_one_request(
    phone, live_server, desk, screenshots_dir
):
    page = phone
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    ticket = ops.issue_ticket(desk.a, channel=Channel.KIOSK)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    network = Network(cdp)
    url = f"{live_server.url}/t/{ticket.token}"

    page.goto(url)
    expect(page.locator("#ticket-live .ticket-code")).to_have_text(ticket.code)
    page.wait_for_load_state("networkidle")  # the icon comes after "load"
    first = network.fetched()
    html = [a for a in first if a[0] == url]
    assets = [a for a in first if "/static/" in a[0]]
    assert len(html) == 1 and html[0][1] == 200
    assert html[0][2].get("content-encoding") in ("br", "gzip")
    assert {a[0].rsplit("/", 1)[1].split(".")[0] for a in assets} >= {
        "app",
        "ticket",
        "htmx",
        "ws",
        "favicon",
    }
    for asset_url, status, headers in assets:
        assert status == 200, asset_url
        assert "immutable" in headers["cache-control"], asset_url
        assert "max-age=31536000" in headers["cache-control"], asset_url
        if asset_url.endswith((".js", ".css")):
            assert headers.get("content-encoding") in ("br", "gzip"), asset_url
    # the live socket went through: its upgrade is never compressed
    assert network.sockets and network.sockets[0]["response"]["status"] == 101
    socket_headers = {k.lower() for k in network.sockets[0]["response"]["headers"]}
    assert "content-encoding" not in socket_headers
    page.screenshot(path=screenshots_dir / "phone-ticket-3g.png", full_page=True)

    network.reset()
    page.reload()
    expect(page.locator("#ticket-live .ticket-code")).to_have_text(ticket.code)
    page.wait_for_load_state("networkidle")
    again = network.fetched()
    assert [a[0] for a in again] == [url], again  # every static file from the cache
    assert network.sockets, "the reloaded page is live again"
    assert not problems
