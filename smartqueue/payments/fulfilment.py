"""What a completed payment was for: confirm the appointment, make the ticket, settle the
invoice. Carried out inside the completion's transaction, under the payment's row lock,
and marked by `fulfilled_at`, so it happens exactly once. A purpose that can no longer
be carried out (the appointment was cancelled, the queue closed, the invoice already
paid) is noted in `fulfilment_error` and the payment is refunded."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..appointments import operations as appointment_ops
from ..errors import DomainError
from ..events import announce_tickets
from ..extensions import db
from ..jobs import enqueue, notices
from ..models import (
    Appointment,
    Channel,
    Invoice,
    InvoiceStatus,
    NotificationKind,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    Priority,
    User,
)
from ..queueing import operations as queueing_ops
from .errors import NotPayable


def fulfil(payment: Payment) -> None:
    """Carry out the purpose of a payment just completed (the caller commits)."""
    if payment.fulfilled_at is not None:
        return
    savepoint = db.session.begin_nested()
    try:
        PURPOSES.get(payment.purpose, _nothing)(payment)
        savepoint.commit()
    except DomainError as refusal:
        savepoint.rollback()
        payment.fulfilment_error = str(refusal.message)[:300]
    payment.fulfilled_at = clock.now()


def after_commit(payment: Payment) -> None:
    """After the completion's commit: tell the live screens about the ticket it made."""
    if payment.purpose is PaymentPurpose.TICKET_FEE and payment.ticket_id:
        announce_tickets([payment.ticket_id], payment.branch_id, "issue")


def _nothing(payment: Payment) -> None:
    pass


def _paid_already(payment: Payment, **where) -> bool:
    """Another payment already carried out this purpose (two payments for one thing:
    the second is refunded)."""
    return (
        db.session.scalar(
            select(Payment.id)
            .filter_by(**where)
            .where(
                Payment.id != payment.id,
                Payment.status == PaymentStatus.COMPLETED,
                Payment.fulfilled_at.is_not(None),
                Payment.fulfilment_error.is_(None),
            )
        )
        is not None
    )


def _confirm_appointment(payment: Payment) -> None:
    # Two payments of one deposit completing at once each hold only their own row: the
    # appointment's lock orders them, so that the second sees the first one done.
    db.session.execute(
        select(Appointment.id)
        .where(Appointment.id == payment.appointment_id)
        .with_for_update()
    )
    if _paid_already(payment, appointment_id=payment.appointment_id):
        raise NotPayable(_l("Ce rendez-vous était déjà payé."))
    appointment = appointment_ops.confirm_paid_in_unit_of_work(payment.appointment_id)
    payment.appointment_id = appointment.id  # the one it was moved to, if it was


def _make_ticket(payment: Payment) -> None:
    payer = db.session.get(User, payment.payer_id) if payment.payer_id else None
    issued = queueing_ops.issue_in_unit_of_work(
        payment.service_id,
        channel=Channel.WEB,
        priority=Priority.NORMAL,
        customer=payer,
        contact_email=None,
        contact_phone=None if payer else payment.payer_phone,
        locale=payment.locale,
        appointment_at=None,
        by=None,
        paid=True,
    )
    payment.ticket_id = issued.id
    if payment.payer_phone and not payer:
        enqueue(
            notices.notify_ticket,
            issued.id,
            NotificationKind.TICKET_ISSUED.value,
            key=notices.notice_key(issued.id, "issued"),
        )


def _settle_invoice(payment: Payment) -> None:
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == payment.invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice is None or invoice.status is not InvoiceStatus.ISSUED:
        raise NotPayable(_l("Cette facture était déjà réglée."))
    if payment.amount_fcfa != invoice.total_fcfa:
        raise NotPayable(_l("Le montant payé n'est pas celui de la facture."))
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = clock.now()


PURPOSES = {
    PaymentPurpose.APPOINTMENT_FEE: _confirm_appointment,
    PaymentPurpose.TICKET_FEE: _make_ticket,
    PaymentPurpose.SUBSCRIPTION_FEE: _settle_invoice,
}
