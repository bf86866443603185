"""Numbers that only go up, per scope and day, taken atomically (never duplicated or skipped)."""

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import DailyCounter


def take_next(
    scope: str, scope_id: int, day: date, limit: int | None = None
) -> int | None:
    """The next value of a daily counter, or None if it would pass `limit`.

    One statement, INSERT ... ON CONFLICT DO UPDATE ... RETURNING: the row stays locked
    until the caller commits, so concurrent callers queue up, and a rollback gives the
    number back (nothing skipped). At the limit the update's WHERE fails and no row
    comes back.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(DailyCounter).values(scope=scope, scope_id=scope_id, day=day, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DailyCounter.scope, DailyCounter.scope_id, DailyCounter.day],
        set_={"value": DailyCounter.value + 1},
        where=(DailyCounter.value < limit) if limit is not None else None,
    ).returning(DailyCounter.value)
    if limit is not None and limit < 1:
        return None
    return db.session.execute(stmt).scalar()
