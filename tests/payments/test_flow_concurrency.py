"""The same completed callback delivered twice at the same moment to two production
web processes (gunicorn) on PostgreSQL: the payment's row lock lets one complete it and
carry out its purpose; the other finds it completed and changes nothing."""

import signal
from datetime import time as t

import pytest
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.extensions import db
from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    OutboxJob,
    PaymentMethod,
    PaymentStatus,
)
from smartqueue.orgs.operations import set_opening_hours
from smartqueue.payments import operations as payments
from tests.payments import flows
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.processes import production_env, serve_web, stop
from tests.services import free_port

pytestmark = [pytest.mark.backends("postgresql"), pytest.mark.production]

API_KEY = "wave_sn_race_key"
WEBHOOK_SECRET = "wave_sn_WHS_race_secret"
WAVE = PaymentMethod.WAVE


@pytest.fixture(scope="module")
def recorder():
    """Where Wave's webhooks land first: the test delivers each to both processes."""
    with CallbackRecorder(flows.HOOKS[WAVE]) as recorder:
        yield recorder


@pytest.fixture(scope="module")
def sim(recorder):
    with Simulator(
        WAVE_API_KEY=API_KEY,
        WAVE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WAVE_WEBHOOK_URL=recorder.url,
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def wave_settings(sim):
    return {
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": sim.url + "/wave",
    }


@pytest.fixture
def app_config(app_config, wave_settings):
    return {**app_config, **wave_settings}


@pytest.fixture(scope="module")
def web_processes(database_urls, redis_url, wave_settings):
    """Two gunicorn processes on the run's PostgreSQL and Redis, started once for the
    module (each test empties the tables under them): their addresses."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_urls("postgresql"),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
    }
    env = production_env(config, **wave_settings)
    ports = [free_port(), free_port()]
    started = [serve_web(env, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            flows.wait_serving(base)
        yield bases
    finally:
        for process in started:
            stop(process, signal.SIGQUIT)  # gunicorn's quick shutdown


@pytest.fixture
def real_time(agenda):
    """The processes run on the real clock: so does this test (the agenda's branch
    open around the clock, for the tickets)."""
    clock.freeze(None)
    set_opening_hours(agenda.branch, {day: (t(0), t(23, 59, 59)) for day in range(7)})
    return agenda


def deliver_twice_at_once(recorder, payment, web_processes) -> list[int]:
    """Wave's genuine webhook for this payment, POSTed to both processes at once."""
    received = recorder.wait_until(lambda c: payment.provider_ref.encode() in c.body)
    return flows.post_at_once(
        [
            (base + flows.HOOKS[WAVE], received.body, received.headers)
            for base in web_processes
        ]
    )


def test_deposit_webhook_twice_at_once_confirms_once(
    real_time, sim, recorder, web_processes
):
    site = web_processes[0]
    # A few rounds, each a race of its own.
    rounds = flows.book_deposits(real_time, WAVE, 3, site, site)
    for _, payment in rounds:
        flows.decide(payment.checkout_url, "approve")

    for _, payment in rounds:
        assert deliver_twice_at_once(recorder, payment, web_processes) == [200, 200]

    for booked, payment in rounds:
        assert flows.completed_once(payment)
        appointment = db.session.get(Appointment, booked.id)
        assert appointment.status is AppointmentStatus.CONFIRMED
        assert flows.fresh(payment).fulfilment_error is None


def test_ticket_fee_webhook_twice_at_once_makes_one_ticket(
    real_time, make_service, sim, recorder, web_processes
):
    site = web_processes[0]
    rounds = [
        flows.ticket_fee_payment(make_service, real_time, WAVE, site, site, prefix)
        for prefix in ("V", "W", "X")
    ]
    for _, payment in rounds:
        flows.decide(payment.checkout_url, "approve")

    for _, payment in rounds:
        assert deliver_twice_at_once(recorder, payment, web_processes) == [200, 200]

    for service, payment in rounds:
        assert flows.completed_once(payment)
        assert flows.tickets_of(service.id) == 1
        assert flows.fresh(payment).ticket.service_id == service.id


def test_two_payments_of_one_deposit_completing_at_once_confirm_once(
    real_time, sim, recorder, web_processes
):
    """The payer paid one deposit twice (two tabs, two payments): their webhooks reach
    the two processes at the same moment. One payment confirms the appointment; the
    other is noted as paid already, to be refunded."""
    site = web_processes[0]
    rounds = []
    for booked, first in flows.book_deposits(real_time, WAVE, 3, site, site):
        second = flows.start(
            payments.pay_deposit(
                booked,
                method=WAVE,
                payer=real_time.customer,
                payer_phone=None,
                idempotency_key=f"second-tab-{booked.id}",
            ),
            site,
            site,
        )
        for payment in (first, second):
            flows.decide(payment.checkout_url, "approve")
        rounds.append((booked, first, second))

    for _, first, second in rounds:
        webhooks = [
            recorder.wait_until(lambda c, p=p: p.provider_ref.encode() in c.body)
            for p in (first, second)
        ]
        assert flows.post_at_once(
            [
                (base + flows.HOOKS[WAVE], webhook.body, webhook.headers)
                for base, webhook in zip(web_processes, webhooks, strict=True)
            ]
        ) == [200, 200]

    for booked, first, second in rounds:
        both = [flows.fresh(first), flows.fresh(second)]
        assert [p.status for p in both] == [PaymentStatus.COMPLETED] * 2
        assert sorted(p.fulfilment_error is None for p in both) == [False, True]
        appointment = db.session.get(Appointment, booked.id)
        assert appointment.status is AppointmentStatus.CONFIRMED
    refunds = db.session.scalar(
        select(func.count(OutboxJob.id)).where(
            OutboxJob.func.endswith("refund_payment")
        )
    )
    assert refunds == len(rounds)  # one refund asked for each second payment
