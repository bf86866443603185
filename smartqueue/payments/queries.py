"""Payments' reads: the invoices as the billing pages read them (an organization's with
the last payment of each, the platform's filtered by state and month, revenue by month),
and a payer's own payments."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..models import Invoice, InvoiceState, InvoiceStatus, Payment
from ..models.payments import OPEN_STATUSES

# The platform's list shows this many invoices at most (the filters narrow it).
LIST_LIMIT = 500


def _where_state(query, state: InvoiceState | None, today: date):
    if state is InvoiceState.PAID:
        return query.where(Invoice.status == InvoiceStatus.PAID)
    if state is InvoiceState.VOID:
        return query.where(Invoice.status == InvoiceStatus.VOID)
    if state is InvoiceState.OVERDUE:
        return query.where(
            Invoice.status == InvoiceStatus.ISSUED, Invoice.due_on < today
        )
    if state is InvoiceState.TO_PAY:
        return query.where(
            Invoice.status == InvoiceStatus.ISSUED, Invoice.due_on >= today
        )
    return query


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    state: InvoiceState
    last_payment: Payment | None = None


def list_organization_invoices(org_id: int) -> list[InvoiceRow]:
    """An organization's invoices, newest month first, each with its latest payment."""
    today = clock.today()
    invoices = list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.organization_id == org_id)
            .order_by(Invoice.period_start.desc(), Invoice.id.desc())
        )
    )
    latest: dict[int, Payment] = {}
    if invoices:
        for payment in db.session.scalars(
            select(Payment)
            .where(Payment.invoice_id.in_([i.id for i in invoices]))
            .order_by(Payment.id)
        ):
            latest[payment.invoice_id] = payment  # the last one wins
    return [
        InvoiceRow(invoice, invoice.state_on(today), latest.get(invoice.id))
        for invoice in invoices
    ]


def list_invoices(
    state: InvoiceState | None = None,
    month: date | None = None,
    limit: int = LIST_LIMIT,
) -> list[InvoiceRow]:
    """All organizations' invoices (the platform's), newest month first, then by number;
    `month` is the billed month's first day."""
    today = clock.today()
    query = select(Invoice).options(joinedload(Invoice.organization))
    query = _where_state(query, state, today)
    if month is not None:
        query = query.where(Invoice.period_start == month)
    query = query.order_by(Invoice.period_start.desc(), Invoice.number).limit(limit)
    return [
        InvoiceRow(invoice, invoice.state_on(today))
        for invoice in db.session.scalars(query)
    ]


def list_invoice_months() -> list[date]:
    """The billed months (their first day) that have invoices, newest first."""
    return list(
        db.session.scalars(
            select(Invoice.period_start)
            .distinct()
            .order_by(Invoice.period_start.desc())
        )
    )


@dataclass(frozen=True)
class MonthRevenue:
    month: date  # the billed month's first day
    invoices: int
    invoiced_fcfa: int
    paid_fcfa: int
    overdue_fcfa: int

    @property
    def outstanding_fcfa(self) -> int:
        return self.invoiced_fcfa - self.paid_fcfa


def revenue_by_month(months: int = 24) -> list[MonthRevenue]:
    """Per billed month, newest first: invoiced (void invoices left out), paid, still
    to be paid and, of that, overdue; one grouped statement."""
    today = clock.today()
    paid = Invoice.status == InvoiceStatus.PAID
    overdue = (Invoice.status == InvoiceStatus.ISSUED) & (Invoice.due_on < today)
    rows = db.session.execute(
        select(
            Invoice.period_start,
            func.count(Invoice.id),
            func.coalesce(func.sum(Invoice.total_fcfa), 0),
            func.coalesce(func.sum(case((paid, Invoice.total_fcfa), else_=0)), 0),
            func.coalesce(func.sum(case((overdue, Invoice.total_fcfa), else_=0)), 0),
        )
        .where(Invoice.status != InvoiceStatus.VOID)
        .group_by(Invoice.period_start)
        .order_by(Invoice.period_start.desc())
        .limit(months)
    ).all()
    return [
        MonthRevenue(month, int(count), int(invoiced), int(paid_sum), int(overdue_sum))
        for month, count, invoiced, paid_sum, overdue_sum in rows
    ]


# --- the payer's own ----------------------------------------------------------------------


def list_payer_payments(payer_id: int, limit: int = 100) -> list[Payment]:
    """A payer's payments, newest first, with what each was for."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.payer_id == payer_id)
            .options(
                selectinload(Payment.appointment),
                selectinload(Payment.ticket),
                selectinload(Payment.service),
            )
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
    )


def list_appointment_payments(appointment_id: int, payer_id: int) -> list[Payment]:
    """A payer's payments for one appointment, newest first."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.appointment_id == appointment_id, Payment.payer_id == payer_id
            )
            .order_by(Payment.created_at.desc(), Payment.id.desc())
        )
    )


def get_ticket_payment(ticket_id: int, payer_id: int) -> Payment | None:
    """The fee a payer paid for a ticket."""
    return db.session.scalar(
        select(Payment).where(
            Payment.ticket_id == ticket_id, Payment.payer_id == payer_id
        )
    )


def get_open_payment(payer_id: int, **where) -> Payment | None:
    """A payer's latest payment still open for one thing (an appointment, a service)."""
    return db.session.scalar(
        select(Payment)
        .filter_by(payer_id=payer_id, **where)
        .where(Payment.status.in_(OPEN_STATUSES))
        .order_by(Payment.id.desc())
        .limit(1)
    )


def get_payer_payment(reference: str, payer_id: int) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(
            Payment.reference == reference, Payment.payer_id == payer_id
        )
    )
