"""Shared column helpers."""

from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

from .. import clock


def utcnow() -> datetime:
    """Now, by the app's clock (which tests freeze)."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite (which drops tzinfo) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime stored; use UTC-aware datetimes")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def enum_type(cls, length: int = 20):
    """Store an enum as its value in a VARCHAR: same schema on SQLite and PostgreSQL."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )
