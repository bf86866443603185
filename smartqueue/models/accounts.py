"""People: users, their one-time codes, their staff roles, and invitations."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, enum_type, utcnow


class Role(enum.Enum):
    AGENT = "agent"
    BRANCH_MANAGER = "branch_manager"
    ORG_ADMIN = "org_admin"


class CodePurpose(enum.Enum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(120))
    # E.164; indexed: an SMS's sender is looked up by it (a reminder's OUI / NON)
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The sign-in this object was loaded for (set by accounts.sessions, never stored).
    session_token = None
    current_session = None

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember cookie: naming the
        # sign-in, not only the person, lets the loader refuse a revoked one.
        if self.session_token is None:
            raise RuntimeError("sign in through accounts.sessions.start_session()")
        return f"{self.id}:{self.session_token}"

    def __eq__(self, other) -> bool:  # UserMixin compares get_id(): same person instead
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def membership_for(self, organization_id: int) -> "Membership | None":
        return next(
            (m for m in self.memberships if m.organization_id == organization_id), None
        )

    @property
    def is_staff(self) -> bool:
        return bool(self.memberships)


class UserSession(db.Model):
    """One sign-in on one device; the browser keeps a random token whose hash is the key."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str | None] = mapped_column(String(80))  # "Chrome, Android"
    address: Mapped[str | None] = mapped_column(String(64))  # truncated: 41.82.13.0
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class EmailCode(db.Model):
    """A 6-digit code sent by email, stored as a keyed hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[CodePurpose] = mapped_column(enum_type(CodePurpose))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Membership(db.Model):
    """A staff role held by a user in one organization (agents and managers at one branch)."""

    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped["Organization"] = relationship()  # noqa: F821
    branch: Mapped["Branch | None"] = relationship()  # noqa: F821


class Invitation(db.Model):
    """An emailed link to join an organization with a role; the token is stored hashed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branch.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped["Organization"] = relationship()  # noqa: F821
    branch: Mapped["Branch | None"] = relationship()  # noqa: F821
