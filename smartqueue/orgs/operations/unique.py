"""Committing a write that a unique constraint guards (names, letters, numbers)."""

from sqlalchemy.exc import IntegrityError

from ...errors import DomainError
from ...extensions import db


def commit_unique(error: DomainError) -> None:
    """Commit, turning a unique-constraint race into the domain error the caller expects."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise error from None
