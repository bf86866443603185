"""Queue fixtures: a branch open on a frozen Tuesday morning, a counter, an agent."""

import pytest

from smartqueue.models import CounterStatus


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
