"""Queue fixtures: a branch open on a frozen Tuesday morning, a counter, an agent."""

from datetime import datetime, timedelta, timezone

import pytest

from smartqueue import clock
from smartqueue.models import CounterStatus

TUESDAY_10H = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # Dakar is UTC+0


class Clock:
    """The frozen clock of a test: `tick(minutes=5)` moves it on."""

    def __init__(self, start):
        self.now = start
        clock.freeze(start)

    def tick(self, **delta):
        self.now += timedelta(**delta)
        clock.freeze(self.now)
        return self.now

    def set(self, moment):
        self.now = moment
        clock.freeze(moment)


@pytest.fixture
def frozen():
    """The clock stopped on Tuesday 1 December 2026, 10:00 in Dakar."""
    c = Clock(TUESDAY_10H)
    yield c
    clock.freeze(None)


@pytest.fixture
def desk(db, frozen, make_branch, make_service, make_counter, make_user):
    """A branch with services A and B, counter 1 (A+B, open) and counter 2 (A, open)."""

    class Desk:
        branch = make_branch()
        a = make_service(branch, "A", "Ouverture de compte")
        b = make_service(branch, "B", "Dépôt et retrait", minutes=5)
        counter = make_counter(branch, 1, [a, b])
        counter2 = make_counter(branch, 2, [a])
        agent = make_user(role="agent", branch=branch)
        agent2 = make_user(role="agent", branch=branch)

    for counter in (Desk.counter, Desk.counter2):
        counter.status = CounterStatus.OPEN
    db.session.commit()
    return Desk
