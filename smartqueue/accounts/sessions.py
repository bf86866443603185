"""Sign-in sessions kept server-side (OWASP ASVS V3): one row per sign-in, revocable.

The browser keeps a random token (in the signed Flask session and the remember-me cookie,
through User.get_id()); the table keeps only its SHA-256, as the primary key, so each
request costs one primary-key read and a leaked table signs nobody in.
"""

import hashlib
import ipaddress
import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import User, UserSession, utcnow
from .secrets import new_token

IDLE_LIFETIME = timedelta(days=30)  # a sign-in unused this long has ended
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often

_BROWSERS = (  # order matters: Edge and Opera also say "Chrome", Chrome says "Safari"
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("KAIOS", "KaiOS"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def describe_device(user_agent: str | None) -> str | None:
    """'Chrome, Android' from a User-Agent header, or None if nothing is recognised."""
    text = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next(
        (name for mark, name in _SYSTEMS if re.search(mark, text, re.I)), None
    )
    parts = [part for part in (browser, system) if part]
    return ", ".join(parts)[:80] or None


def truncate_address(address: str | None) -> str | None:
    """The network, not the machine: IPv4 /24, IPv6 /48 (enough to recognise a place)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def start_session(
    user: User, user_agent: str | None = None, address: str | None = None
) -> UserSession:
    """Record a sign-in on one device and attach it to the user object (then login_user)."""
    token = new_token()
    now = utcnow()
    record = UserSession(
        id=_key(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        device=describe_device(user_agent),
        address=truncate_address(address),
    )
    db.session.add(record)
    db.session.commit()
    user.session_token, user.current_session = token, record
    return record


def load_session_user(identity: str) -> User | None:
    """The user of a live sign-in named "<user id>:<token>", or None (anonymous)."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None  # an id from before sessions were kept: sign in again
    record = db.session.get(
        UserSession, _key(token), options=[joinedload(UserSession.user)]
    )
    if (
        record is None
        or record.user_id != int(user_id)
        or record.revoked_at is not None
        or record.last_seen_at <= utcnow() - IDLE_LIFETIME
        or not record.user.is_active
    ):
        return None
    user = record.user
    user.session_token, user.current_session = token, record
    return user


def touch_session(record: UserSession) -> None:
    """Note that a sign-in was used, at most once a minute (no write on every request)."""
    now, record_id = utcnow(), record.id
    if now - record.last_seen_at < TOUCH_EVERY:
        return
    # The view is done: whatever it left uncommitted is abandoned (teardown would roll it
    # back too), and ending the read transaction lets the write start fresh on SQLite.
    db.session.rollback()
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == record_id, UserSession.revoked_at.is_(None))
        .values(last_seen_at=now)
    )
    db.session.commit()


def list_active_sessions(user: User) -> list[UserSession]:
    """The user's live sign-ins, most recently used first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > utcnow() - IDLE_LIFETIME,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
        )
    )


def revoke_sessions(
    user: User, *, session_id: str | None = None, keep: str | None = None
) -> int:
    """End one of the user's sign-ins (session_id) or all but `keep`; caller commits."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if session_id is not None:
        statement = statement.where(UserSession.id == session_id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    result = db.session.execute(
        statement.values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def end_session(user: User, session_id: str) -> bool:
    """Sign one device out (sign-out, or "end" on the account page); False if not theirs."""
    ended = revoke_sessions(user, session_id=session_id)
    db.session.commit()
    return ended > 0


def end_other_sessions(user: User) -> int:
    """Sign out every device but the one asking."""
    current = user.current_session.id if user.current_session else None
    ended = revoke_sessions(user, keep=current)
    db.session.commit()
    return ended


def end_all_sessions(user: User) -> int:
    """Sign out every device, this one included."""
    ended = revoke_sessions(user)
    db.session.commit()
    return ended
