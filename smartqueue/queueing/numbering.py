"""Numbers that only go up, per scope and day, taken atomically (never duplicated or skipped)."""

import functools
from datetime import date

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import DailyCounter

_counter = DailyCounter.__table__


@functools.cache
def next_value_statement(dialect: str, limited: bool):
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING, built once per dialect (it runs on
    every ticket issued); `limited`: the update only happens below :limit."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_counter).values(
        scope=bindparam("scope"),
        scope_id=bindparam("scope_id"),
        day=bindparam("day"),
        value=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=[_counter.c.scope, _counter.c.scope_id, _counter.c.day],
        set_={"value": _counter.c.value + 1},
        where=(_counter.c.value < bindparam("limit")) if limited else None,
    ).returning(_counter.c.value)


def take_next(
    scope: str, scope_id: int, day: date, limit: int | None = None
) -> int | None:
    """The next value of a daily counter, or None if it would pass `limit`.

    One statement, INSERT ... ON CONFLICT DO UPDATE ... RETURNING: the row stays locked
    until the caller commits, so concurrent callers queue up, and a rollback gives the
    number back (nothing skipped). At the limit the update's WHERE fails and no row
    comes back.
    """
    if limit is not None and limit < 1:
        return None
    conn = db.session.connection()
    params = {"scope": scope, "scope_id": scope_id, "day": day}
    if limit is not None:
        params["limit"] = limit
    stmt = next_value_statement(conn.dialect.name, limit is not None)
    return conn.execute(stmt, params).scalar()
