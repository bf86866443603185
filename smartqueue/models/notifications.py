"""Notifications: every message written before it is sent, with its status; what each
customer wants (preferences, quiet hours), the addresses that said stop, the browsers
subscribed to push, the branches' urgent messages and the SMS received."""

import enum
from datetime import datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow


class NotificationKind(enum.Enum):
    TICKET_ISSUED = "ticket_issued"
    TICKET_NEAR = "ticket_near"
    TICKET_CALLED = "ticket_called"
    TICKET_CANCELLED = "ticket_cancelled"
    LEAVE_NOW = "leave_now"
    APPOINTMENT_CONFIRMED = "appointment_confirmed"
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_MOVED = "appointment_moved"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    QUEUE_PAUSED = "queue_paused"
    QUEUE_CLOSED = "queue_closed"
    URGENT = "urgent"
    SMS_REPLY = "sms_reply"  # the answer to a message received by SMS (status, help)
    PAYMENT_RECEIVED = "payment_received"  # a receipt
    PAYMENT_REFUNDED = "payment_refunded"
    TICKET_FINISHED = "ticket_finished"  # served: thanks, and a link to rate the visit


class DeliveryChannel(enum.Enum):
    """How a notification travels (a ticket's `Channel` is how it was taken)."""

    IN_APP = "in_app"
    EMAIL = "email"
    PUSH = "push"
    SMS = "sms"


class NotificationStatus(enum.Enum):
    QUEUED = "queued"  # written; waiting for its job (or for quiet hours to end)
    SENT = "sent"  # the channel accepted it
    DELIVERED = "delivered"  # the channel reported it reached the person
    FAILED = "failed"  # the channel refused it, or every try failed (see reason)
    NOT_SENT = "not_sent"  # channel off, not configured, said stop, or no longer true


class Notification(db.Model):
    """One message to one recipient on one channel, written before it is sent."""

    __table_args__ = (
        # The bell: a user's unread in-app messages.
        Index("ix_notification_user_channel", "user_id", "channel", "read_at"),
        # A manager's page of a branch's failures, newest first.
        Index("ix_notification_branch_status", "branch_id", "status", "created_at"),
        # Per-number pace and per-organization counts of SMS.
        Index("ix_notification_recipient", "channel", "recipient", "created_at"),
        Index(
            "ix_notification_org_channel", "organization_id", "channel", "created_at"
        ),
        # Messages held by quiet hours, found by the minute job.
        Index(
            "ix_notification_held",
            "hold_until",
            postgresql_where=text("hold_until IS NOT NULL"),
            sqlite_where=text("hold_until IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, 24))
    channel: Mapped[DeliveryChannel] = mapped_column(enum_type(DeliveryChannel))
    status: Mapped[NotificationStatus] = mapped_column(
        enum_type(NotificationStatus), default=NotificationStatus.QUEUED
    )
    # The address on its channel: an email, an E.164 number, "user:<id>" (in-app), or
    # "push:<subscription id>".
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE")
    )
    push_subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL")
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branch.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True
    )
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcast.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    subject: Mapped[str | None] = mapped_column(String(200))  # email, push title
    body: Mapped[str] = mapped_column(
        Text
    )  # the text itself (SMS, push, in-app, email)
    html: Mapped[str | None] = mapped_column(Text)  # email only
    link: Mapped[str | None] = mapped_column(String(500))  # where a tap leads
    # One message per event, recipient and channel, whoever writes it twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # quiet hours
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(300))  # why failed / not sent
    provider_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    segments: Mapped[int | None] = mapped_column(Integer)  # SMS parts billed
    cost_fcfa: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in-app


class PushSubscription(db.Model):
    """A browser of a signed-in customer that accepted web push (its keys, as given)."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(db.Model):
    """What one customer wants: the kinds muted on each channel, and quiet hours."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # "<group>:<channel>" pairs turned off (notifications/kinds.py: GROUPS); all on
    # by default.
    muted: Mapped[list] = mapped_column(JSON, default=list)
    quiet_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start: Mapped[time] = mapped_column(Time, default=time(22, 0))  # Dakar
    quiet_end: Mapped[time] = mapped_column(Time, default=time(7, 0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactOptOut(db.Model):
    """An address that said stop on a channel: an email's unsubscribe link, or STOP by SMS.
    Nothing more goes to it on that channel until its owner turns it back on."""

    __tablename__ = "contact_opt_out"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[DeliveryChannel] = mapped_column(enum_type(DeliveryChannel))
    address: Mapped[str] = mapped_column(String(254))  # lower-case email, or E.164
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(db.Model):
    """An organization's urgent message to everyone waiting in a branch (and its board)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shown_until: Mapped[datetime] = mapped_column(UTCDateTime)  # on the board
    # Filled by the fan-out job: how many tickets it reached, and when it had written
    # every message.
    tickets_reached: Mapped[int | None] = mapped_column(Integer)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped["Branch"] = relationship()  # noqa: F821


class InboundMessage(db.Model):
    """A message received from an SMS gateway (later USSD), kept once per gateway id: a
    gateway's retry or a replayed request finds it here and nothing is done twice."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("provider", "message_id"),
        # A number's pace: its messages of the last minute.
        Index("ix_inbound_message_sender", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(120))
    sender: Mapped[str] = mapped_column(String(16))  # E.164
    text: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL")
    )
    reply: Mapped[str | None] = mapped_column(String(500))
