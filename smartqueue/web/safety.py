"""Guarding what comes from outside: redirects stay on this site, ids fit the database."""

from urllib.parse import urlsplit

from flask_login import current_user


def acting_user():
    """The signed-in user as the real object, for operations (`by=`): they may keep what
    they are given, and a stored `current_user` proxy resolves to itself (accepting an
    invitation while signed in once crashed the process that way)."""
    return current_user._get_current_object()


def safe_next(target: str | None) -> str | None:
    """A relative path on this site, or None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return None
    if "\\" in target:
        return None
    return target


MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite would overflow further up


def parse_id(value) -> int | None:
    """A database id from a query string or form value, or None for anything else."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
