"""Notifications through RQ on a real Redis, with real `flask worker` processes and an SMS
gateway over HTTP: a gateway that fails twice then answers sends the message once; a
worker SIGKILLed while the gateway holds its request loses nothing (sent at least once,
the gateway deduplicates by our reference, the history keeps one message)."""

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select

from smartqueue.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from smartqueue.queueing import operations as queueing
from tests.jobs.test_faults import Workers, _outbox
from tests.notifications.sms_servers import FakeSmsGateway
from tests.processes import wait_for

pytestmark = pytest.mark.backends("postgresql")
PHONE = "+221771234567"


@pytest.fixture
def gateway():
    with FakeSmsGateway() as server:
        yield server


@pytest.fixture
def app_config(app_config, private_redis, gateway):
    """Production mode on a private Redis, SMS through the test's gateway; jobs time out
    after 3 s (a killed worker's job is found abandoned within seconds)."""
    return dict(
        app_config,
        REDIS_URL=private_redis.url,
        JOB_TIMEOUT=3,
        **gateway.config(),
    )


@pytest.fixture
def workers(app_config, mailbox, tmp_path, gateway):
    pool = Workers(app_config, mailbox.port, tmp_path)
    pool.env.update({k: str(v) for k, v in gateway.config().items()})
    yield pool
    pool.stop_all()


def _issued_sms(db, ticket_id) -> list[Notification]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket_id,
            Notification.kind == NotificationKind.TICKET_ISSUED,
        )
    ).all()
    db.session.commit()
    return rows


def _settled(db, redis_url):
    queue = Queue("default", connection=Redis.from_url(redis_url))

    def settled():  # nothing left that could send it again
        return (
            _outbox(db) == []
            and queue.count == 0
            and StartedJobRegistry(queue=queue).count == 0
            and ScheduledJobRegistry(queue=queue).count == 0
        )

    return settled


def test_a_gateway_that_fails_twice_then_answers_sends_once(
    app, app_config, backend, db, make_hall, gateway, workers, private_redis
):
    hall = make_hall()
    gateway.behaviour = "error"
    workers.start()
    ticket = queueing.issue_ticket(hall.a, channel=Channel.KIOSK, contact_phone=PHONE)

    wait_for(lambda: len(gateway.received) >= 2, "two failed tries", timeout=60)
    gateway.behaviour = "ok"  # the next try (after RQ's back-off) goes through
    wait_for(lambda: gateway.delivered, "the message", timeout=90)
    wait_for(_settled(db, private_redis.url), "the jobs to settle", timeout=60)

    [row] = _issued_sms(db, ticket.id)
    assert row.status is NotificationStatus.SENT and row.attempts == 2
    assert [r.status for r in gateway.received] == [500, 500, 201]
    assert len(gateway.delivered) == 1
    assert ticket.code in next(iter(gateway.delivered.values())).text


def test_a_worker_killed_mid_send_loses_nothing_and_sends_one_message(
    app, app_config, backend, db, make_hall, gateway, workers, private_redis
):
    hall = make_hall()
    gateway.behaviour = "slow"  # takes the message, answers late
    first = workers.start()
    ticket = queueing.issue_ticket(hall.a, channel=Channel.KIOSK, contact_phone=PHONE)

    wait_for(lambda: gateway.received, "the first send", timeout=60)
    workers.kill(first)  # SIGKILL while the gateway holds the request
    gateway.behaviour = "ok"
    workers.start()
    wait_for(lambda: len(gateway.received) >= 2, "the send again", timeout=90)
    wait_for(_settled(db, private_redis.url), "the jobs to settle", timeout=60)

    [row] = _issued_sms(db, ticket.id)
    assert row.status is NotificationStatus.SENT
    references = {r.reference for r in gateway.received}
    assert references == {f"sq-{row.id}"}  # the same message id, sent twice...
    assert len(gateway.delivered) == 1  # ...is one SMS for the person
