"""Units of work: how every write of the core begins and ends.

An operation starts with `begin_write` when it reads what it is about to change, and is
wrapped in `unit_of_work` so that a refusal leaves nothing behind. Used by every domain
package (queueing, orgs, appointments) and by the jobs that write.
"""

import functools

from sqlalchemy.orm import scoped_session

from .errors import DomainError
from .extensions import db


def begin_write(session) -> None:
    """Start a unit of work holding the write lock from its first read.

    SQLite: BEGIN IMMEDIATE, so writers queue up instead of acting on a stale snapshot.
    PostgreSQL: nothing to do here; lock the rows that matter (SELECT ... FOR UPDATE).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()  # an operation starts clean: what came before was only reads
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def unit_of_work(operation):
    """A refused operation leaves nothing behind: roll back (and free the write lock)."""

    @functools.wraps(operation)
    def run(*args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise

    return run
