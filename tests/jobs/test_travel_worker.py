"""Travel jobs in real `flask worker` processes on a real Redis: the trips are computed
there (never in the process that set the origin), and a worker killed in the middle of
a trip's computation loses no advice and doubles none."""

import signal

import pytest
from sqlalchemy import func, select

from smartqueue import travel
from smartqueue.jobs import enqueue
from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import Channel, OutboxJob, TravelPlan
from smartqueue.queueing import operations as ops
from smartqueue.travel import operations as trips
from tests.processes import production_env, run_flask, stop, wait_for
from tests.services import run_worker
from tests.travel.osrm_server import FakeOsrm

pytestmark = [pytest.mark.production, pytest.mark.backends("postgresql")]

NEAR_PLATEAU = (14.68012, -17.44049)  # on foot, 23 min + 10 from make_branch's Plateau
LEAVE_NOW = "Partez maintenant pour arriver à temps"


@pytest.fixture
def app_config(app_config):
    """Jobs time out after 3 s, so a killed worker's job is found abandoned soon."""
    return dict(app_config, JOB_TIMEOUT=3)


def _plans(db) -> dict[int, TravelPlan]:
    db.session.expire_all()
    plans = db.session.scalars(select(TravelPlan)).all()
    db.session.commit()
    return {plan.ticket_id: plan for plan in plans}


def _outbox_count(db) -> int:
    count = db.session.scalar(select(func.count()).select_from(OutboxJob))
    db.session.commit()
    return count


def test_travel_worker_an_rq_worker_computes_the_trips_and_tells_leave_now(
    app, app_config, backend, db, make_hall, mailbox
):
    hall = make_hall()
    first = ops.issue_ticket(
        hall.a, channel=Channel.WEB, contact_email="awa@example.sn"
    )
    others = [ops.issue_ticket(hall.a, channel=Channel.WEB) for _ in range(3)]
    for ticket in [first, *others]:
        trips.set_ticket_origin(
            ticket, position=NEAR_PLATEAU, mode=travel.TravelMode.WALKING
        )
    # Queued in Redis: nothing computed in this process.
    assert all(plan.computed_at is None for plan in _plans(db).values())

    result = run_worker(app_config, mailbox.port)
    assert result.returncode == 0, result.stderr[-2000:]
    plans = _plans(db)
    assert {p.travel_minutes for p in plans.values()} == {23}
    assert all(p.source == "estimate" for p in plans.values())
    # The first in line (no wait) was told to leave now, by email.
    assert plans[first.id].told_at is not None
    [mail] = mailbox.wait_for("awa@example.sn")
    assert LEAVE_NOW in str(mail["Subject"])

    # The periodic job, in a worker too: the line has not moved, nobody is told again.
    told_leave_at = plans[first.id].told_leave_at
    enqueue(travel_jobs.recompute_trips)
    db.session.commit()  # pushed to Redis after the commit
    result = run_worker(app_config, mailbox.port)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _plans(db)[first.id].told_leave_at == told_leave_at
    assert len(mailbox.messages("awa@example.sn")) == 1
    assert _outbox_count(db) == 0


def test_travel_worker_killed_mid_computation_loses_no_advice_and_doubles_none(
    app, app_config, backend, db, make_hall, mailbox, tmp_path
):
    hall = make_hall()
    with FakeOsrm({}) as osrm:
        osrm.behaviour = "slow"  # holds each request 1.5 s (the client gives up at 1)
        env = production_env(app_config, OSRM_URL=osrm.url)
        first = run_flask(env, "worker", log=tmp_path / "first.log")
        second = None
        try:
            ticket = ops.issue_ticket(
                hall.a, channel=Channel.WEB, contact_email="awa@example.sn"
            )
            trips.set_ticket_origin(
                ticket, position=NEAR_PLATEAU, mode=travel.TravelMode.WALKING
            )
            wait_for(lambda: osrm.requests, "the worker to ask OSRM")
            stop(first, signal.SIGKILL)  # in the middle of the trip's computation
            assert _plans(db)[ticket.id].computed_at is None

            osrm.behaviour = "ok"  # it knows no road here: estimated, at once
            second = run_flask(env, "worker", log=tmp_path / "second.log")
            wait_for(
                lambda: _plans(db)[ticket.id].computed_at is not None,
                "the retried job to compute the trip",
                timeout=90,
            )
            mailbox.wait_for("awa@example.sn", timeout=30)
            wait_for(lambda: _outbox_count(db) == 0, "the outbox to empty", timeout=30)
        finally:
            stop(first, signal.SIGKILL)
            if second is not None:
                stop(second)
    plan = _plans(db)[ticket.id]
    assert plan.travel_minutes == 23 and plan.told_at is not None
    leave_now = [
        m for m in mailbox.messages("awa@example.sn") if LEAVE_NOW in str(m["Subject"])
    ]
    assert len(leave_now) == 1
