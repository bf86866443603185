"""Orange Money end to end: the app served over HTTP, the simulator as a process of its
own, the payer on WebPay's payment page, Orange's notices reaching the app's hook (the
notif_url given with each payment names it), each SUCCESS confirmed by asking Orange."""

import json

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
from tests.conftest import at
from tests.payments import flows
from tests.payments.simulator import Simulator

# The core's paths under PostgreSQL's row locks are the same for every provider: the
# Wave flows and the concurrency tests run them there; this provider's own on SQLite.
pytestmark = pytest.mark.backends("sqlite")

CREDENTIALS = {
    "ORANGE_MONEY_CLIENT_ID": "sq-flow-client",
    "ORANGE_MONEY_CLIENT_SECRET": "sq-flow-client-secret",
    "ORANGE_MONEY_MERCHANT_KEY": "sq-flow-merchant-key",
}
ORANGE = PaymentMethod.ORANGE_MONEY


@pytest.fixture(scope="module")
def relay():
    """Orange's network: its notices reach each test's live server through it."""
    with flows.Relay() as relay:
        yield relay


@pytest.fixture(scope="module")
def sim():
    with Simulator(**CREDENTIALS) as sim:
        yield sim


@pytest.fixture
def app_config(app_config, sim):
    return {
        **app_config,
        **CREDENTIALS,
        "ORANGE_MONEY_API_URL": sim.url + "/orange-money",
    }


@pytest.fixture
def site(live_server, relay):
    """The app over HTTP, the relay forwarding to it; its address."""
    relay.target = live_server.url
    return live_server.url


def hook(site: str, payment) -> str:
    return flows.hook_url(site, payment)


def notice(payment, status: str, txnid: str | None = None, **extra) -> bytes:
    """A notice as Orange words it (no signature, no amount: the notif_token is the
    proof that it is Orange's)."""
    body = {"status": status, "notif_token": payment.callback_secret, "txnid": txnid}
    return json.dumps({**body, **extra}).encode()


JSON = {"Content-Type": "application/json"}


def paid(agenda, relay, site):
    """A deposit approved on Orange's page and its notice applied: (appointment,
    payment, the notice as the app received it)."""
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    flows.decide(payment.checkout_url, "approve")
    delivery = relay.wait_delivery(payment.reference)
    assert delivery.answered == 200
    return booked, flows.fresh(payment), delivery


def test_orange_money_approved_deposit_confirms_the_appointment_once(
    agenda, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)

    answer = flows.decide(payment.checkout_url, "approve")

    assert answer == (303, f"{site}/payments/{payment.reference}")
    delivery = relay.wait_delivery(payment.reference)
    assert delivery.path == f"/hooks/payments/orange-money/{payment.reference}"
    assert delivery.answered == 200
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert flows.confirmation_notices(booked.id) >= 1


def test_orange_money_approved_ticket_fee_makes_one_ticket(
    agenda, make_service, relay, site
):
    vip, payment = flows.ticket_fee_payment(make_service, agenda, ORANGE, relay, site)

    flows.decide(payment.checkout_url, "approve")

    assert relay.wait_delivery(payment.reference).answered == 200
    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.COMPLETED
    assert flows.tickets_of(vip.id) == 1
    assert payment.ticket.customer_id == agenda.customer.id


