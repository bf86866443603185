"""What the provider says, and what follows: a callback checked then applied, a status
asked when the callback never came, expiry after 24 h, refunds. A payment only moves
forward; the same news again changes nothing."""

import logging
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import clock
from ...extensions import db
from ...jobs import enqueue, notices
from ...models import (
    NotificationKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from ...work import unit_of_work
from .. import fulfilment
from ..errors import NotRefundable
from ..providers import get_provider
from ..providers.base import (
    BadCallback,
    Callback,
    ProviderRefused,
    Started,
)
from .common import (
    FIRST_CHECK,
    LONGEST_CHECK,
    PAID_AFTER_ALL,
    STATUS_OF_STATE,
    complete,
    lock_payment,
    record,
)

log = logging.getLogger(__name__)

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
            complete(payment, source, event_id=said.event_id)
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
            record(payment, to, source, event_id=said.event_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if completed:
        fulfilment.after_commit(payment)
    return payment


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
            record(payment, PaymentStatus.EXPIRED, "expiry")
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
        record(payment, PaymentStatus.REFUNDED, "refund", note=note)
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
