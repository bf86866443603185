"""Asking for a payment: create it for its purpose (once per idempotency key), start it
with its provider outside any transaction, or record cash taken at a counter."""

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import clock
from ...extensions import db
from ...models import (
    Appointment,
    AppointmentStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    Service,
    User,
)
from ...queueing import operations as queueing_ops
from ...work import begin_write, unit_of_work
from .. import fulfilment
from ..errors import MethodUnavailable, NotPayable, PaymentRefused
from ..fees import PAYMENT_LIFETIME, ticket_fee
from ..providers import get_provider
from ..providers.base import (
    Checkout,
    ProviderRefused,
    ProviderUnavailable,
    Started,
)
from .common import (
    FIRST_CHECK,
    complete,
    lock_payment,
    new_reference,
    record,
)

log = logging.getLogger(__name__)

# --- creating and starting ----------------------------------------------------------------


@unit_of_work
def create_payment(
    *,
    purpose: PaymentPurpose,
    method: PaymentMethod,
    amount_fcfa: int,
    description: str,
    idempotency_key: str,
    payer: User | None = None,
    payer_phone: str | None = None,
    locale: str = "fr",
    organization_id: int | None = None,
    branch_id: int | None = None,
    appointment_id: int | None = None,
    invoice_id: int | None = None,
    service_id: int | None = None,
) -> Payment:
    """Write a pending payment; the same idempotency key gives back the same payment."""
    begin_write(db.session)
    existing = db.session.scalar(
        select(Payment).where(Payment.idempotency_key == idempotency_key)
    )
    if existing is not None:
        db.session.commit()
        return _same_request(existing, purpose, payer)
    if method is PaymentMethod.CASH:
        raise MethodUnavailable(_l("Un paiement en espèces se fait au guichet."))
    if get_provider(method) is None:
        raise MethodUnavailable(_l("Ce moyen de paiement n'est pas disponible ici."))
    if amount_fcfa <= 0:
        raise NotPayable(_l("Il n'y a rien à payer."))
    now = clock.now()
    payment = Payment(
        reference=new_reference(),
        idempotency_key=idempotency_key,
        purpose=purpose,
        method=method,
        amount_fcfa=amount_fcfa,
        description=description[:200],
        locale=locale,
        payer_id=payer.id if payer else None,
        payer_phone=payer_phone,
        organization_id=organization_id,
        branch_id=branch_id,
        appointment_id=appointment_id,
        invoice_id=invoice_id,
        service_id=service_id,
        created_at=now,
        expires_at=now + PAYMENT_LIFETIME,
        next_check_at=now + FIRST_CHECK,
    )
    record(payment, PaymentStatus.PENDING, "payer")
    db.session.add(payment)
    try:
        db.session.commit()
    except IntegrityError:  # the same key, at the same moment (PostgreSQL): theirs
        db.session.rollback()
        theirs = db.session.scalars(
            select(Payment).where(Payment.idempotency_key == idempotency_key)
        ).one()
        return _same_request(theirs, purpose, payer)
    return payment


def _same_request(payment: Payment, purpose: PaymentPurpose, payer) -> Payment:
    """A key given again names the same request: another payer's or another purpose's
    key (guessed, or reused by a client) gets nothing of that payment."""
    if payment.purpose is not purpose or payment.payer_id != (
        payer.id if payer else None
    ):
        raise NotPayable(_l("Ce paiement a déjà été demandé autrement. Recommencez."))
    return payment


def start_payment(
    payment: Payment, *, return_url: str, cancel_url: str, notify_url: str
) -> Payment:
    """Ask the provider for the payment (once: a started payment is returned as it is).
    The payer then goes to `payment.checkout_url`, or confirms on their phone."""
    if payment.provider_ref or payment.status is not PaymentStatus.PENDING:
        return payment
    provider = get_provider(payment.method)
    if provider is None:
        raise MethodUnavailable(_l("Ce moyen de paiement n'est pas disponible ici."))
    checkout = Checkout(
        reference=payment.reference,
        amount_fcfa=payment.amount_fcfa,
        description=payment.description,
        success_url=return_url,
        cancel_url=cancel_url,
        notify_url=notify_url,
        payer_phone=payment.payer_phone,
        locale=payment.locale,
    )
    payment_id = payment.id
    db.session.commit()  # no transaction stays open while the provider is asked
    try:
        started = provider.start(checkout)
    except ProviderUnavailable as error:
        log.warning("payment %s: %s", payment.reference, error)
        _give_up(payment_id, str(error))
        raise MethodUnavailable(
            _l("Le service de paiement ne répond pas. Réessayez, ou payez autrement.")
        ) from None
    except ProviderRefused as error:
        log.warning("payment %s: %s", payment.reference, error)
        _give_up(payment_id, str(error))
        raise PaymentRefused(
            _l("Le paiement a été refusé. Vérifiez le numéro, ou payez autrement.")
        ) from None
    return _started(payment_id, started)


