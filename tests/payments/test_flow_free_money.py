"""Free Money end to end: the app served over HTTP, the simulator as a process of its
own, the payer on the phone's prompt (no page to send them to), Free Money's signed
callbacks reaching the app's hook (the callback_url given with each payment)."""

import json
import time

import pytest

from smartqueue.appointments import operations as appointments
from smartqueue.extensions import db
from smartqueue.jobs.payments import follow_open_payments
from smartqueue.models import AppointmentStatus, PaymentMethod, PaymentStatus
from smartqueue.paysim.free_money import signature_header
from tests.conftest import at
from tests.payments import flows
from tests.payments.simulator import Simulator

# The core's paths under PostgreSQL's row locks are the same for every provider: the
# Wave flows and the concurrency tests run them there; this provider's own on SQLite.
pytestmark = pytest.mark.backends("sqlite")

API_KEY = "fm-flow-key"
WEBHOOK_SECRET = "fm-flow-secret"
FREE = PaymentMethod.FREE_MONEY


@pytest.fixture(scope="module")
def relay():
    """Free Money's network: its callbacks reach each test's live server through it."""
    with flows.Relay() as relay:
        yield relay


def simulator(**extra):
    return Simulator(
        FREE_MONEY_API_KEY=API_KEY, FREE_MONEY_WEBHOOK_SECRET=WEBHOOK_SECRET, **extra
    )


@pytest.fixture(scope="module")
def sim():
    with simulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def short_lived_sim():
    """A simulator whose prompts expire after a second (the payer never answers)."""
    with simulator(FREE_MONEY_EXPIRY_SECONDS="1") as sim:
        yield sim


@pytest.fixture
def app_config(request, app_config):
    short_lived = "short_lived_sim" in request.fixturenames
    sim = request.getfixturevalue("short_lived_sim" if short_lived else "sim")
    return {
        **app_config,
        "FREE_MONEY_API_KEY": API_KEY,
        "FREE_MONEY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FREE_MONEY_API_URL": sim.url + "/free-money",
    }


@pytest.fixture
def site(live_server, relay):
    """The app over HTTP, the relay forwarding to it; its address."""
    relay.target = live_server.url
    return live_server.url


def hook(site: str) -> str:
    return site + flows.HOOKS[FREE]


def prompt(sim, payment) -> str:
    """The page standing for the prompt on the payer's phone."""
    return f"{sim.url}/free-money/phone/{payment.provider_ref}"


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Free-Money-Signature": signature_header(secret, int(time.time()), body),
    }


def record(sim, payment) -> dict:
    return flows.free_money_record(
        sim.url + "/free-money", API_KEY, payment.provider_ref
    )


def event_about(payment, **fields) -> bytes:
    """A callback's body about this payment, as Free Money words it."""
    event = {
        "event_id": "fmevt_test",
        "payment_id": payment.provider_ref,
        "status": "succeeded",
        "amount": payment.amount_fcfa,
        "currency": "XOF",
        "reference": payment.reference,
        "msisdn": flows.PAYER_PHONE,
        "transaction_id": "FM000000",
        "occurred_at": "2026-12-07T10:00:00+00:00",
        **fields,
    }
    return json.dumps(event).encode()


def paid(agenda, sim, relay, site):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    flows.decide(prompt(sim, payment), "approve")
    delivery = relay.wait_delivery(payment.reference)
    assert delivery.answered == 200
    return booked, flows.fresh(payment), delivery


def test_free_money_approved_deposit_confirms_the_appointment_once(
    agenda, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    assert payment.checkout_url is None  # the payer confirms on the phone

    assert flows.decide(prompt(sim, payment), "approve") == (200, None)

    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert flows.confirmation_notices(booked.id) >= 1


def test_free_money_approved_ticket_fee_makes_one_ticket(
    agenda, make_service, sim, relay, site
):
    vip, payment = flows.ticket_fee_payment(make_service, agenda, FREE, relay, site)

    flows.decide(prompt(sim, payment), "approve")

    assert relay.wait_delivery(payment.reference).answered == 200
    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.COMPLETED
    assert flows.tickets_of(vip.id) == 1
    assert payment.ticket.customer_id == agenda.customer.id


def test_free_money_declined_deposit_leaves_the_appointment_pending(
    agenda, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)

    flows.decide(prompt(sim, payment), "decline")

    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.FAILED]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_free_money_abandoned_prompt_expires_at_the_provider(
    agenda, frozen, short_lived_sim, relay, site
):
    """The prompt expires at Free Money (here after a second): the status job hears
    it and the payment is expired before its own 24 h."""
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    flows.wait_for(
        lambda: record(short_lived_sim, payment)["status"] == "expired",
        "the prompt to expire",
    )

    frozen.tick(minutes=5)
    flows.run_periodic(follow_open_payments)

    assert flows.statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.EXPIRED]
    assert [e.source for e in flows.fresh(payment).events][-1] == "status_check"
    assert not relay.deliveries_about(payment.reference)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_free_money_unanswered_prompt_expires_after_24_hours(
    agenda, frozen, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)

    frozen.tick(minutes=5)
    flows.run_periodic(follow_open_payments)
    assert flows.fresh(payment).status is PaymentStatus.PROCESSING
    frozen.tick(hours=24)
    flows.run_periodic(follow_open_payments)

    assert flows.statuses(payment) == [
        PaymentStatus.PENDING,
        PaymentStatus.PROCESSING,
        PaymentStatus.EXPIRED,
    ]


