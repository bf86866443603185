"""Queue fixtures: a branch open on a frozen Tuesday morning, a counter, an agent."""

import pytest

from tests.scenarios import OPENING


@pytest.fixture
def desk(make_hall):
    """A branch with services A and B, counter 1 (A+B, open) and counter 2 (A, open)."""
    desk = make_hall(
        services=[("A", OPENING), ("B", "Dépôt et retrait", 5)],
        counters={1: "AB", 2: "A"},
        staff=("agent", "agent"),
    )
    desk.counter2, desk.agent2 = desk.counters[2], desk.staff[1]
    return desk
