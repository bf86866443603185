"""The notifications' reads: the bell, a customer's list and history, a branch's
failures, an organization's SMS count and cost, preferences, a board's urgent message."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import (
    Broadcast,
    ContactOptOut,
    DeliveryChannel,
    Notification,
    NotificationPreference,
    NotificationStatus,
    PushSubscription,
    User,
)
from . import quiet

C = DeliveryChannel
S = NotificationStatus


def count_unread(user_id: int) -> int:
    """The bell's number: unread in-app messages."""
    return db.session.scalar(
        select(func.count()).where(
            Notification.user_id == user_id,
            Notification.channel == C.IN_APP,
            Notification.read_at.is_(None),
        )
    )


def list_inbox(user_id: int, limit: int = 50) -> list[Notification]:
    """A customer's in-app messages, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.channel == C.IN_APP)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def list_history(user_id: int, limit: int = 100) -> list[Notification]:
    """Every message sent (or not) to a customer on any channel, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.channel != C.IN_APP)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def list_branch_failures(
    branch_id: int, since: datetime, limit: int = 100
) -> list[Notification]:
    """A branch's messages that failed or could not be sent, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.branch_id == branch_id,
                Notification.status.in_((S.FAILED, S.NOT_SENT)),
                Notification.created_at >= since,
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def count_branch_messages(branch_id: int, since: datetime) -> dict[str, int]:
    """A branch's messages since `since`, by status."""
    rows = db.session.execute(
        select(Notification.status, func.count())
        .where(Notification.branch_id == branch_id, Notification.created_at >= since)
        .group_by(Notification.status)
    ).all()
    return {status.value: count for status, count in rows}


@dataclass(frozen=True)
class SmsUsage:
    messages: int
    segments: int
    cost_fcfa: int


def sms_usage(organization_id: int, start: datetime, end: datetime) -> SmsUsage:
    """The SMS an organization sent between two moments: how many, parts, cost (its
    invoice's line)."""
    messages, segments, cost = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Notification.segments), 0),
            func.coalesce(func.sum(Notification.cost_fcfa), 0),
        ).where(
            Notification.organization_id == organization_id,
            Notification.channel == C.SMS,
            Notification.status.in_((S.SENT, S.DELIVERED)),
            Notification.created_at >= start,
            Notification.created_at < end,
        )
    ).one()
    return SmsUsage(messages, segments, cost)


@dataclass(frozen=True)
class Preferences:
    muted: frozenset
    quiet_enabled: bool
    quiet_start: object
    quiet_end: object
    push_devices: int
    email_stopped: bool
    sms_stopped: bool


def get_preferences(user: User) -> Preferences:
    """What a customer chose (the defaults where they never did)."""
    saved = db.session.get(NotificationPreference, user.id)
    stopped = set(
        db.session.scalars(
            select(ContactOptOut.channel).where(
                (
                    (ContactOptOut.channel == C.EMAIL)
                    & (ContactOptOut.address == user.email.lower())
                )
                | (
                    (ContactOptOut.channel == C.SMS)
                    & (ContactOptOut.address == (user.phone or ""))
                )
            )
        )
    )
    devices = db.session.scalar(
        select(func.count()).where(PushSubscription.user_id == user.id)
    )
    return Preferences(
        muted=frozenset(saved.muted or []) if saved else frozenset(),
        quiet_enabled=saved.quiet_enabled if saved else True,
        quiet_start=saved.quiet_start if saved else quiet.DEFAULT_START,
        quiet_end=saved.quiet_end if saved else quiet.DEFAULT_END,
        push_devices=devices,
        email_stopped=C.EMAIL in stopped,
        sms_stopped=C.SMS in stopped,
    )


def get_active_broadcast(branch_id: int) -> Broadcast | None:
    """The urgent message a branch's board shows now, if any (the latest)."""
    return db.session.scalar(
        select(Broadcast)
        .where(Broadcast.branch_id == branch_id, Broadcast.shown_until > clock.now())
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def list_broadcasts(branch_id: int, limit: int = 10) -> list[Broadcast]:
    """A branch's latest urgent messages, newest first."""
    return list(
        db.session.scalars(
            select(Broadcast)
            .where(Broadcast.branch_id == branch_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    )
