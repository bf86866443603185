"""Numbers that only go up, per scope and day, taken atomically (never duplicated or skipped)."""

from datetime import date

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import DailyCounter


def take_next(
    scope: str, scope_id: int, day: date, limit: int | None = None
) -> int | None:
    """The next value of a daily counter, or None if it would pass `limit`.

    One INSERT ... ON CONFLICT DO NOTHING, then one UPDATE ... RETURNING: the row stays
    locked until the caller commits, so concurrent callers queue up, and a rollback gives
    the number back (nothing skipped).
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(DailyCounter)
        .values(scope=scope, scope_id=scope_id, day=day, value=0)
        .on_conflict_do_nothing()
    )
    stmt = (
        update(DailyCounter)
        .where(
            DailyCounter.scope == scope,
            DailyCounter.scope_id == scope_id,
            DailyCounter.day == day,
        )
        .values(value=DailyCounter.value + 1)
        .returning(DailyCounter.value)
    )
    if limit is not None:
        stmt = stmt.where(DailyCounter.value < limit)
    return db.session.execute(stmt).scalar()
