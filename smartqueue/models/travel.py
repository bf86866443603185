"""Where a ticket's or appointment's holder comes from, kept only while it is needed,
what was computed from it (travel, margin, when to leave) and what was told."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

# ~110 m of latitude: enough for a travel time, too coarse to name a house.
POSITION_DECIMALS = 3
# Statuses whose holder may still be on the way; any other ends the plan. The database
# erases a plan in the very transaction that moves its holder out of these (triggers in
# migration 5e6f7a8b9ca4), and the travel job sweeps what a trigger could miss.
LIVE_TICKET_STATUSES = ("waiting", "called")
LIVE_APPOINTMENT_STATUSES = ("pending", "pending_payment", "confirmed")


class TravelPlan(db.Model):
    """One holder's trip to its branch: a ticket's or an appointment's (exactly one).

    One table for both holders: the origin, the computation and the "told" mark are the
    same columns, so one model, one job path and one erasure sweep serve both.
    """

    __tablename__ = "travel_plan"
    __table_args__ = (
        CheckConstraint(
            "(ticket_id IS NULL) <> (appointment_id IS NULL)", name="one_holder"
        ),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="whole_position"
        ),
        CheckConstraint(
            "latitude IS NOT NULL OR commune_id IS NOT NULL", name="has_origin"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), unique=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), unique=True
    )
    # The origin: a position rounded to POSITION_DECIMALS, or none (a commune chosen from
    # the list, whose centre stands in). `commune_id` is the commune chosen, or the one
    # nearest the position (its local traffic factor applies).
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    mode: Mapped[str] = mapped_column(String(20))  # smartqueue.travel.TravelMode value
    origin_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the last computation found (None until a job has run).
    travel_minutes: Mapped[int | None] = mapped_column(Integer)
    margin_minutes: Mapped[int | None] = mapped_column(Integer)
    leave_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(10))  # "estimate" or "osrm"
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was told: "leave now" for a ticket, the departure reminder for an appointment.
    told_leave_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commune: Mapped["Commune | None"] = relationship()  # noqa: F821

    @property
    def has_position(self) -> bool:
        return self.latitude is not None


class TravelPreference(db.Model):
    """The travel mode a customer chose last, offered first next time.

    A table of its own rather than a column on `user`: the accounts aggregate stays as
    it is, and only customers who ever chose have a row."""

    __tablename__ = "travel_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
