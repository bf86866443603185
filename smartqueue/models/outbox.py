"""The job outbox: follow-up jobs written in the same transaction as the change that
wants them, so that what was committed is never left without its follow-up."""

from datetime import datetime, timezone

from sqlalchemy import JSON, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


def real_now() -> datetime:
    """The machine's clock (RQ, leases and Redis run on it), never the app's frozen one."""
    return datetime.now(timezone.utc)


class OutboxJob(db.Model):
    """One job to run: deleted once it has run; kept with `failed_at` once it gave up."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    func: Mapped[str] = mapped_column(String(200))  # dotted path of a module-level job
    args: Mapped[list] = mapped_column(JSON)
    # At most one row per key (e.g. one "called" notice per ticket) while it is pending.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=real_now)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by a drain
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a run's lease
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # Pending rows only: the drain and /healthz read this, never the failed ones.
        Index(
            "ix_job_outbox_pending",
            "created_at",
            sqlite_where=text("failed_at IS NULL"),
            postgresql_where=text("failed_at IS NULL"),
        ),
    )
