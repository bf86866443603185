"""How sure a service's estimates are: the share of told waits that came true over the
last 28 closed days (rollups), said on a waiting ticket's page only with enough data."""

from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from smartqueue.analytics import confidence
from smartqueue.models import Channel
from smartqueue.models.analytics import service_day
from smartqueue.queueing import operations as ops

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TODAY = date(2026, 12, 1)  # the frozen clock's day
LINE = "Nos estimations pour ce service se sont vérifiées"


def _rolled_up(db, hall, service, days_ago: int, told: int, inside: int) -> None:
    day = TODAY - timedelta(days=days_ago)
    db.session.execute(
        insert(service_day).values(
            day=day,
            service_id=service.id,
            branch_id=hall.branch.id,
            organization_id=hall.org.id,
            weekday=day.weekday(),
            target_wait_minutes=15,
            told_n=told,
            told_inside=inside,
        )
    )
    db.session.commit()


def test_confidence_reads_the_last_28_closed_days(db, make_hall, frozen):
    hall = make_hall(services=(("A", "Caisse"), ("B", "Conseil")))
    _rolled_up(db, hall, hall.a, 1, 20, 17)
    _rolled_up(db, hall, hall.a, 28, 20, 15)
    _rolled_up(db, hall, hall.a, 29, 500, 0)  # before the window
    _rolled_up(db, hall, hall.a, 0, 500, 0)  # today: not a closed day
    _rolled_up(db, hall, hall.b, 1, 29, 29)
    sure = confidence.read_confidence(hall.a.id, TODAY)
    assert (sure.told, sure.inside, sure.in_ten) == (40, 32, 8)
    assert confidence.estimate_confidence(hall.a.id) == sure
    # 29 told waits: too few to say anything; no rollups at all: nothing either.
    assert confidence.read_confidence(hall.b.id, TODAY).told == 29
    assert confidence.estimate_confidence(hall.b.id) is None
    assert confidence.estimate_confidence(hall.a.id + hall.b.id + 100) is None


def test_in_ten_never_says_better_than_it_was():
    assert confidence.Confidence(100, 99).in_ten == 9
    assert confidence.Confidence(100, 100).in_ten == 10
    assert confidence.Confidence(30, 2).in_ten == 0


def test_a_waiting_ticket_says_how_sure_its_estimate_is_only_with_enough_data(
    client, db, make_hall, frozen
):
    hall = make_hall(services=(("A", "Caisse"), ("B", "Conseil")), counters={1: "AB"})
    _rolled_up(db, hall, hall.a, 3, 30, 24)
    _rolled_up(db, hall, hall.b, 3, 29, 29)
    sure = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    unsure = ops.issue_ticket(hall.b, channel=Channel.KIOSK)
    page = client.get(f"/t/{sure.token}").get_data(as_text=True)
    assert f"{LINE} 8 fois sur 10 ces 4 dernières semaines." in page
    assert LINE not in client.get(f"/t/{unsure.token}").get_data(as_text=True)
    # Called or served: the line is about waiting, it goes.
    ops.call_next(hall.counter, by=hall.agent)
    assert LINE not in client.get(f"/t/{sure.token}").get_data(as_text=True)
