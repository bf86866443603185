"""Fixtures of the job tests."""

import pytest

from tests.services import RedisServer


@pytest.fixture
def private_redis():
    """A Redis server of this test's own, which the test may stop and start again."""
    server = RedisServer()
    server.url = server.start()
    yield server
    server.stop()
