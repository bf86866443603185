"""Wave end to end: the app served over HTTP, the simulator as a process of its own, the
payer on Wave's checkout page, Wave's signed webhooks reaching the app's hook."""

import json
import time

import pytest

from smartqueue.appointments import operations as appointments
from smartqueue.extensions import db
from smartqueue.jobs.payments import follow_open_payments
from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    PaymentMethod,
    PaymentStatus,
)
from smartqueue.payments.providers import get_provider
from smartqueue.payments.providers.base import PaymentState
from smartqueue.paysim.wave import signature_header
from tests.conftest import at
from tests.payments import flows
from tests.payments.simulator import Simulator

pytestmark = pytest.mark.backends("sqlite", "postgresql")

API_KEY = "wave_sn_flow_key"
WEBHOOK_SECRET = "wave_sn_WHS_flow_secret"
WAVE = PaymentMethod.WAVE


@pytest.fixture(scope="module")
def relay():
    """Wave's network: the webhooks reach each test's live server through it."""
    with flows.Relay() as relay:
        yield relay


@pytest.fixture(scope="module")
def sim(relay):
    """The simulator, its webhook registered at the app's Wave hook (via the relay)."""
    with Simulator(
        WAVE_API_KEY=API_KEY,
        WAVE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WAVE_WEBHOOK_URL=relay.url + flows.HOOKS[WAVE],
    ) as sim:
        yield sim


@pytest.fixture
def app_config(app_config, sim):
    return {
        **app_config,
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": sim.url + "/wave",
    }


@pytest.fixture
def site(live_server, relay):
    """The app over HTTP, the relay forwarding to it; its address."""
    relay.target = live_server.url
    return live_server.url


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Wave-Signature": signature_header(secret, int(time.time()), body),
    }


def hook(site: str) -> str:
    return site + flows.HOOKS[WAVE]


def paid(agenda, relay, site):
    """A deposit approved on Wave's page and its webhook applied: (appointment,
    payment, the webhook as the app received it)."""
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    flows.decide(payment.checkout_url, "approve")
    delivery = relay.wait_delivery(payment.reference)
    assert delivery.answered == 200
    return booked, flows.fresh(payment), delivery


def test_wave_approved_deposit_confirms_the_appointment_once(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)

    answer = flows.decide(payment.checkout_url, "approve")

    assert answer == (303, f"{site}/payments/{payment.reference}")
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert flows.fresh(payment).fulfilled_at is not None
    assert flows.confirmation_notices(booked.id) >= 1


def test_wave_approved_ticket_fee_makes_one_ticket(agenda, make_service, relay, site):
    vip, payment = flows.ticket_fee_payment(make_service, agenda, WAVE, relay, site)
    assert payment.amount_fcfa == 1000
    assert flows.tickets_of(vip.id) == 0

    flows.decide(payment.checkout_url, "approve")

    assert relay.wait_delivery(payment.reference).answered == 200
    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.COMPLETED
    assert flows.tickets_of(vip.id) == 1
    assert payment.ticket.service_id == vip.id
    assert payment.ticket.customer_id == agenda.customer.id


