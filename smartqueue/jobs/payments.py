"""Payment jobs: ask a provider where a payment stands when its callback has not come,
expire what nobody finished in 24 h, and give money back."""

from .. import clock
from ..extensions import db
from ..payments import operations
from .outbox import enqueue


def check_payment(payment_id: int) -> str | None:
    """Ask the provider for an open payment's status (then expire it past 24 h)."""
    payment = operations.check_with_provider(payment_id)
    return payment.status.value if payment else None


def refund_payment(payment_id: int) -> str | None:
    """Refund a completed payment through its provider, once."""
    payment = operations.refund(payment_id, note="refund job")
    return payment.status.value if payment else None


def follow_open_payments() -> int:
    """Every minute: enqueue a status check of each open payment that is due one."""
    due = operations.due_checks(clock.now())
    for payment_id in due:
        enqueue(check_payment, payment_id, key=f"payment-check:{payment_id}")
    # The clock runs this outside any unit of work (the embedded thread, RQ's cron):
    # uncommitted, the checks' outbox rows would be dropped with the session.
    db.session.commit()
    return len(due)


def refund_deposit(appointment_id: int) -> int:
    """Refund an appointment's completed deposit (cancelled in time)."""
    refunded = 0
    for payment_id in operations.completed_for_appointment(appointment_id):
        operations.refund(payment_id, note=f"appointment {appointment_id} cancelled")
        refunded += 1
    return refunded
