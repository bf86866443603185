"""Queues and tickets: who waits for what, in which order, and every move they make."""

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow


class QueueType(enum.Enum):
    NORMAL = "normal"
    PRIORITY = "priority"
    VIP = "vip"
    APPOINTMENT = "appointment"
    EXPRESS = "express"


class QueueStatus(enum.Enum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"
    MAINTENANCE = "maintenance"


class Strategy(enum.Enum):
    FIFO = "fifo"
    PRIORITY = "priority"
    APPOINTMENT_FIRST = "appointment_first"
    MIXED = "mixed"


class TicketStatus(enum.Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    SERVED = "served"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    TRANSFERRED = "transferred"


# The moves a ticket may make (docs/DOMAIN.md, Tickets).
MOVES = {
    TicketStatus.WAITING: {
        TicketStatus.CALLED,
        TicketStatus.CANCELLED,
        TicketStatus.EXPIRED,
        TicketStatus.TRANSFERRED,
    },
    TicketStatus.CALLED: {
        TicketStatus.SERVING,
        TicketStatus.CANCELLED,
        TicketStatus.NO_SHOW,
        TicketStatus.TRANSFERRED,
        TicketStatus.WAITING,  # "let others pass"
        TicketStatus.EXPIRED,
    },
    TicketStatus.SERVING: {TicketStatus.SERVED},
}
ACTIVE_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)


class Priority(enum.Enum):
    NORMAL = "normal"
    MEDIUM = "medium"
    HIGH = "high"  # elderly, disabled, pregnant
    URGENT = "urgent"  # medical emergency

    @property
    def level(self) -> int:
        return list(Priority).index(self)


class Channel(enum.Enum):
    MOBILE = "mobile"
    WEB = "web"
    SMS = "sms"
    KIOSK = "kiosk"
    COUNTER = "counter"
    PHONE = "phone"


class Queue(db.Model):
    """The queue of one service at its branch, and how it is run."""

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("notify_before BETWEEN 1 AND 10", name="notify_before_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), unique=True
    )
    type: Mapped[QueueType] = mapped_column(
        enum_type(QueueType), default=QueueType.NORMAL
    )
    status: Mapped[QueueStatus] = mapped_column(
        enum_type(QueueStatus), default=QueueStatus.ACTIVE
    )
    strategy: Mapped[Strategy] = mapped_column(
        enum_type(Strategy), default=Strategy.FIFO
    )
    capacity: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    expiry_minutes: Mapped[int] = mapped_column(Integer, default=0)  # 0 = at closing
    notify_before: Mapped[int] = mapped_column(Integer, default=3)

    service: Mapped["Service"] = relationship(back_populates="queue")  # noqa: F821


class Ticket(db.Model):
    """A place in a queue. Its public page is reached by `token`, never by `id`."""

    __table_args__ = (
        UniqueConstraint("service_id", "day", "number"),
        # "Call next" reads the head of the waiting line through this index.
        Index(
            "ix_ticket_waiting_rank",
            "service_id",
            "rank_key",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
        # The longest wait of a line, read from its oldest entry (counter screen).
        Index(
            "ix_ticket_waiting_arrival",
            "service_id",
            "arrived_at",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
        # A ticket's transfer, found from the first (and deleting a ticket checks it).
        Index(
            "ix_ticket_transferred_from",
            "transferred_from_id",
            postgresql_where=text("transferred_from_id IS NOT NULL"),
            sqlite_where=text("transferred_from_id IS NOT NULL"),
        ),
        Index("ix_ticket_branch_day_status", "branch_id", "day", "status"),
        # A line's recent service times (its estimates), from the end of an index of
        # served tickets only, however long the service's history.
        Index(
            "ix_ticket_recent_served",
            "service_id",
            "finished_at",
            postgresql_where=text("status = 'served'"),
            sqlite_where=text("status = 'served'"),
        ),
        # The expiry job's "left from a past day", without reading today's live tickets.
        Index(
            "ix_ticket_live_day",
            "day",
            postgresql_where=text("status IN ('waiting', 'called')"),
            sqlite_where=text("status IN ('waiting', 'called')"),
        ),
        # The board's latest calls, from the end of an index of called tickets only.
        Index(
            "ix_ticket_recent_calls",
            "branch_id",
            "called_at",
            postgresql_where=text("called_at IS NOT NULL"),
            sqlite_where=text("called_at IS NOT NULL"),
        ),
        # "What is this counter serving now?" on every call, without scanning its history.
        # Partial on counter_id, which `counter_id = ?` implies: waiting tickets (no counter)
        # stay out of it, and out of SQLite's statistics for it.
        Index(
            "ix_ticket_counter_current",
            "counter_id",
            "status",
            postgresql_where=text("counter_id IS NOT NULL"),
            sqlite_where=text("counter_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)  # Dakar date the number belongs to
    # None for a transferred ticket: it keeps the code of the line it came from and takes
    # no number of its new line (unique per service and day: NULLs never collide).
    number: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(8))  # "A007"
    status: Mapped[TicketStatus] = mapped_column(
        enum_type(TicketStatus), default=TicketStatus.WAITING, index=True
    )
    priority: Mapped[Priority] = mapped_column(
        enum_type(Priority), default=Priority.NORMAL
    )
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # Ordering: lower goes first. Set from arrival, priority and strategy at issue time;
    # moved by "let others pass". See queueing/strategies.py.
    rank_key: Mapped[float] = mapped_column(Float)
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)  # kept across transfers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest call
    # The first call, kept through recalls and "let others pass": where a wait ends.
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    serving_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("counter.id", ondelete="SET NULL")
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    pass_count: Mapped[int] = mapped_column(Integer, default=0)
    # Where the holder came from, when they said (a trip's commune): kept for the
    # analytics after the trip itself, position included, is erased with the ticket.
    origin_commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    transferred_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL")
    )
    # The wait this ticket was told when it was issued (queueing.queries.wait_range):
    # what the analytics compare with the wait it had. None for a transfer's new ticket.
    told_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    told_low: Mapped[int | None] = mapped_column(SmallInteger)
    told_high: Mapped[int | None] = mapped_column(SmallInteger)
    near_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped["Service"] = relationship()  # noqa: F821
    branch: Mapped["Branch"] = relationship()  # noqa: F821
    counter: Mapped["Counter | None"] = relationship()  # noqa: F821
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    def can_move_to(self, status: TicketStatus) -> bool:
        return status in MOVES.get(self.status, set())

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class TicketEvent(db.Model):
    """One move of a ticket: from, to, when, by whom, at which counter."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))  # issue, call, recall, pass, ...
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("counter.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(255))

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class CounterEvent(db.Model):
    """Who opened, took over, paused or closed a counter, when, and from whom."""

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counter.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))  # open, take_over, pause, close
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    from_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )


class DailyCounter(db.Model):
    """A number that only goes up, per scope and day: ticket numbers, tickets per organization.

    Taken with a single UPDATE ... RETURNING, so two processes never get the same value.
    """

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


ONLINE_WITHIN = timedelta(minutes=3)


class DeviceKind(enum.Enum):
    BOARD = "board"
    KIOSK = "kiosk"


class Device(db.Model):
    """A display board or kiosk of a branch, authorized by a secret link (no login)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeviceKind] = mapped_column(enum_type(DeviceKind))
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Written by the device's own reports (at most every ~30 s), never by a person.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sound_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped["Branch"] = relationship()  # noqa: F821

    def is_online_at(self, now: datetime) -> bool:
        """Reports come every minute: three missed in a row means the screen is gone."""
        return self.last_seen_at is not None and now - self.last_seen_at < ONLINE_WITHIN


class DevicePairing(db.Model):
    """A screen waiting to be paired: it shows `code`; it holds the secret whose keyed
    hash is kept here, which becomes its device's link token once a manager claims it."""

    __tablename__ = "device_pairing"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="SET NULL")
    )