def test_wave_declined_deposit_leaves_the_appointment_pending(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)

    answer = flows.decide(payment.checkout_url, "decline")

    assert answer == (303, f"{site}/payments/{payment.reference}?cancelled=1")
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.FAILED]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_wave_abandoned_payment_is_asked_about_then_expires(
    agenda, frozen, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    assert flows.open_page(payment.checkout_url)[0] == 200  # looked, then left

    frozen.tick(minutes=5)  # the first status check is due after 3 minutes
    flows.run_periodic(follow_open_payments)  # as the clock process does, every minute
    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.PROCESSING  # Wave: the session is open
    assert payment.next_check_at > frozen.now

    frozen.tick(hours=24)
    flows.run_periodic(follow_open_payments)

    assert flows.statuses(payment) == [
        PaymentStatus.PENDING,
        PaymentStatus.PROCESSING,
        PaymentStatus.EXPIRED,
    ]
    assert flows.fresh(payment).next_check_at is None
    assert not relay.deliveries_about(payment.reference)  # no webhook ever came
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_wave_forged_webhook_is_refused_and_changes_nothing(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    session = get_provider(WAVE).fetch_status(payment.provider_ref)
    assert session.state is PaymentState.PROCESSING
    event = {
        "id": "AE_forged",
        "type": "checkout.session.completed",
        "data": {
            "id": payment.provider_ref,
            "amount": "2000",
            "currency": "XOF",
            "client_reference": payment.reference,
            "checkout_status": "complete",
            "payment_status": "succeeded",
        },
    }
    body = json.dumps(event).encode()

    for headers in (signed(body, "a-guess"), {"Content-Type": "application/json"}):
        status, _ = flows.post(hook(site), body, headers)
        assert status == 400

    assert flows.statuses(payment) == [PaymentStatus.PENDING]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_wave_webhook_replayed_five_times_completes_once(agenda, relay, site):
    booked, payment, delivery = paid(agenda, relay, site)
    confirmed_at = booked.confirmed_at
    notices = flows.confirmation_notices(booked.id)

    for _ in range(5):
        status, answer = flows.post(hook(site), delivery.body, delivery.headers)
        assert status == 200
        assert json.loads(answer)["status"] == "completed"

    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert booked.confirmed_at == confirmed_at
    assert flows.confirmation_notices(booked.id) == notices


def test_wave_tampered_amount_is_refused_and_changes_nothing(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    with relay.holding():  # the genuine webhook waits: the app sees only ours
        flows.decide(payment.checkout_url, "approve")
        relay.wait_held()
        session = get_provider(WAVE).fetch_status(payment.provider_ref)
        assert session.state is PaymentState.COMPLETED
        event = {
            "id": "AE_tampered",
            "type": "checkout.session.completed",
            "data": {
                "id": payment.provider_ref,
                "amount": "20",
                "currency": "XOF",
                "client_reference": payment.reference,
                "checkout_status": "complete",
                "payment_status": "succeeded",
            },
        }
        body = json.dumps(event).encode()
        # Signed right (as if the secret leaked): the amount is not the payment's.
        assert flows.post(hook(site), body, signed(body))[0] == 400
        assert flows.statuses(payment) == [PaymentStatus.PENDING]
        db.session.refresh(booked)
        assert booked.status is AppointmentStatus.PENDING_PAYMENT
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)


def test_wave_webhook_with_a_changed_body_is_refused(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    flows.decide(payment.checkout_url, "decline")
    delivery = relay.wait_delivery(payment.reference)
    changed = flows.with_json(
        delivery.body,
        lambda event: (
            event.update(type="checkout.session.completed")
            or event["data"].update(payment_status="succeeded")
        ),
    )

    assert flows.post(hook(site), changed, delivery.headers)[0] == 400

    assert flows.statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.FAILED]


def test_wave_failed_webhook_after_completed_changes_nothing(agenda, relay, site):
    booked, payment, delivery = paid(agenda, relay, site)
    failed = flows.with_json(
        delivery.body,
        lambda event: (
            event.update(id="AE_late", type="checkout.session.payment_failed")
            or event["data"].update(payment_status="cancelled")
        ),
    )

    status, answer = flows.post(hook(site), failed, signed(failed))

    assert status == 200 and json.loads(answer)["status"] == "completed"
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_wave_webhook_before_the_payer_is_back(agenda, auth, client, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    auth.login(agenda.customer)

    _, back_to = flows.decide(payment.checkout_url, "approve")
    assert relay.wait_delivery(payment.reference).answered == 200  # came first

    assert back_to == f"{site}/payments/{payment.reference}"
    assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
    assert flows.completed_once(payment)


def test_wave_payer_back_before_the_webhook(agenda, frozen, auth, client, relay, site):
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    auth.login(agenda.customer)
    with relay.holding():
        flows.decide(payment.checkout_url, "approve")
        relay.wait_held()
        # The payer is back, the webhook is not: the page says it waits...
        page = flows.return_page(client, payment)
        assert flows.WAITING in page and flows.PAID_DEPOSIT not in page
        # ... and once the webhook is late, it asks Wave, which says paid.
        frozen.tick(seconds=30)
        assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
        db.session.refresh(booked)
        assert booked.status is AppointmentStatus.CONFIRMED
    # The webhook then arrives and changes nothing.
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)
    assert [e.source for e in flows.fresh(payment).events] == [
        "payer",
        "status_check",
    ]
    assert flows.PAID_DEPOSIT in flows.return_page(client, payment)


def test_wave_deposit_refunded_when_cancelled_in_time(agenda, relay, site):
    booked, payment, _ = paid(agenda, relay, site)

    appointments.cancel_appointment(booked, by=agenda.customer)  # a day before

    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refund_ref
    wave = get_provider(WAVE).fetch_status(payment.provider_ref)
    assert wave.state is PaymentState.REFUNDED


def test_wave_deposit_kept_when_not_coming_in_the_last_two_hours(
    agenda, frozen, relay, site
):
    booked, payment, _ = paid(agenda, relay, site)
    frozen.set(at(2, 7, 30))  # the appointment is at 09:00

    appointments.answer_reminder(booked, coming=False)

    assert db.session.get(Appointment, booked.id).status is (
        AppointmentStatus.CANCELLED
    )
    assert flows.fresh(payment).status is PaymentStatus.COMPLETED
    wave = get_provider(WAVE).fetch_status(payment.provider_ref)
    assert wave.state is PaymentState.COMPLETED


def test_wave_completed_after_a_failed_attempt_is_not_lost(agenda, relay, site):
    """At Wave a failed attempt leaves the session open: the payer may try again and
    pay. That completion comes after our payment was marked failed; the money moved,
    so the payment completes and its purpose is carried out."""
    booked, payment = flows.book_with_deposit(agenda, WAVE, relay, site)
    flows.decide(payment.checkout_url, "decline")
    declined = relay.wait_delivery(payment.reference)
    assert flows.fresh(payment).status is PaymentStatus.FAILED
    paid_later = flows.with_json(
        declined.body,
        lambda event: (
            event.update(id="AE_second_try", type="checkout.session.completed")
            or event["data"].update(
                checkout_status="complete",
                payment_status="succeeded",
                last_payment_error=None,
            )
        ),
    )

    status, answer = flows.post(hook(site), paid_later, signed(paid_later))

    assert status == 200 and json.loads(answer)["status"] == "completed"
    assert flows.statuses(payment) == [
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
        PaymentStatus.COMPLETED,
    ]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