@unit_of_work
def _started(payment_id: int, started: Started) -> Payment:
    payment = lock_payment(payment_id)
    if payment.provider_ref is None:
        payment.provider_ref = started.provider_ref
        payment.checkout_url = started.redirect_url
        payment.callback_secret = started.callback_secret
    db.session.commit()
    return payment


@unit_of_work
def _give_up(payment_id: int, reason: str) -> None:
    payment = lock_payment(payment_id)
    if payment.can_move_to(PaymentStatus.FAILED):
        payment.failure_reason = reason[:300]
        record(payment, PaymentStatus.FAILED, "payer", note=reason)
    db.session.commit()


# --- the purposes -------------------------------------------------------------------------


def pay_deposit(
    appointment: Appointment,
    *,
    method: PaymentMethod,
    payer: User,
    payer_phone: str | None,
    idempotency_key: str,
) -> Payment:
    """A payment for a pending_payment appointment's deposit, by its customer."""
    if appointment.customer_id != payer.id:
        raise NotPayable(_l("Ce rendez-vous n'est pas le vôtre."))
    if (
        appointment.status is not AppointmentStatus.PENDING_PAYMENT
        or not appointment.deposit_fcfa
    ):
        raise NotPayable(_l("Ce rendez-vous n'attend pas de paiement."))
    return create_payment(
        purpose=PaymentPurpose.APPOINTMENT_FEE,
        method=method,
        amount_fcfa=appointment.deposit_fcfa,
        description=f"{appointment.service.name_fr} {appointment.number}",
        idempotency_key=idempotency_key,
        payer=payer,
        payer_phone=payer_phone,
        locale=appointment.locale,
        organization_id=appointment.branch.organization_id,
        branch_id=appointment.branch_id,
        appointment_id=appointment.id,
    )


def pay_ticket_fee(
    service: Service,
    *,
    method: PaymentMethod,
    payer: User,
    payer_phone: str | None,
    idempotency_key: str,
    locale: str = "fr",
) -> Payment:
    """A payment for a ticket in a paying queue (VIP, express): the ticket is made when
    the payment completes."""
    fee = ticket_fee(queueing_ops.get_queue(service).type)
    if not fee:
        raise NotPayable(_l("Un ticket de ce service est gratuit."))
    return create_payment(
        purpose=PaymentPurpose.TICKET_FEE,
        method=method,
        amount_fcfa=fee,
        description=service.name_fr,
        idempotency_key=idempotency_key,
        payer=payer,
        payer_phone=payer_phone,
        locale=locale,
        organization_id=service.branch.organization_id,
        branch_id=service.branch_id,
        service_id=service.id,
    )


def pay_invoice(
    invoice: Invoice,
    *,
    method: PaymentMethod,
    payer: User,
    payer_phone: str | None,
    idempotency_key: str,
) -> Payment:
    """A payment of an organization's invoice, by one of its admins."""
    if invoice.status is not InvoiceStatus.ISSUED:
        raise NotPayable(_l("Cette facture n'est plus à payer."))
    return create_payment(
        purpose=PaymentPurpose.SUBSCRIPTION_FEE,
        method=method,
        amount_fcfa=invoice.total_fcfa,
        description=invoice.number,
        idempotency_key=idempotency_key,
        payer=payer,
        payer_phone=payer_phone,
        locale=payer.locale,
        invoice_id=invoice.id,
    )


@unit_of_work
def record_cash(appointment: Appointment, *, by: User) -> Payment:
    """An agent took an appointment's deposit in cash at the counter: a completed payment,
    and the appointment confirmed with it (once: a second record changes nothing)."""
    appointment_id = appointment.id
    begin_write(db.session)
    appointment = db.session.get(Appointment, appointment_id)
    key = f"cash:appointment:{appointment_id}"
    existing = db.session.scalar(select(Payment).where(Payment.idempotency_key == key))
    if existing is not None:
        db.session.commit()
        return existing
    if appointment.status is not AppointmentStatus.PENDING_PAYMENT:
        raise NotPayable(_l("Ce rendez-vous n'attend pas de paiement."))
    now = clock.now()
    payment = Payment(
        reference=new_reference(),
        idempotency_key=key,
        purpose=PaymentPurpose.APPOINTMENT_FEE,
        method=PaymentMethod.CASH,
        amount_fcfa=appointment.deposit_fcfa,
        description=f"{appointment.service.name_fr} {appointment.number}",
        locale=appointment.locale,
        payer_id=appointment.customer_id,
        organization_id=appointment.branch.organization_id,
        branch_id=appointment.branch_id,
        appointment_id=appointment.id,
        recorded_by_id=by.id,
        created_at=now,
        expires_at=now,
    )
    record(payment, PaymentStatus.PENDING, "agent")
    db.session.add(payment)
    db.session.flush()
    complete(payment, "agent", note=f"cash taken by user {by.id}")
    db.session.commit()
    fulfilment.after_commit(payment)
    return payment
