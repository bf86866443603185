"""relay(), the body of every live socket, over the in-process broker and over Redis."""

import pytest

from smartqueue import create_app
from smartqueue.realtime.broker import publish
from smartqueue.realtime.relay import relay
from tests.live import delivered

CHANNEL = "sq:test:relay"


class FakeSocket:
    """A client that goes away once it has received `wanted` messages, and says so on
    the channel so that relay() notices now rather than at its next quiet second."""

    def __init__(self, wanted: int):
        self.wanted = wanted
        self.sent: list[str] = []

    @property
    def connected(self) -> bool:
        return len(self.sent) < self.wanted

    def send(self, text: str) -> None:
        self.sent.append(text)
        if not self.connected:
            publish(CHANNEL, "gone")


@pytest.fixture(params=["in-process", "redis"])
def live_app(request, app_config, redis_url):
    redis = redis_url if request.param == "redis" else None
    app = create_app(dict(app_config, REDIS_URL=redis))
    with app.app_context():
        yield app


def _changes_meanwhile(app, count: int):
    """A snapshot during which `count` changes are published (they reach the subscription
    before the loop reads them: the in-process broker delivers while publishing, and
    Redis is waited for)."""

    def snapshot() -> str:
        for i in range(count):
            publish(CHANNEL, f"change {i}")
        if app.config["REDIS_URL"]:
            delivered(app.config["REDIS_URL"])
        return "snapshot"

    return snapshot


def test_a_screen_that_renders_itself_renders_once_for_what_queued_up(live_app):
    renders = []

    def render(messages: list[str]) -> str:
        renders.append(messages)
        return f"screen after {messages[-1]}"

    ws = FakeSocket(wanted=2)
    relay(ws, [CHANNEL], _changes_meanwhile(live_app, 5), on_messages=render)
    assert renders == [[f"change {i}" for i in range(5)]]
    assert ws.sent == ["snapshot", "screen after change 4"]


def test_rendered_messages_are_all_forwarded(live_app):
    """The board's fragments come rendered, and each may announce a call: none skipped."""
    ws = FakeSocket(wanted=6)
    relay(ws, [CHANNEL], _changes_meanwhile(live_app, 5))
    assert ws.sent == ["snapshot"] + [f"change {i}" for i in range(5)]
