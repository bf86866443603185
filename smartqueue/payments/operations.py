"""Payments' writes: create a payment for a purpose, start it with its provider, apply
what the provider says (callback or status check) exactly once and never backwards,
record cash, expire, refund.

Two transactions around every provider call: the payment is written (pending) and
committed before the provider is asked, so that a crash in between leaves a payment to
check, never money taken for nothing known; the provider's answer is written after.
A completed payment's purpose (fulfilment.py) is carried out in the same transaction as
the completion, under the payment's row lock, so it happens once however many callbacks
arrive at once.
"""

import logging
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..jobs import enqueue, notices
from ..jobs import payments as payment_jobs
from ..models import (
    Appointment,
    AppointmentStatus,
    Invoice,
    InvoiceStatus,
    NotificationKind,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    Service,
    User,
)
from ..queueing import operations as queueing_ops
from ..work import begin_write, unit_of_work
from . import fulfilment
from .errors import MethodUnavailable, NotPayable, NotRefundable, PaymentRefused
from .fees import PAYMENT_LIFETIME, ticket_fee
from .providers import get_provider
from .providers.base import (
    BadCallback,
    Callback,
    Checkout,
    PaymentState,
    ProviderRefused,
    ProviderUnavailable,
    Started,
)

log = logging.getLogger(__name__)

STATUS_OF_STATE = {
    PaymentState.PROCESSING: PaymentStatus.PROCESSING,
    PaymentState.COMPLETED: PaymentStatus.COMPLETED,
    PaymentState.FAILED: PaymentStatus.FAILED,
    PaymentState.CANCELLED: PaymentStatus.CANCELLED,
    PaymentState.EXPIRED: PaymentStatus.EXPIRED,
    PaymentState.REFUNDED: PaymentStatus.REFUNDED,
}
# Closed without money, and yet the provider says paid: Wave keeps a session open after
# a failed attempt (the payer may try again and pay), a payer may pay just past our
# 24 h. The money moved: the payment completes (its purpose carried out, or refunded).
PAID_AFTER_ALL = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)
# When the status job first asks the provider about a payment whose callback has not
# come, and the longest it waits between two asks.
FIRST_CHECK = timedelta(minutes=3)
LONGEST_CHECK = timedelta(hours=1)


def _new_reference() -> str:
    return "PAY-" + secrets.token_hex(6).upper()


def lock_payment(payment_id: int) -> Payment | None:
    """Start a unit of work holding the payment's row lock, with its state fresh."""
    begin_write(db.session)
    return db.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _record(payment, to: PaymentStatus, source: str, *, event_id=None, note=None):
    db.session.add(
        PaymentEvent(
            payment=payment,
            from_status=payment.status if payment.id else None,
            to_status=to,
            source=source,
            provider_event_id=event_id,
            note=(note or "")[:300] or None,
        )
    )
    payment.status = to


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
        reference=_new_reference(),
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
    _record(payment, PaymentStatus.PENDING, "payer")
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
        _record(payment, PaymentStatus.FAILED, "payer", note=reason)
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
        reference=_new_reference(),
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
    _record(payment, PaymentStatus.PENDING, "agent")
    db.session.add(payment)
    db.session.flush()
    _complete(payment, "agent", note=f"cash taken by user {by.id}")
    db.session.commit()
    fulfilment.after_commit(payment)
    return payment


# --- what the provider says ---------------------------------------------------------------


def find_payment(
    method: PaymentMethod, provider_ref: str | None = None, reference: str | None = None
) -> Payment | None:
    if provider_ref:
        found = db.session.scalar(
            select(Payment).where(
                Payment.method == method, Payment.provider_ref == provider_ref
            )
        )
        if found is not None:
            return found
    if reference:
        return db.session.scalar(
            select(Payment).where(
                Payment.method == method, Payment.reference == reference
            )
        )
    return None


def receive_callback(
    method: PaymentMethod,
    headers: dict[str, str],
    body: bytes,
    *,
    reference: str | None = None,
) -> Payment:
    """A provider's server-to-server callback, checked against the raw body, then
    applied. Raises BadCallback (forged, stale, replayed out of order, tampered, about
    an unknown payment): nothing changed, and it is logged."""
    provider = get_provider(method)
    if provider is None:
        raise BadCallback(f"{method.value}: not configured here")
    expected = None
    if reference is not None:  # Orange: the notif_url names our payment
        known = find_payment(method, reference=reference)
        if known is None or not known.provider_ref:
            raise BadCallback(f"{method.value}: unknown payment {reference!r}")
        expected = Started(known.provider_ref, None, known.callback_secret)
    db.session.commit()  # no transaction open while the adapter may ask the provider
    # The signature's window is about real time between two servers, not the business
    # clock (which tests and demos may stop).
    now = datetime.now(UTC)
    if expected is not None:
        callback = provider.verify_callback(headers, body, now, expected)
    else:
        callback = provider.verify_callback(headers, body, now)
    payment = find_payment(method, callback.provider_ref, callback.reference)
    if payment is None:
        raise BadCallback(f"{method.value}: unknown payment {callback.provider_ref!r}")
    if callback.currency != payment.currency or (
        callback.amount_fcfa != payment.amount_fcfa
    ):
        raise BadCallback(
            f"{method.value}: payment {payment.reference} is {payment.amount_fcfa} "
            f"{payment.currency}, the callback says {callback.amount_fcfa} "
            f"{callback.currency}"
        )
    return apply_state(payment.id, callback, source="callback")


