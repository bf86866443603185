"""The payer's pages: paying a deposit or a ticket fee, coming back, my payments, the
receipt. The providers are the payment simulator, a process of its own spoken to over
HTTP; its Wave webhooks land in a recorder and are handed to the app's hook as the
raw signed bytes they are."""

import html as html_text
import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from smartqueue import create_app
from smartqueue.appointments import operations as appointments
from smartqueue.appointments import planning
from smartqueue.extensions import db as _db
from smartqueue.models import (
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    QueueType,
    Ticket,
)
from smartqueue.payments.providers import online_methods
from tests.conftest import at
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.payments.test_orange_money import CREDENTIALS as ORANGE
from tests.payments.test_wave import API_KEY, WEBHOOK_SECRET, press
from tests.services import free_port

FREE = {"FREE_MONEY_API_KEY": "fm-key", "FREE_MONEY_WEBHOOK_SECRET": "fm-secret"}
CHECKOUT = re.compile(r"/wave/c/(cos-[\w-]+)$")


@pytest.fixture(scope="module")
def recorder():
    """Where the simulator sends Wave's webhooks: the tests hand them to the app."""
    with CallbackRecorder("/hooks/payments/wave") as recorder:
        yield recorder


@pytest.fixture(scope="module")
def sim(recorder):
    with Simulator(
        WAVE_API_KEY=API_KEY,
        WAVE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WAVE_WEBHOOK_URL=recorder.url,
        **ORANGE,
        **FREE,
    ) as sim:
        yield sim


def providers(url: str) -> dict:
    """The three adapters configured against a simulator at `url`."""
    return {
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": url + "/wave",
        **ORANGE,
        "ORANGE_MONEY_API_URL": url + "/orange-money",
        **FREE,
        "FREE_MONEY_API_URL": url + "/free-money",
    }


@pytest.fixture
def app_config(app_config, sim):
    return {**app_config, **providers(sim.url)}


@pytest.fixture
def booked(agenda):
    """Awa's appointment on Wednesday 09:00, held until its 2 000 FCFA deposit is paid
    (by 10:30: 30 minutes after booking). Her account has her phone number."""
    agenda.customer.phone = "+221771234567"
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    return appointments.book_appointment(agenda.customer, agenda.service, at(2, 9))


def pay(client, number, method="wave", key="k" * 20, **fields):
    return client.post(
        f"/payments/deposit/{number}", data={"method": method, "key": key, **fields}
    )


def hand_over_webhook(client, recorder, provider_ref: str):
    """The simulator's signed webhook for this session, delivered to the app's hook."""
    received = recorder.wait_until(lambda r: provider_ref.encode() in r.body)
    answer = client.post(
        "/hooks/payments/wave",
        data=received.body,
        headers={"Wave-Signature": received.headers["Wave-Signature"]},
        content_type="application/json",
    )
    assert answer.status_code == 200, page_text(answer)


def page_text(response) -> str:
    """The page as a person reads it (apostrophes and all)."""
    return html_text.unescape(response.get_data(as_text=True))


