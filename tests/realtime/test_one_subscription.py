"""One Redis subscription per web process, not per open socket: twenty boards open on one
server hold one pub/sub connection, every board still receives each call, and the last
board to close unsubscribes the channel (and the process lets its connection go)."""

import re
import time

import pytest
from redis import Redis
from simple_websocket import Client

from smartqueue.models import Channel, DeviceKind
from smartqueue.queueing import operations
from smartqueue.realtime import channels

pytestmark = pytest.mark.production

SOCKETS = 20
LISTENER = "smartqueue-listener"  # the name the broker gives its connection


@pytest.fixture
def hall(make_hall):
    return make_hall(counters={3: "A"}, screens=[(DeviceKind.BOARD, "Salle")])


def _listeners(redis: Redis) -> list[dict]:
    return [c for c in redis.client_list(_type="pubsub") if c.get("name") == LISTENER]


def _subscribers(redis: Redis, channel: str) -> int:
    return dict(redis.pubsub_numsub(channel))[channel.encode()]


def _words(html: str) -> list[str]:
    return re.sub(r"<[^>]+>", " ", html).split()


def test_twenty_boards_share_one_subscription_and_all_receive_each_call(
    live_server, hall, app_config
):
    redis = Redis.from_url(app_config["REDIS_URL"])
    channel = channels.board(hall.branch.id)
    url = live_server.url.replace("http", "ws", 1) + f"/ws/board/{hall.token}"
    boards = []
    try:
        for _ in range(SOCKETS):
            board = Client.connect(url)
            boards.append(board)
            # Subscribed by then. 30 s, not 10: a loaded CI machine once took longer to
            # answer one of twenty (not a speed test: bench/ measures those).
            assert 'id="board-' in (board.receive(timeout=30) or "")
        assert _subscribers(redis, channel) == 1
        listeners = _listeners(redis)
        assert len(listeners) == 1 and int(listeners[0]["sub"]) == 1

        ticket = operations.issue_ticket(hall.a, channel=Channel.KIOSK)
        operations.call_next(hall.counter, by=hall.agent)
        for board in boards:
            seen = ""
            while ticket.code not in _words(seen):
                seen = board.receive(timeout=10)
                assert seen is not None, "a board missed the call"
    finally:
        for board in boards:
            board.close()

    deadline = time.monotonic() + 10
    while _subscribers(redis, channel) or _listeners(redis):
        assert time.monotonic() < deadline, "the channel stayed subscribed"
        time.sleep(0.01)
    redis.close()