def test_orange_money_declined_deposit_leaves_the_appointment_pending(
    agenda, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)

    answer = flows.decide(payment.checkout_url, "decline")

    assert answer == (303, f"{site}/payments/{payment.reference}?cancelled=1")
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.FAILED]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_orange_money_abandoned_payment_is_asked_about_then_expires(
    agenda, frozen, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    assert flows.open_page(payment.checkout_url)[0] == 200  # looked, then left

    frozen.tick(minutes=5)
    flows.run_periodic(follow_open_payments)
    assert flows.fresh(payment).status is PaymentStatus.PROCESSING  # INITIATED

    frozen.tick(hours=24)
    flows.run_periodic(follow_open_payments)

    assert flows.statuses(payment) == [
        PaymentStatus.PENDING,
        PaymentStatus.PROCESSING,
        PaymentStatus.EXPIRED,
    ]
    assert not relay.deliveries_about(payment.reference)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_orange_money_forged_notice_is_refused_and_changes_nothing(agenda, relay, site):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    flows.decide(payment.checkout_url, "approve")
    genuine = json.loads(relay.wait_delivery(payment.reference).body)
    other_booked, other = flows.book_with_deposit(
        agenda, ORANGE, relay, site, starts_at=at(3, 9)
    )
    # Somebody who saw a notice (or guesses) tries it on another, unpaid payment.
    forged = json.dumps({**genuine, "notif_token": "0" * 32}).encode()

    assert flows.post(hook(site, other), forged, JSON)[0] == 400
    assert flows.post(hook(site, other), json.dumps(genuine).encode(), JSON)[0] == 400
    assert flows.post(site + "/hooks/payments/orange-money/PAY-NONE", forged, JSON)[
        0
    ] == (400)

    assert flows.statuses(other) == [PaymentStatus.PENDING]
    db.session.refresh(other_booked)
    assert other_booked.status is AppointmentStatus.PENDING_PAYMENT


def test_orange_money_notice_replayed_five_times_completes_once(agenda, relay, site):
    booked, payment, delivery = paid(agenda, relay, site)
    confirmed_at = booked.confirmed_at
    notices = flows.confirmation_notices(booked.id)

    for _ in range(5):
        status, answer = flows.post(
            hook(site, payment), delivery.body, delivery.headers
        )
        assert status == 200 and json.loads(answer)["status"] == "completed"

    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.confirmed_at == confirmed_at
    assert flows.confirmation_notices(booked.id) == notices


def test_orange_money_success_that_orange_does_not_confirm_is_refused(
    agenda, relay, site
):
    """Orange's notice carries no amount to tamper with (the payment's own is checked
    with Orange): what can be tampered with is its status, and a SUCCESS that Orange's
    transactionstatus does not say is refused, even with the right notif_token."""
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    tampered = notice(payment, "SUCCESS", "MP000000.0000.FAKE", amount=20)

    assert flows.post(hook(site, payment), tampered, JSON)[0] == 400

    assert flows.statuses(payment) == [PaymentStatus.PENDING]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_orange_money_failed_notice_after_completed_changes_nothing(
    agenda, relay, site
):
    booked, payment, delivery = paid(agenda, relay, site)
    txnid = json.loads(delivery.body)["txnid"]

    status, answer = flows.post(
        hook(site, payment), notice(payment, "FAILED", txnid), JSON
    )

    assert status == 200 and json.loads(answer)["status"] == "completed"
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_orange_money_notice_before_the_payer_is_back(
    agenda, auth, client, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    auth.login(agenda.customer)

    _, back_to = flows.decide(payment.checkout_url, "approve")
    relay.wait_delivery(payment.reference)

    assert back_to == f"{site}/payments/{payment.reference}"
    assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
    assert flows.completed_once(payment)


def test_orange_money_payer_back_before_the_notice(
    agenda, frozen, auth, client, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, ORANGE, relay, site)
    auth.login(agenda.customer)
    with relay.holding():
        flows.decide(payment.checkout_url, "approve")
        relay.wait_held()
        page = flows.return_page(client, payment)
        assert flows.WAITING in page and flows.PAID_DEPOSIT not in page
        frozen.tick(seconds=30)  # the notice is late: the page asks Orange
        assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_orange_money_deposit_cancelled_in_time_is_refunded_by_hand(
    agenda, relay, site
):
    """WebPay has no refund call: the payment stays completed, with a note saying the
    refund is to be made in Orange's back office."""
    booked, payment, _ = paid(agenda, relay, site)

    appointments.cancel_appointment(booked, by=agenda.customer)

    payment = flows.fresh(payment)
    assert db.session.get(Appointment, booked.id).status is (
        AppointmentStatus.CANCELLED
    )
    assert payment.status is PaymentStatus.COMPLETED
    assert payment.failure_reason.startswith("refund to make by hand")
    assert payment.refunded_at is None
    orange = get_provider(ORANGE).fetch_status(payment.provider_ref)
    assert orange.state is PaymentState.COMPLETED


def test_orange_money_deposit_kept_when_not_coming_in_the_last_two_hours(
    agenda, frozen, relay, site
):
    booked, payment, _ = paid(agenda, relay, site)
    frozen.set(at(2, 7, 30))

    appointments.answer_reminder(booked, coming=False)

    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.COMPLETED
    assert payment.failure_reason is None  # nothing to give back
