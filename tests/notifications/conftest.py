"""Fixtures of the notification tests."""

import pytest


@pytest.fixture
def hall(db, make_hall):
    """Branch PLATEAU: services A and B, counter 1 open for both."""
    hall = make_hall(services=[("A", "Ouverture de compte"), ("B", "Retrait")])
    hall.branch.sms_code = "PLATEAU"
    db.session.commit()
    return hall