def only_payment(db) -> Payment:
    (payment,) = db.session.scalars(select(Payment)).all()
    return payment


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/me/payments"),
        ("get", "/payments/PAY-0123456789AB"),
        ("get", "/payments/PAY-0123456789AB/receipt"),
        ("get", "/payments/PAY-0123456789AB/cancelled"),
        ("get", "/payments/deposit/RDV202612020001"),
        ("post", "/payments/deposit/RDV202612020001"),
        ("get", "/payments/ticket/1"),
    ],
)
def test_payer_pages_send_the_anonymous_to_sign_in(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 303
    assert response.location.startswith("/auth/login?next=")


def test_someone_elses_payment_and_appointment_are_not_found(
    client, auth, db, booked, make_user
):
    auth.login(booked.customer)
    assert pay(client, booked.number).status_code == 303
    reference = only_payment(db).reference
    auth.logout()
    auth.login(make_user())

    for path in (
        f"/payments/{reference}",
        f"/payments/{reference}/receipt",
        f"/payments/{reference}/cancelled",
        f"/payments/deposit/{booked.number}",
    ):
        assert client.get(path).status_code == 404, path
    assert pay(client, booked.number, key="m" * 20).status_code == 404
    assert "PAY-" not in page_text(client.get("/me/payments"))


# --- choosing and paying --------------------------------------------------------------------


def test_appointment_page_has_the_deposit_box_with_every_method(client, auth, booked):
    auth.login(booked.customer)

    response = client.get(f"/appointments/{booked.number}")

    html = page_text(response)
    assert "Acompte : 2\u202f000 FCFA à régler avant 10:30" in html
    for name in ("Wave", "Orange Money", "Free Money"):
        assert f"Payer avec {name}" in html
    assert f'action="/payments/deposit/{booked.number}"' in html
    assert 'value="77 123 45 67"' in html  # Free Money's number: the account's
    assert 'name="key"' in html
    # The form's redirect to the provider's page is allowed to leave the site.
    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self' https:" in policy


def test_pay_with_wave_goes_to_its_checkout_and_a_double_submit_is_one_payment(
    client, auth, db, booked
):
    auth.login(booked.customer)

    first = pay(client, booked.number)
    second = pay(client, booked.number)

    assert first.status_code == second.status_code == 303
    assert CHECKOUT.search(first.location)
    assert second.location == first.location
    payment = only_payment(db)
    assert (payment.method, payment.amount_fcfa) == (PaymentMethod.WAVE, 2000)
    assert payment.appointment_id == booked.id
    assert payment.status is PaymentStatus.PENDING


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"method": "bitcoin"}, "Ce moyen de paiement n'est pas disponible ici."),
        ({"method": "cash"}, "Ce moyen de paiement n'est pas disponible ici."),
        ({"method": ""}, "Choisissez un moyen de paiement."),
        ({"key": ""}, "Cette page est trop ancienne"),
        ({"method": "free_money"}, "Indiquez le numéro Free Money qui va payer."),
        (
            {"method": "free_money", "phone": "12 34"},
            "Numéro de téléphone invalide",
        ),
    ],
)
def test_a_bad_choice_is_422_with_its_message_and_no_payment(
    client, auth, db, booked, fields, message
):
    auth.login(booked.customer)

    response = pay(client, booked.number, **fields)

    assert response.status_code == 422
    html = page_text(response)
    assert message in html
    assert 'id="payment-choice"' in html
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_a_provider_that_does_not_answer_is_a_message(client, auth, app, db, booked):
    app.config["WAVE_API_URL"] = f"http://127.0.0.1:{free_port()}/wave"
    app.extensions.pop("payment_providers", None)
    auth.login(booked.customer)

    response = pay(client, booked.number)

    assert response.status_code == 409
    html = page_text(response)
    assert "Le service de paiement ne répond pas" in html
    assert only_payment(db).status is PaymentStatus.FAILED
    # Another try is another payment: the form carries a new key.
    assert 'value="' + "k" * 20 + '"' not in html


def test_a_paid_appointment_has_nothing_more_to_pay(client, auth, db, booked, recorder):
    auth.login(booked.customer)
    started = pay(client, booked.number)
    press(started.location, "approve")
    hand_over_webhook(client, recorder, only_payment(db).provider_ref)

    page = page_text(client.get(f"/appointments/{booked.number}"))
    again = pay(client, booked.number, key="n" * 20)

    assert "Payer avec Wave" not in page
    assert 'id="appointment-payments"' in page and "Payé" in page
    assert again.status_code == 303
    assert again.location == f"/appointments/{booked.number}"
    assert "Ce rendez-vous n'attend pas de paiement." in page_text(
        client.get(again.location)
    )


def test_free_money_sends_the_payer_to_confirm_on_their_phone(client, auth, db, booked):
    auth.login(booked.customer)

    response = pay(client, booked.number, method="free_money", phone="76 123 45 67")

    payment = only_payment(db)
    assert response.status_code == 303
    assert response.location == f"/payments/{payment.reference}"
    assert payment.payer_phone == "+221761234567"
    html = page_text(client.get(response.location))
    assert "Confirmez le paiement sur votre téléphone." in html
    assert "76 123 45 67" in html


def test_orange_money_is_told_to_notify_the_payments_own_hook(client, auth, db, booked):
    auth.login(booked.customer)

    response = pay(client, booked.number, method="orange_money")

    payment = only_payment(db)
    assert response.status_code == 303
    assert "/orange-money/pay/" in response.location
    assert payment.method is PaymentMethod.ORANGE_MONEY and payment.provider_ref


# --- coming back ----------------------------------------------------------------------------


