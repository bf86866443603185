"""Appointments: weekly slot templates, per-service booking settings, and the bookings."""

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow


class AppointmentStatus(enum.Enum):
    PENDING = "pending"  # awaiting the branch (not used by online booking)
    PENDING_PAYMENT = "pending_payment"  # holds its slot until payment_due_by
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"  # moved: a new appointment replaces it
    CHECKED_IN = "checked_in"  # a ticket waits in the queue
    IN_PROGRESS = "in_progress"  # the ticket is called or served
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Appointments that take a place in their slot (pending_payment only until it lapses).
HOLDING_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.PENDING_PAYMENT,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)
# Booked and not yet attended: may be cancelled, moved, checked in, or missed.
UPCOMING_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.PENDING_PAYMENT,
    AppointmentStatus.CONFIRMED,
)


class SlotTemplate(db.Model):
    """A weekly range of bookable slots of a service: e.g. Mondays 09:00-12:00 every 30 min,
    2 people per slot."""

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="starts_before_ends"),
        CheckConstraint("slot_minutes BETWEEN 15 AND 120", name="slot_minutes_range"),
        CheckConstraint("capacity BETWEEN 1 AND 10", name="capacity_range"),
        Index("ix_slot_template_service_weekday", "service_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE")
    )
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    start_time: Mapped[time] = mapped_column(Time)  # Dakar time
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    capacity: Mapped[int] = mapped_column(Integer, default=1)

    service: Mapped["Service"] = relationship()  # noqa: F821


class AppointmentSettings(db.Model):
    """How a service takes bookings; a service without a row uses the defaults below."""

    __tablename__ = "appointment_settings"
    __table_args__ = (
        CheckConstraint(
            "min_notice_minutes BETWEEN 0 AND 10080", name="min_notice_range"
        ),
        CheckConstraint("max_advance_days BETWEEN 1 AND 365", name="max_advance_range"),
        CheckConstraint("deposit_fcfa >= 0", name="deposit_not_negative"),
        CheckConstraint("payment_minutes BETWEEN 5 AND 1440", name="payment_range"),
        CheckConstraint("grace_minutes BETWEEN 0 AND 120", name="grace_range"),
    )

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    max_advance_days: Mapped[int] = mapped_column(Integer, default=30)
    requires_deposit: Mapped[bool] = mapped_column(Boolean, default=False)
    deposit_fcfa: Mapped[int] = mapped_column(Integer, default=2000)
    payment_minutes: Mapped[int] = mapped_column(Integer, default=30)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=15)

    service: Mapped["Service"] = relationship()  # noqa: F821


class Appointment(db.Model):
    """A customer's booking of one slot. Its check-in link carries `check_in_token`."""

    __table_args__ = (
        Index("ix_appointment_service_starts_at", "service_id", "starts_at"),
        Index("ix_appointment_customer_day", "customer_id", "day"),
        Index("ix_appointment_branch_day", "branch_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # RDV202612010007
    check_in_token: Mapped[str] = mapped_column(String(43), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)  # Dakar date of starts_at
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus), index=True
    )
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    deposit_fcfa: Mapped[int] = mapped_column(Integer, default=0)
    payment_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    is_late_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_24h_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_2h_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer answered a reminder "I am coming" (a tap, or OUI by SMS).
    customer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )

    customer: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[customer_id]
    )
    branch: Mapped["Branch"] = relationship()  # noqa: F821
    service: Mapped["Service"] = relationship()  # noqa: F821
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821
    rescheduled_from: Mapped["Appointment | None"] = relationship(
        remote_side=[id], foreign_keys=[rescheduled_from_id]
    )

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING_STATUSES

    def __str__(self) -> str:
        return self.number
