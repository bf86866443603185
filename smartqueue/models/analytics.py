"""Analytics: the daily rollups of closed days, and customers' ratings of their visit.

The rollups are plain tables (SQLAlchemy Core) with one row per day and key, whose
columns are counts and sums: a period's figures are SUMs of them, grouped as a page asks.
Percentiles come from fixed-bucket histograms kept as columns (`w0..`, `s0..`), summed the
same way: a year of one organization's 50 branches is one aggregate over ~90 000 rows,
never a read of its tickets. The buckets are in `analytics/buckets.py`.
"""

from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

# Upper edges, in minutes, of the histogram buckets of waits and service times: bucket i
# holds the times t with EDGES[i-1] <= t < EDGES[i] (minutes, with seconds); the last
# bucket (index len(EDGES)) is open ("240 minutes or more").
BUCKET_EDGES_MINUTES = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60,
    75, 90, 120, 150, 180, 240,
)  # fmt: skip
BUCKETS = len(BUCKET_EDGES_MINUTES) + 1
CHANNELS = (
    "mobile",
    "web",
    "sms",
    "kiosk",
    "counter",
    "phone",
)  # models.Channel values


def _counts(*names: str) -> list[Column]:
    return [Column(name, Integer, nullable=False, default=0) for name in names]


# One service's day (the Dakar day tickets were issued on: Ticket.day).
service_day = Table(
    "rollup_service_day",
    db.metadata,
    Column("day", Date, primary_key=True),
    Column(
        "service_id",
        ForeignKey("service.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        ForeignKey("organization.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("weekday", SmallInteger, nullable=False),  # 0 = Monday, as date.weekday()
    # Tickets issued that day, by where they ended (a transfer's new ticket counts in
    # its new line, issued there by "transfer_in": `transfers_in`).
    *_counts(
        "issued",
        "served",
        "cancelled",
        "no_show",
        "transferred",
        "expired",
        "transfers_in",
    ),
    # Waits (first call - arrival) of the tickets that were called; service times
    # (finish - start) of the served ones; seconds.
    *_counts("wait_n", "wait_sum_s", "within_target", "service_n", "service_sum_s"),
    Column("target_wait_minutes", SmallInteger, nullable=False),
    *_counts(*(f"w{i}" for i in range(BUCKETS))),
    *_counts(*(f"s{i}" for i in range(BUCKETS))),
    # Arrivals by Dakar hour of the day (issued tickets, by their arrival).
    *_counts(*(f"h{i}" for i in range(24))),
    *_counts(*(f"ch_{c}" for c in CHANNELS)),
    # The wait told at issue against the wait had (tickets called that were told one):
    # absolute error in seconds, and how many fell inside the range shown.
    *_counts("told_n", "told_error_sum_s", "told_inside"),
    # Appointments of that day for the service: kept (checked in) or missed (no-show).
    *_counts("appointments", "appointments_kept", "appointments_missed"),
    # Ratings given for the day's tickets, 1 to 5.
    *_counts("rating_n", "rating_sum", "r1", "r2", "r3", "r4", "r5"),
)
Index("ix_rollup_service_day_org_day", service_day.c.organization_id, service_day.c.day)
Index("ix_rollup_service_day_branch_day", service_day.c.branch_id, service_day.c.day)


# One agent's day at one counter for one service (tickets they called).
agent_day = Table(
    "rollup_agent_day",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), nullable=False),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        ForeignKey("organization.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Either may be gone since (a counter deleted, an account removed): the day stays.
    Column("counter_id", ForeignKey("counter.id", ondelete="SET NULL")),
    Column("agent_id", ForeignKey("user.id", ondelete="SET NULL")),
    *_counts("called", "served", "no_show", "transferred"),
    *_counts("service_n", "service_sum_s"),
    # Call to start of service, and the idle gap from one finish to the next call at
    # the same counter (gaps of an hour or more are breaks, not idle time).
    *_counts("call_to_start_n", "call_to_start_sum_s", "idle_n", "idle_sum_s"),
    *_counts("rating_n", "rating_sum"),
)
Index("ix_rollup_agent_day_org_day", agent_day.c.organization_id, agent_day.c.day)
Index("ix_rollup_agent_day_branch_day", agent_day.c.branch_id, agent_day.c.day)


# Where a service's customers of the day came from, when known (a trip's commune).
commune_day = Table(
    "rollup_commune_day",
    db.metadata,
    Column("day", Date, primary_key=True),
    Column(
        "service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        ForeignKey("organization.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tickets", Integer, nullable=False),
)
Index("ix_rollup_commune_day_org_day", commune_day.c.organization_id, commune_day.c.day)


# The same sums a month at a time (month = its first day), for one branch's service:
# a year's page sums ~3 000 rows instead of ~90 000. Rewritten from the month's day rows
# with each day's build (rollups.build_day), so they always equal the days summed.
def _month_keys(*keys: Column) -> list[Column]:
    return [
        Column("month", Date, primary_key=True),
        *keys,
        Column(
            "branch_id", ForeignKey("branch.id", ondelete="CASCADE"), nullable=False
        ),
        Column(
            "organization_id",
            ForeignKey("organization.id", ondelete="CASCADE"),
            nullable=False,
        ),
    ]


MONTH_SUMMED = tuple(
    c.name
    for c in service_day.columns
    if c.name
    not in (
        "day",
        "service_id",
        "branch_id",
        "organization_id",
        "weekday",
        "target_wait_minutes",
    )
)
service_month = Table(
    "rollup_service_month",
    db.metadata,
    *_month_keys(
        Column(
            "service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
        ),
    ),
    *_counts(*MONTH_SUMMED),
)
Index(
    "ix_rollup_service_month_org_month",
    service_month.c.organization_id,
    service_month.c.month,
)
Index(
    "ix_rollup_service_month_branch_month",
    service_month.c.branch_id,
    service_month.c.month,
)

# Arrivals by weekday and hour a month at a time (a month has every weekday: the heat
# map of a long period needs the weekday kept).
arrivals_month = Table(
    "rollup_arrivals_month",
    db.metadata,
    *_month_keys(
        Column(
            "service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
        ),
        Column("weekday", SmallInteger, primary_key=True, autoincrement=False),
    ),
    *_counts(*(f"h{i}" for i in range(24))),
)
Index(
    "ix_rollup_arrivals_month_org_month",
    arrivals_month.c.organization_id,
    arrivals_month.c.month,
)
Index(
    "ix_rollup_arrivals_month_branch_month",
    arrivals_month.c.branch_id,
    arrivals_month.c.month,
)

AGENT_MONTH_SUMMED = tuple(
    c.name
    for c in agent_day.columns
    if c.name
    not in (
        "id",
        "day",
        "service_id",
        "branch_id",
        "organization_id",
        "counter_id",
        "agent_id",
    )
)
agent_month = Table(
    "rollup_agent_month",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("month", Date, nullable=False),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), nullable=False),
    Column("branch_id", ForeignKey("branch.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        ForeignKey("organization.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("counter_id", ForeignKey("counter.id", ondelete="SET NULL")),
    Column("agent_id", ForeignKey("user.id", ondelete="SET NULL")),
    *_counts(*AGENT_MONTH_SUMMED),
)
Index(
    "ix_rollup_agent_month_org_month",
    agent_month.c.organization_id,
    agent_month.c.month,
)
Index(
    "ix_rollup_agent_month_branch_month", agent_month.c.branch_id, agent_month.c.month
)

commune_month = Table(
    "rollup_commune_month",
    db.metadata,
    *_month_keys(
        Column(
            "service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
        ),
        Column(
            "commune_id", ForeignKey("commune.id", ondelete="CASCADE"), primary_key=True
        ),
    ),
    Column("tickets", Integer, nullable=False),
)
Index(
    "ix_rollup_commune_month_org_month",
    commune_month.c.organization_id,
    commune_month.c.month,
)
Index(
    "ix_rollup_commune_month_branch_month",
    commune_month.c.branch_id,
    commune_month.c.month,
)


class RollupRun(db.Model):
    """A Dakar day whose rollups are written (for one branch): what the nightly job
    skips, and what a rebuild replaces."""

    __tablename__ = "rollup_run"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True
    )
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketRating(db.Model):
    """A customer's rating of a finished visit, 1 to 5, given once per ticket."""

    __tablename__ = "ticket_rating"
    __table_args__ = (
        Index("ix_ticket_rating_service_day", "service_id", "day"),
        # A branch-day's ratings (its rollup), and a week's, to find those given since
        # their day's build (the hourly job).
        Index("ix_ticket_rating_day_branch", "day", "branch_id"),
    )

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    # Copied from the ticket, so that managers' reads never join the ticket table.
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE")
    )
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    day: Mapped[date] = mapped_column(Date)  # the ticket's day
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