def test_free_money_forged_callback_is_refused_and_changes_nothing(
    agenda, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    body = event_about(payment, event_id="fmevt_forged", status="succeeded")

    for headers in (signed(body, "a-guess"), {"Content-Type": "application/json"}):
        assert flows.post(hook(site), body, headers)[0] == 400

    assert flows.statuses(payment) == [PaymentStatus.PENDING]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.PENDING_PAYMENT


def test_free_money_callback_replayed_five_times_completes_once(
    agenda, sim, relay, site
):
    booked, payment, delivery = paid(agenda, sim, relay, site)
    confirmed_at = booked.confirmed_at
    notices = flows.confirmation_notices(booked.id)

    for _ in range(5):
        status, answer = flows.post(hook(site), delivery.body, delivery.headers)
        assert status == 200 and json.loads(answer)["status"] == "completed"

    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.confirmed_at == confirmed_at
    assert flows.confirmation_notices(booked.id) == notices


def test_free_money_tampered_amount_is_refused_and_changes_nothing(
    agenda, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    with relay.holding():  # the genuine callback waits: the app sees only ours
        flows.decide(prompt(sim, payment), "approve")
        relay.wait_held()
        paid = event_about(payment, status="succeeded")
        cheaper = flows.with_json(paid, lambda event: event.update(amount=20))
        # Re-signed (as if the secret leaked): the amount is not the payment's.
        assert flows.post(hook(site), cheaper, signed(cheaper))[0] == 400
        # In another currency, likewise.
        euros = flows.with_json(paid, lambda event: event.update(currency="EUR"))
        assert flows.post(hook(site), euros, signed(euros))[0] == 400
        assert flows.statuses(payment) == [PaymentStatus.PENDING]
        db.session.refresh(booked)
        assert booked.status is AppointmentStatus.PENDING_PAYMENT
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)


def test_free_money_failed_callback_after_completed_changes_nothing(
    agenda, sim, relay, site
):
    booked, payment, delivery = paid(agenda, sim, relay, site)
    failed = flows.with_json(
        delivery.body,
        lambda event: event.update(event_id="fmevt_late", status="failed"),
    )

    status, answer = flows.post(hook(site), failed, signed(failed))

    assert status == 200 and json.loads(answer)["status"] == "completed"
    assert flows.completed_once(payment)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_free_money_callback_before_the_payer_looks(
    agenda, auth, client, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    auth.login(agenda.customer)

    flows.decide(prompt(sim, payment), "approve")
    relay.wait_delivery(payment.reference)

    assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
    assert flows.completed_once(payment)


def test_free_money_payer_looks_before_the_callback(
    agenda, frozen, auth, client, sim, relay, site
):
    booked, payment = flows.book_with_deposit(agenda, FREE, relay, site)
    auth.login(agenda.customer)
    with relay.holding():
        flows.decide(prompt(sim, payment), "approve")
        relay.wait_held()
        page = flows.return_page(client, payment)
        assert "Confirmez le paiement sur votre téléphone." in page
        assert flows.PAID_DEPOSIT not in page
        frozen.tick(seconds=30)  # the callback is late: the page asks Free Money
        assert flows.PAID_DEPOSIT in flows.return_page(client, payment)
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)


def test_free_money_deposit_refunded_when_cancelled_in_time(agenda, sim, relay, site):
    booked, payment, _ = paid(agenda, sim, relay, site)

    appointments.cancel_appointment(booked, by=agenda.customer)

    payment = flows.fresh(payment)
    assert payment.status is PaymentStatus.REFUNDED
    books = record(sim, payment)
    assert (books["status"], books["refunded_amount"]) == ("refunded", 2000)


def test_free_money_deposit_kept_when_not_coming_in_the_last_two_hours(
    agenda, frozen, sim, relay, site
):
    booked, payment, _ = paid(agenda, sim, relay, site)
    frozen.set(at(2, 7, 30))

    appointments.answer_reminder(booked, coming=False)

    assert flows.fresh(payment).status is PaymentStatus.COMPLETED
    assert record(sim, payment)["refunded_amount"] == 0
