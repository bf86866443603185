"""Payments and billing: a customer's or an organization's payment (mobile money or cash)
with its history, and the organizations' monthly invoices with their lines."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow
from .orgs import Plan


class PaymentPurpose(enum.Enum):
    """What a payment is for (DOMAIN.md's payment types)."""

    TICKET_FEE = "ticket_fee"  # a VIP or express ticket, made when paid
    APPOINTMENT_FEE = "appointment_fee"  # a guaranteed appointment's deposit
    SERVICE_FEE = "service_fee"
    SUBSCRIPTION_FEE = "subscription_fee"  # an organization's invoice
    PENALTY_FEE = "penalty_fee"


class PaymentMethod(enum.Enum):
    WAVE = "wave"
    ORANGE_MONEY = "orange_money"
    FREE_MONEY = "free_money"
    CASH = "cash"  # recorded by an agent at the counter


class PaymentStatus(enum.Enum):
    PENDING = "pending"  # created; the payer has not acted yet
    PROCESSING = "processing"  # the provider is on it (the payer approved on the phone)
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the payer declined
    EXPIRED = "expired"  # nothing happened within 24 h
    REFUNDED = "refunded"


# The statuses a payment may go to from each one: a callback that asks for anything else
# (a completed payment "pending" again, a refunded one "completed") changes nothing.
NEXT_STATUSES = {
    PaymentStatus.PENDING: {
        PaymentStatus.PROCESSING,
        PaymentStatus.COMPLETED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
        PaymentStatus.EXPIRED,
    },
    PaymentStatus.PROCESSING: {
        PaymentStatus.COMPLETED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
        PaymentStatus.EXPIRED,
    },
    PaymentStatus.COMPLETED: {PaymentStatus.REFUNDED},
    PaymentStatus.FAILED: set(),
    PaymentStatus.CANCELLED: set(),
    PaymentStatus.EXPIRED: set(),
    PaymentStatus.REFUNDED: set(),
}
OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.PROCESSING)


class Payment(db.Model):
    """One payment for one purpose, in whole FCFA."""

    __table_args__ = (
        CheckConstraint("amount_fcfa > 0", name="payment_amount_positive"),
        UniqueConstraint("method", "provider_ref", name="uq_payment_provider_ref"),
        # The expiry and status-poll jobs: open payments by age.
        Index("ix_payment_status_check", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ours, shown on receipts and given to the provider (their idempotency key too).
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    # The client's key for "create this payment" (a form's hidden field, an API
    # header): asking twice with one key gives the same payment.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(enum_type(PaymentPurpose))
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_type(PaymentStatus), default=PaymentStatus.PENDING
    )
    amount_fcfa: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="XOF")
    description: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    payer_phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    payer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Who is paid: the organization (customers' fees); None for SmartQueue's invoices.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branch.id", ondelete="SET NULL")
    )
    # The purpose's object: the appointment, the invoice, or (a ticket fee) the service
    # whose paying queue (VIP, express) the ticket is made in, then the ticket made.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="SET NULL"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )
    # The provider's side: its id of the payment, its checkout page, what its callback
    # must carry back (Orange's notif_token).
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    checkout_url: Mapped[str | None] = mapped_column(String(1000))
    callback_secret: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )  # the agent who took cash
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the status job asks the provider next (None: closed, or cash).
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the purpose was carried out (or found impossible): the exactly-once mark.
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilment_error: Mapped[str | None] = mapped_column(String(300))
    refund_ref: Mapped[str | None] = mapped_column(String(200))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(String(300))

    payer: Mapped["User | None"] = relationship(foreign_keys=[payer_id])  # noqa: F821
    organization: Mapped["Organization | None"] = relationship()  # noqa: F821
    appointment: Mapped["Appointment | None"] = relationship()  # noqa: F821
    invoice: Mapped["Invoice | None"] = relationship(back_populates="payments")
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821
    service: Mapped["Service | None"] = relationship()  # noqa: F821
    events: Mapped[list["PaymentEvent"]] = relationship(
        back_populates="payment",
        order_by="PaymentEvent.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_move_to(self, status: PaymentStatus) -> bool:
        return status in NEXT_STATUSES[self.status]


class PaymentEvent(db.Model):
    """One change of a payment's status, and where it came from."""

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payment.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[PaymentStatus | None] = mapped_column(enum_type(PaymentStatus))
    to_status: Mapped[PaymentStatus] = mapped_column(enum_type(PaymentStatus))
    # callback, status_check, payer, agent, expiry, refund, admin
    source: Mapped[str] = mapped_column(String(20))
    provider_event_id: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="events")


class InvoiceStatus(enum.Enum):
    ISSUED = "issued"  # to pay by due_on (overdue after it)
    PAID = "paid"
    VOID = "void"


class InvoiceState(enum.Enum):
    """What an invoice means to its reader: paid, to pay (not yet due), overdue, void."""

    PAID = "paid"
    TO_PAY = "to_pay"
    OVERDUE = "overdue"
    VOID = "void"


class InvoiceLineKind(enum.Enum):
    PLAN = "plan"
    SMS = "sms"


class Invoice(db.Model):
    """An organization's bill for one month: its plan, then its usage."""

    __table_args__ = (
        # One invoice per organization and month, however many generators run.
        UniqueConstraint("organization_id", "period_start", name="uq_invoice_period"),
        Index("ix_invoice_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # FACT-202611-001
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[date] = mapped_column(Date)  # the month's first day
    period_end: Mapped[date] = mapped_column(Date)  # its last day
    plan: Mapped[Plan] = mapped_column(enum_type(Plan))
    total_fcfa: Mapped[int] = mapped_column(Integer)
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_type(InvoiceStatus), default=InvoiceStatus.ISSUED
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped["Organization"] = relationship()  # noqa: F821
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice")

    def state_on(self, today: date) -> InvoiceState:
        if self.status is InvoiceStatus.PAID:
            return InvoiceState.PAID
        if self.status is InvoiceStatus.VOID:
            return InvoiceState.VOID
        return InvoiceState.OVERDUE if today > self.due_on else InvoiceState.TO_PAY


class InvoiceLine(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[InvoiceLineKind] = mapped_column(enum_type(InvoiceLineKind))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_fcfa: Mapped[int] = mapped_column(Integer)
    amount_fcfa: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceSequence(db.Model):
    """The last invoice number given in a month: taken under a row lock, in the invoice's
    own transaction, so that numbers have no gap and no duplicate."""

    month: Mapped[str] = mapped_column(String(6), primary_key=True)  # "202611"
    last_number: Mapped[int] = mapped_column(Integer, default=0)
