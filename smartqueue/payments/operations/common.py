"""What every payment write shares: the payment's row lock, a status change with its
history row, and a completion (its purpose carried out in the same transaction)."""

import logging
import secrets
from datetime import timedelta

from sqlalchemy import select

from ... import clock
from ...extensions import db
from ...jobs import enqueue, notices
from ...jobs import payments as payment_jobs
from ...models import (
    NotificationKind,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from ...work import begin_write
from .. import fulfilment
from ..providers.base import PaymentState

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


def new_reference() -> str:
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


def record(payment, to: PaymentStatus, source: str, *, event_id=None, note=None):
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


def complete(payment: Payment, source: str, *, event_id=None, note=None) -> None:
    payment.completed_at = clock.now()
    record(payment, PaymentStatus.COMPLETED, source, event_id=event_id, note=note)
    fulfilment.fulfil(payment)
    if payment.method is not PaymentMethod.CASH:  # cash: the receipt is handed over
        enqueue(
            notices.notify_payment, payment.id, NotificationKind.PAYMENT_RECEIVED.value
        )
    if payment.fulfilment_error and payment.method is not PaymentMethod.CASH:
        enqueue(payment_jobs.refund_payment, payment.id, key=f"refund:{payment.id}")
