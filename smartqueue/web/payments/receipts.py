"""Coming back from the provider, and afterwards: the payment's own page (where the
provider sends the payer back; it reads the status, refreshes itself while the payment
is open and asks the provider once when the callback is late), the cancel page, "my
payments" and the printable receipt. The payer's own payments only (pages.mine)."""

import logging
from datetime import timedelta

from flask import current_app, make_response, redirect, render_template, url_for
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...models import (
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
)
from ...payments import operations, queries
from ...payments.operations import FIRST_CHECK
from ...payments.providers.base import ProviderRefused, ProviderUnavailable
from ..htmx import page_or_fragment
from . import bp
from .pages import mine, signed_in

log = logging.getLogger(__name__)

# The return page refreshes itself this often while the payment is open, and asks the
# provider itself once its callback is this late (the status job asks after 3 minutes).
REFRESH_SECONDS = 3
ASK_PROVIDER_AFTER = timedelta(seconds=20)
MY_PAYMENTS_SHOWN = 100


# --- coming back ---------------------------------------------------------------------------


def _provider_not_asked_yet(payment: Payment) -> bool:
    """The callback is late and nobody asked the provider yet: each ask moves
    next_check_at past its first time (payments/operations/settling.py)."""
    now = clock.now()
    return (
        payment.provider_ref is not None
        and now - payment.created_at >= ASK_PROVIDER_AFTER
        and payment.next_check_at is not None
        and payment.next_check_at <= payment.created_at + FIRST_CHECK
    )


def _ask_provider(payment: Payment) -> Payment:
    try:
        return operations.check_with_provider(payment.id) or payment
    except (ProviderUnavailable, ProviderRefused) as error:
        # The status job asks again later; the page says what is known.
        db.session.rollback()
        log.warning("payment %s: status not read: %s", payment.reference, error)
        return db.session.get(Payment, payment.id)


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


@bp.get("/payments/<reference>")
@signed_in
def payment(reference: str):
    """Where the provider sends the payer back, and the payment's own page."""
    payment = mine(reference)
    if payment.is_open and _provider_not_asked_yet(payment):
        payment = _ask_provider(payment)
    return _no_store(
        page_or_fragment(
            "payments/payment.html",
            "payments/_status.html",
            payment=payment,
            refresh_seconds=REFRESH_SECONDS,
            retry_url=_retry_url(payment),
            phone_simulator_url=_phone_simulator_url(payment),
        )
    )


@bp.get("/payments/<reference>/cancelled")
@signed_in
def cancelled(reference: str):
    """The provider's "cancel" or "error" address: the payer left or declined."""
    payment = mine(reference)
    if payment.status in (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED):
        return redirect(url_for("payments.payment", reference=reference), 303)
    return _no_store(
        render_template(
            "payments/cancelled.html", payment=payment, retry_url=_retry_url(payment)
        )
    )


def _phone_simulator_url(payment: Payment) -> str | None:
    """`make run`: the simulated phone's prompt, where the payer approves a Free Money
    payment (a real payer gets it on their phone)."""
    simulator = current_app.config.get("PAYMENT_SIMULATOR_URL")
    if simulator and payment.method is PaymentMethod.FREE_MONEY and payment.is_open:
        return f"{simulator}/free-money/phone/{payment.provider_ref}"
    return None


def _retry_url(payment: Payment) -> str | None:
    """Where to try again after a payment that did not go through."""
    if payment.status in (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED):
        return None
    if payment.purpose is PaymentPurpose.APPOINTMENT_FEE and payment.appointment:
        if payment.appointment.status is AppointmentStatus.PENDING_PAYMENT:
            return url_for("payments.deposit", number=payment.appointment.number)
    if payment.purpose is PaymentPurpose.TICKET_FEE and payment.service_id:
        return url_for("payments.ticket_fee", service_id=payment.service_id)
    return None


# --- my payments and receipts ---------------------------------------------------------------


@bp.get("/me/payments")
@signed_in
def my_payments():
    payments = queries.list_payer_payments(current_user.id, MY_PAYMENTS_SHOWN)
    return _no_store(render_template("payments/my_payments.html", payments=payments))


@bp.get("/payments/<reference>/receipt")
@signed_in
def receipt(reference: str):
    """A printable receipt, in the payer's language (the page's, as they chose it)."""
    payment = mine(reference)
    paid_to = payment.organization.name if payment.organization else "SmartQueue"
    return _no_store(
        render_template(
            "payments/receipt.html",
            payment=payment,
            paid_to=paid_to,
            paid=payment.status in (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED),
        )
    )