def test_callback_then_return_shows_a_paid_deposit_and_a_confirmed_appointment(
    client, auth, db, booked, recorder
):
    auth.login(booked.customer)
    started = pay(client, booked.number)
    status, back_to = press(started.location, "approve")
    payment = only_payment(db)
    hand_over_webhook(client, recorder, payment.provider_ref)

    page = client.get(f"/payments/{payment.reference}")

    html = page_text(page)
    assert status == 303 and back_to.endswith(f"/payments/{payment.reference}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Payé" in html and "votre rendez-vous est confirmé" in html
    assert f'href="/appointments/{booked.number}"' in html
    assert "hx-trigger" not in html  # closed: no more asking
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_return_before_the_callback_refreshes_then_asks_the_provider_once(
    client, auth, db, booked, frozen
):
    auth.login(booked.customer)
    started = pay(client, booked.number)
    press(started.location, "approve")  # its webhook is never handed over
    payment = only_payment(db)

    frozen.tick(seconds=10)
    early = client.get(f"/payments/{payment.reference}")
    fragment = client.get(
        f"/payments/{payment.reference}", headers={"HX-Request": "true"}
    )
    frozen.tick(seconds=15)
    late = client.get(f"/payments/{payment.reference}")

    early_html = page_text(early)
    assert "En attente de votre paiement" in early_html
    assert 'hx-trigger="every 3s"' in early_html
    assert '<meta http-equiv="refresh" content="3">' in early_html
    assert page_text(fragment).lstrip().startswith("<section")
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Payé" in page_text(late)
    db.session.refresh(payment)
    assert [e.source for e in payment.events] == ["payer", "status_check"]
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_cancel_page_says_cancelled_and_offers_another_try(client, auth, db, booked):
    auth.login(booked.customer)
    pay(client, booked.number)
    payment = only_payment(db)

    html = page_text(client.get(f"/payments/{payment.reference}/cancelled"))

    assert "Paiement annulé" in html
    assert f'href="/payments/deposit/{booked.number}"' in html
    assert "Réessayer" in html


# --- my payments and receipts ---------------------------------------------------------------


def test_my_payments_newest_first_and_the_receipt(
    client, auth, db, booked, recorder, frozen
):
    auth.login(booked.customer)
    pay(client, booked.number, method="free_money", phone="76 123 45 67")
    frozen.tick(minutes=1)
    started = pay(client, booked.number, key="w" * 20)
    press(started.location, "approve")
    wave = db.session.scalar(
        select(Payment).where(Payment.method == PaymentMethod.WAVE)
    )
    hand_over_webhook(client, recorder, wave.provider_ref)

    listing = page_text(client.get("/me/payments"))
    receipt = client.get(f"/payments/{wave.reference}/receipt")

    assert listing.index("Wave") < listing.index("Free Money")
    assert f'href="/payments/{wave.reference}/receipt"' in listing
    html = page_text(receipt)
    assert receipt.status_code == 200
    for shown in (
        "SmartQueue",
        booked.branch.organization.name,
        wave.reference,
        "2\u202f000 FCFA",
        "Wave",
        "Payé",
        f"rendez-vous {booked.number}",
        "1 décembre 2026, 10:01",  # Dakar time
    ):
        assert shown in html, shown
    assert "css/payments" in html  # its print styles


def test_receipt_is_in_the_payers_language(client, auth, db, booked, recorder):
    booked.customer.locale = "en"
    db.session.commit()
    auth.login(booked.customer)
    pay(client, booked.number)
    payment = only_payment(db)

    html = page_text(client.get(f"/payments/{payment.reference}/receipt"))

    assert '<html lang="en">' in html


# --- a VIP ticket's fee ------------------------------------------------------------------------


@pytest.fixture
def vip(db, agenda, make_service):
    service = make_service(agenda.branch, "V", "Clients VIP", type=QueueType.VIP)
    agenda.counter.services.append(service)
    db.session.commit()
    return service


def test_a_vip_service_takes_no_free_ticket_from_the_web(client, auth, db, agenda, vip):
    auth.login(agenda.customer)

    branch_page = page_text(client.get(f"/branches/{agenda.branch.id}"))
    taken = client.post(f"/branches/{agenda.branch.id}/services/{vip.id}/ticket")
    choice = client.get(taken.location)

    assert "Payer 1\u202f000 FCFA et prendre un ticket" in branch_page
    assert taken.status_code == 303
    assert taken.location == f"/payments/ticket/{vip.id}"
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert "Ticket VIP : 1\u202f000 FCFA" in page_text(choice)


def test_a_paid_vip_fee_makes_the_ticket_and_the_return_page_links_to_it(
    client, auth, db, agenda, vip, recorder
):
    auth.login(agenda.customer)
    started = client.post(
        f"/payments/ticket/{vip.id}", data={"method": "wave", "key": "v" * 20}
    )
    press(started.location, "approve")
    payment = only_payment(db)
    hand_over_webhook(client, recorder, payment.provider_ref)

    html = page_text(client.get(f"/payments/{payment.reference}"))

    (ticket,) = db.session.scalars(select(Ticket)).all()
    assert (ticket.service_id, ticket.customer_id) == (vip.id, agenda.customer.id)
    assert f'href="/t/{ticket.token}"' in html
    ticket_page = page_text(client.get(f"/t/{ticket.token}"))
    assert "Ticket payé 1\u202f000 FCFA par Wave" in ticket_page
    assert f"/payments/{payment.reference}/receipt" in ticket_page


def test_a_second_vip_ticket_is_not_sold_while_one_is_active(
    client, auth, db, agenda, vip, recorder
):
    auth.login(agenda.customer)
    started = client.post(
        f"/payments/ticket/{vip.id}", data={"method": "wave", "key": "v" * 20}
    )
    press(started.location, "approve")
    hand_over_webhook(client, recorder, only_payment(db).provider_ref)
    (ticket,) = db.session.scalars(select(Ticket)).all()

    again = client.post(
        f"/payments/ticket/{vip.id}", data={"method": "wave", "key": "x" * 20}
    )

    assert again.status_code == 303
    assert again.location == f"/t/{ticket.token}"
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert "Vous avez déjà un ticket en cours dans cette file." in page_text(
        client.get(again.location)
    )


def test_a_free_service_has_no_fee_page(client, auth, agenda):
    auth.login(agenda.customer)

    assert client.get(f"/payments/ticket/{agenda.walk_in.id}").status_code == 404


# --- the embedded mode: the simulator mounted in-process, over HTTP -----------------------------


def test_embedded_mode_mounts_the_simulator_and_a_payment_goes_through_it(
    app_config, db, booked
):
    """`make run` without DATABASE_URL: /paysim in the same server, the adapters and
    Wave's webhook pointed at it; a deposit paid through it confirms its appointment."""
    import requests

    port = free_port()
    config = {
        key: value for key, value in app_config.items() if key not in providers("")
    }
    served = create_app(
        {
            **config,
            "PAYMENT_SIMULATOR": True,
            "PORT": str(port),
            "SERVER_NAME": None,
            "WTF_CSRF_ENABLED": False,
        }
    )
    server = make_server("127.0.0.1", port, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{port}"
    try:
        with served.app_context():
            assert online_methods() == [
                PaymentMethod.WAVE,
                PaymentMethod.ORANGE_MONEY,
                PaymentMethod.FREE_MONEY,
            ]
        browser = requests.Session()
        signed_in = browser.post(
            site + "/auth/login",
            data={"email": booked.customer.email, "password": "correct-horse-42"},
            allow_redirects=False,
        )
        assert signed_in.status_code == 302
        started = browser.post(
            f"{site}/payments/deposit/{booked.number}",
            data={"method": "wave", "key": "e" * 20},
            allow_redirects=False,
        )
        assert started.status_code == 303
        assert started.headers["Location"].startswith(site + "/paysim/wave/c/cos-")
        status, back_to = press(started.headers["Location"], "approve")
        assert back_to.startswith(site + "/payments/PAY-")
        reference = back_to.rsplit("/", 1)[1]
        for _ in range(100):  # the webhook comes from the simulator's thread
            page = browser.get(back_to).text
            if "Payé" in page:
                break
            threading.Event().wait(0.1)
        assert "Payé" in page
    finally:
        server.shutdown()
        with served.app_context():
            _db.engine.dispose()
    _db.session.rollback()  # a fresh look: the server wrote through its own engine
    payment = _db.session.scalar(select(Payment).where(Payment.reference == reference))
    assert payment.status is PaymentStatus.COMPLETED
    assert [e.source for e in payment.events] == ["payer", "callback"]
    assert _db.session.get(type(booked), booked.id).status is (
        AppointmentStatus.CONFIRMED
    )


def test_the_simulator_is_never_mounted_in_production_or_beside_a_provider(
    app_config, sim
):
    production = create_app(
        {**app_config, "PAYMENT_SIMULATOR": True, "PRODUCTION": True}
    )
    beside = create_app({**app_config, **providers(sim.url), "PAYMENT_SIMULATOR": True})
    testing = create_app(
        {k: v for k, v in app_config.items() if k not in providers("")}
    )

    for app in (production, beside, testing):
        assert "PAYMENT_SIMULATOR_URL" not in app.config
        assert app.test_client().get("/paysim/health").status_code == 404
    assert beside.config["WAVE_API_URL"] == sim.url + "/wave"
