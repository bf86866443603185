"""Rate limits: counters in Redis, in each process's memory while Redis is down (never a
500), and keyed on the address a trusted proxy saw (never on one a client claims)."""

import logging
import time

import pytest
from redis import Redis

from smartqueue import create_app
from smartqueue.extensions import limiter
from smartqueue.web.limits import client_address
from tests.services import RedisServer

WRONG = {"email": "nobody@example.sn", "password": "wrong-pass"}


def _limiter_keys(url: str) -> list[bytes]:
    return Redis.from_url(url).keys("LIMITS:*")


def _post_until_refused(client, data, most: int = 60, **kwargs) -> list[int]:
    codes = []
    while len(codes) < most and 429 not in codes:
        codes.append(client.post("/auth/login", data=data, **kwargs).status_code)
    return codes


@pytest.fixture
def private_redis():
    """A Redis of this test's own, which the test stops and starts again."""
    server = RedisServer()
    url = server.start()
    yield server, url
    server.stop()
    limiter._storage_dead = False  # the limiter is module-wide: leave it on its storage


def test_limits_fall_back_to_memory_while_redis_is_down_and_return_to_it(
    app, app_config, private_redis, caplog
):
    server, url = private_redis
    limited = create_app(
        dict(
            app_config,
            RATELIMIT_ENABLED=True,
            REDIS_URL=url,
            RATELIMIT_STORAGE_URI=url,
        )
    )
    client = limited.test_client()
    assert client.post("/auth/login", data=WRONG).status_code == 422
    assert _limiter_keys(url)  # the counter lives in Redis

    server.halt()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        first = client.post("/auth/login", data=WRONG)
        assert first.status_code == 422  # the normal page, not a 500
        assert "incorrect" in first.get_data(as_text=True)
        # Still limited during the outage, in this process's memory.
        codes = _post_until_refused(client, WRONG)
    assert codes[-1] == 429 and 500 not in codes
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["flask-limiter"]  # one line, then quiet
    assert not any(r.exc_info for r in caplog.records)

    server.start()  # the same address, as a restarted Redis
    # The limiter looks for its storage again after 1, 2, 4... seconds: go on signing
    # in (refused in memory meanwhile) until the counter is back in Redis.
    deadline = time.monotonic() + 60
    while not _limiter_keys(url) and time.monotonic() < deadline:
        assert client.post("/auth/login", data=WRONG).status_code in (422, 429)
        time.sleep(0.2)
    assert _limiter_keys(url)
    # Back on Redis, whose counters started again from zero: the form answers.
    assert client.post("/auth/login", data=WRONG).status_code == 422


def _address() -> str:
    return client_address()


@pytest.fixture
def address_app(app_config):
    """An app behind `proxies` trusted proxies, with a page that says whom it sees,
    limited (with the limiter's default key) to 3 a minute."""

    def make(proxies: int):
        made = create_app(
            dict(app_config, RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=proxies)
        )
        made.add_url_rule(
            "/_test/address", "address", limiter.limit("3/minute")(_address)
        )
        return made

    return make


def _from(forwarded: str):
    return dict(
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
    )


def test_behind_one_trusted_proxy_the_address_is_the_one_it_saw(address_app):
    client = address_app(1).test_client()
    seen = [
        client.get("/_test/address", **_from(f"203.0.113.{i}, 198.51.100.4"))
        for i in range(4)
    ]
    assert [r.get_data(as_text=True) for r in seen[:3]] == ["198.51.100.4"] * 3
    assert seen[3].status_code == 429  # the limit counts that address
    # Someone else behind the same proxy is not locked out by it.
    other = client.get("/_test/address", **_from("198.51.100.5"))
    assert (other.status_code, other.get_data(as_text=True)) == (200, "198.51.100.5")


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(address_app):
    client = address_app(0).test_client()
    seen = [client.get("/_test/address", **_from(f"198.51.100.{i}")) for i in range(4)]
    assert [r.get_data(as_text=True) for r in seen[:3]] == ["10.0.0.1"] * 3
    # Claiming another address at each request does not dodge the limit.
    assert seen[3].status_code == 429
    page = seen[3].get_data(as_text=True)
    assert "Patientez quelques minutes avant de réessayer." in page
    assert "per 1 minute" not in page  # the limiter's own English description
