"""Smoke: a deposit paid with Wave through the simulator confirms its appointment once."""

import pytest

from smartqueue.appointments import operations as appointments
from smartqueue.appointments import planning
from smartqueue.models import AppointmentStatus, PaymentMethod, PaymentStatus
from smartqueue.payments import operations as payments
from tests.conftest import at
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.payments.test_wave import API_KEY, WEBHOOK_SECRET, press, settings

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture(scope="module")
def recorder():
    with CallbackRecorder("/hooks/payments/wave") as recorder:
        yield recorder


@pytest.fixture(scope="module")
def sim(recorder):
    with Simulator(**settings(recorder.url)) as sim:
        yield sim


@pytest.fixture
def app_config(app_config, sim):
    return {
        **app_config,
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": sim.url + "/wave",
    }


def test_smoke(db, agenda, recorder):
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    booked = appointments.book_appointment(agenda.customer, agenda.service, at(2, 9))
    payment = payments.pay_deposit(
        booked,
        method=PaymentMethod.WAVE,
        payer=agenda.customer,
        payer_phone=None,
        idempotency_key="k1",
    )
    payment = payments.start_payment(
        payment,
        return_url="http://x/done",
        cancel_url="http://x/cancel",
        notify_url="http://x/hook",
    )
    assert payment.checkout_url
    press(payment.checkout_url, "approve")
    received = recorder.wait_until(lambda r: payment.provider_ref.encode() in r.body)
    for _ in range(3):
        done = payments.receive_callback(
            PaymentMethod.WAVE, received.headers, received.body
        )
    assert done.status is PaymentStatus.COMPLETED
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert [e.to_status for e in done.events] == [
        PaymentStatus.PENDING,
        PaymentStatus.COMPLETED,
    ]
