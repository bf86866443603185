"""Organizations and what they run: branches, services, counters."""

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow
from .geo import Commune, Department, Region


class OrganizationType(enum.Enum):
    BANK = "bank"
    HOSPITAL = "hospital"
    GOVERNMENT = "government"
    TELECOM = "telecom"
    INSURANCE = "insurance"
    BUSINESS = "business"
    EDUCATION = "education"
    RETAIL = "retail"
    OTHER = "other"


class Plan(enum.Enum):
    FREE = "free"
    STARTER = "starter"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"


class CounterStatus(enum.Enum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[OrganizationType] = mapped_column(enum_type(OrganizationType))
    plan: Mapped[Plan] = mapped_column(enum_type(Plan), default=Plan.FREE)
    # A downgrade waits for the end of the month: the plan to take, and from when.
    next_plan: Mapped[Plan | None] = mapped_column(enum_type(Plan))
    next_plan_from: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branches: Mapped[list["Branch"]] = relationship(
        back_populates="organization",
        order_by="Branch.name",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return self.name


class Branch(db.Model):
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        # "Near me": a box of latitudes and longitudes around a position first (this
        # index), then the exact distance of the few inside.
        Index("ix_branch_position", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(16))
    # What a customer types to queue here by SMS ("TICKET PLATEAU A"): one per platform,
    # as the SMS number is the platform's.
    sms_code: Mapped[str | None] = mapped_column(String(12), unique=True, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="branches")
    region: Mapped[Region] = relationship()
    department: Mapped[Department] = relationship()
    commune: Mapped[Commune | None] = relationship()
    opening_hours: Mapped[list["OpeningHours"]] = relationship(
        back_populates="branch",
        order_by="OpeningHours.weekday",
        cascade="all, delete-orphan",
    )
    closures: Mapped[list["BranchClosure"]] = relationship(
        back_populates="branch",
        order_by="BranchClosure.date",
        cascade="all, delete-orphan",
    )
    services: Mapped[list["Service"]] = relationship(
        back_populates="branch", order_by="Service.prefix", cascade="all, delete-orphan"
    )
    counters: Mapped[list["Counter"]] = relationship(
        back_populates="branch", order_by="Counter.number", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name

    def hours_on(self, weekday: int) -> "OpeningHours | None":
        return next((h for h in self.opening_hours if h.weekday == weekday), None)


class OpeningHours(db.Model):
    """Opening hours of a branch on one weekday (Monday = 0); no row = closed that day.

    The span starts on its weekday at `opens_at` and ends at `closes_at`:
    - `opens_at < closes_at`: the same day (08:00-17:00);
    - `closes_at < opens_at`: the next morning (20:00-02:00; 20:00-00:00 closes at
      midnight), the part after midnight still belonging to this weekday's row;
    - `opens_at == closes_at == 00:00`: around the clock that day ("24 h/24").
    Two plain times keep every reader a comparison (no third column to forget), and
    00:00-00:00 is the only equal pair allowed, so "24 h/24" has one spelling.
    """

    __table_args__ = (
        UniqueConstraint("branch_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        # '00:00:01' compares as a time on PostgreSQL and as text against SQLite's
        # 'HH:MM:SS.ffffff': only 00:00 may equal its closing time.
        CheckConstraint(
            "opens_at <> closes_at OR opens_at < '00:00:01'", name="span_not_empty"
        ),
    )

    @property
    def around_the_clock(self) -> bool:
        return self.opens_at == self.closes_at

    @property
    def closes_today(self) -> time:
        """The closing seen from its own day (appointment grids are day-bound): the end
        of the day when the span runs to or past midnight."""
        return self.closes_at if self.opens_at < self.closes_at else time.max

    @property
    def overnight(self) -> bool:
        """Open past midnight into the next day (not when closing at 00:00 exactly)."""
        return self.closes_at < self.opens_at and self.closes_at != time(0)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    branch: Mapped[Branch] = relationship(back_populates="opening_hours")


class ClosureSource(enum.Enum):
    MANUAL = "manual"  # entered by a manager
    HOLIDAY = "holiday"  # a public holiday (orgs.holidays)


class BranchClosure(db.Model):
    """A day the branch is closed: every reader (tickets, slots, booking) honours it."""

    __table_args__ = (UniqueConstraint("branch_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[ClosureSource] = mapped_column(
        enum_type(ClosureSource),
        default=ClosureSource.MANUAL,
        server_default=ClosureSource.MANUAL.value,
    )

    branch: Mapped[Branch] = relationship(back_populates="closures")
    holidays: Mapped[list["BranchHoliday"]] = relationship(
        back_populates="closure", viewonly=True
    )


class HolidayStatus(enum.Enum):
    CLOSED = "closed"  # the branch closes that day (its closure row)
    PROPOSED = "proposed"  # an estimated date waiting for a manager: still open
    DISMISSED = "dismissed"  # removed by a manager: the pre-fill leaves it out
    PASSED = "passed"  # already past when pre-filled: recorded, never a closure


class BranchHoliday(db.Model):
    """One public holiday of one year at one branch, as pre-filled from the `holidays`
    library and decided by a manager.

    Kept apart from BranchClosure so that a proposed (estimated) or dismissed holiday
    is never a closed day for the readers of closures; a closed one points at its
    closure. One row per (branch, year, key) makes the pre-fill idempotent and
    remembers a dismissal."""

    __table_args__ = (UniqueConstraint("branch_id", "year", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(60))  # "eid_al_adha" (orgs.holidays)
    name: Mapped[str] = mapped_column(String(120))  # the library's French name
    # The library's date; estimated for the moving Muslim holidays (moon sighting).
    listed_date: Mapped[date] = mapped_column(Date)
    is_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[HolidayStatus] = mapped_column(enum_type(HolidayStatus))
    closure_id: Mapped[int | None] = mapped_column(
        ForeignKey("branch_closure.id", ondelete="SET NULL"), index=True
    )
    # Who confirmed, moved or dismissed it, and when (None: as pre-filled).
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped[Branch] = relationship()
    closure: Mapped[BranchClosure | None] = relationship(back_populates="holidays")
    decided_by: Mapped["User | None"] = relationship()  # noqa: F821


counter_services = Table(
    "counter_service",
    db.metadata,
    Column(
        "counter_id", ForeignKey("counter.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Service(db.Model):
    """What a customer queues for at one branch."""

    __table_args__ = (
        UniqueConstraint("branch_id", "prefix"),
        CheckConstraint(
            "estimated_minutes BETWEEN 1 AND 180", name="estimated_minutes_range"
        ),
        CheckConstraint("price_fcfa >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    name_fr: Mapped[str] = mapped_column(String(120))
    name_wo: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(60))
    prefix: Mapped[str] = mapped_column(String(1))
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=10)
    # The wait a manager aims at: analytics show the share of customers called within it.
    target_wait_minutes: Mapped[int] = mapped_column(
        Integer, default=15, server_default="15"
    )
    price_fcfa: Mapped[int] = mapped_column(Integer, default=0)
    accepts_appointments: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_appointment: Mapped[bool] = mapped_column(Boolean, default=False)
    documents: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    branch: Mapped[Branch] = relationship(back_populates="services")
    counters: Mapped[list["Counter"]] = relationship(
        secondary=counter_services, back_populates="services"
    )
    queue: Mapped["Queue"] = relationship(  # noqa: F821
        back_populates="service", uselist=False, cascade="all, delete-orphan"
    )

    def name_for(self, locale: str) -> str:
        """The name in `locale` (fr, wo or en); French where that name is missing."""
        translated = {"wo": self.name_wo, "en": self.name_en}.get(str(locale))
        return translated or self.name_fr

    @property
    def missing_names(self) -> list[str]:
        """Locales (wo, en) this service has no name in: shown in French there."""
        return [
            locale
            for locale, name in (("wo", self.name_wo), ("en", self.name_en))
            if not name
        ]

    def __str__(self) -> str:
        return f"{self.prefix} · {self.name_fr}"


class Counter(db.Model):
    __table_args__ = (
        UniqueConstraint("branch_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[CounterStatus] = mapped_column(
        enum_type(CounterStatus), default=CounterStatus.CLOSED
    )
    # The agent holding the counter (who opened or took it over), and since when;
    # None while paused or closed.
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    agent_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    branch: Mapped[Branch] = relationship(back_populates="counters")
    agent: Mapped["User | None"] = relationship()  # noqa: F821
    services: Mapped[list[Service]] = relationship(
        secondary=counter_services, back_populates="counters", order_by="Service.prefix"
    )

    def __str__(self) -> str:
        return f"Guichet {self.number}"