def apply_state(payment_id: int, said: Callback, *, source: str) -> Payment:
    """Move a payment to what its provider says, if that is forward: the same news again
    (a replay) or an older one changes nothing (logged). Completing it carries out its
    purpose in the same transaction."""
    to = STATUS_OF_STATE[said.state]
    payment = lock_payment(payment_id)
    completed = False
    try:
        if payment.status is to:
            log.info(
                "payment %s: %s again (%s), nothing to do",
                payment.reference,
                to.value,
                source,
            )
        elif to is PaymentStatus.COMPLETED and (
            payment.can_move_to(to) or payment.status in PAID_AFTER_ALL
        ):
            payment.failure_reason = None
            _complete(payment, source, event_id=said.event_id)
            completed = True
        elif not payment.can_move_to(to):
            log.warning(
                "payment %s: %s refused %s -> %s",
                payment.reference,
                source,
                payment.status.value,
                to.value,
            )
        else:
            if to in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
                payment.failure_reason = f"{source}: {to.value}"
            _record(payment, to, source, event_id=said.event_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if completed:
        fulfilment.after_commit(payment)
    return payment


def _complete(payment: Payment, source: str, *, event_id=None, note=None) -> None:
    payment.completed_at = clock.now()
    _record(payment, PaymentStatus.COMPLETED, source, event_id=event_id, note=note)
    fulfilment.fulfil(payment)
    if payment.method is not PaymentMethod.CASH:  # cash: the receipt is handed over
        enqueue(
            notices.notify_payment, payment.id, NotificationKind.PAYMENT_RECEIVED.value
        )
    if payment.fulfilment_error and payment.method is not PaymentMethod.CASH:
        enqueue(payment_jobs.refund_payment, payment.id, key=f"refund:{payment.id}")


# --- the jobs' steps ----------------------------------------------------------------------


def check_with_provider(payment_id: int) -> Payment | None:
    """Ask the provider where an open payment stands (its callback never came), apply
    it; past its 24 h, expire it. Idempotent."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or not payment.is_open:
        return payment
    provider = get_provider(payment.method)
    said = None
    if provider is not None and payment.provider_ref:
        db.session.commit()
        said = provider.fetch_status(payment.provider_ref)  # may raise: the job retries
    if said is not None and (said.amount_fcfa, said.currency) != (
        payment.amount_fcfa,
        payment.currency,
    ):
        log.warning(
            "payment %s: the provider's status says %s %s, not %s %s: not applied",
            payment.reference,
            said.amount_fcfa,
            said.currency,
            payment.amount_fcfa,
            payment.currency,
        )
        said = None
    if said is not None and STATUS_OF_STATE[said.state] is not payment.status:
        payment = apply_state(payment_id, said, source="status_check")
        if not payment.is_open:
            return payment
    return _next_check(payment_id)


@unit_of_work
def _next_check(payment_id: int) -> Payment:
    payment = lock_payment(payment_id)
    now = clock.now()
    if payment.is_open:
        if now >= payment.expires_at:
            _record(payment, PaymentStatus.EXPIRED, "expiry")
            payment.next_check_at = None
        else:
            wait = min(max(now - payment.created_at, FIRST_CHECK), LONGEST_CHECK)
            payment.next_check_at = min(now + wait, payment.expires_at)
    db.session.commit()
    return payment


def due_checks(now: datetime, limit: int = 500) -> list[int]:
    """Open payments whose status is due to be asked (or that are past their 24 h)."""
    return list(
        db.session.scalars(
            select(Payment.id)
            .where(
                Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.PROCESSING]),
                Payment.next_check_at <= now,
            )
            .order_by(Payment.next_check_at)
            .limit(limit)
        )
    )


def refund(payment_id: int, *, note: str | None = None) -> Payment | None:
    """Give a completed payment back through its provider (cash: at the counter), then
    mark it refunded. Idempotent: a refunded payment is returned as it is."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status is PaymentStatus.REFUNDED:
        return payment
    if payment.status is not PaymentStatus.COMPLETED:
        raise NotRefundable(_l("Seul un paiement réussi peut être remboursé."))
    refund_ref = None
    if payment.method is not PaymentMethod.CASH:
        provider = get_provider(payment.method)
        if provider is None:
            raise NotRefundable(_l("Ce moyen de paiement n'est plus disponible."))
        db.session.commit()
        try:
            # Our reference is the provider's idempotency key: a retried refund is one.
            refund_ref = provider.refund(
                payment.provider_ref, payment.amount_fcfa, payment.reference
            )
        except ProviderRefused as refused:
            # Orange Money has no refund call: its back office does it, by hand.
            log.warning("payment %s: refund refused: %s", payment.reference, refused)
            return _refund_refused(payment_id, str(refused))
    return _refunded(payment_id, refund_ref, note)


@unit_of_work
def _refund_refused(payment_id: int, reason: str) -> Payment:
    payment = lock_payment(payment_id)
    payment.failure_reason = f"refund to make by hand: {reason}"[:300]
    db.session.commit()
    return payment


@unit_of_work
def _refunded(payment_id: int, refund_ref: str | None, note: str | None) -> Payment:
    payment = lock_payment(payment_id)
    if payment.can_move_to(PaymentStatus.REFUNDED):
        payment.refund_ref = refund_ref
        payment.refunded_at = clock.now()
        _record(payment, PaymentStatus.REFUNDED, "refund", note=note)
        enqueue(
            notices.notify_payment, payment.id, NotificationKind.PAYMENT_REFUNDED.value
        )
    db.session.commit()
    return payment


def completed_for_appointment(appointment_id: int) -> list[int]:
    """The completed mobile-money payments of an appointment's deposit (cash goes back
    at the counter)."""
    return list(
        db.session.scalars(
            select(Payment.id).where(
                Payment.appointment_id == appointment_id,
                Payment.status == PaymentStatus.COMPLETED,
                Payment.method != PaymentMethod.CASH,
            )
        )
    )
