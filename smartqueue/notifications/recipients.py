"""Who a notice goes to, and on which channels: the holder of a ticket or appointment,
their preferences, the addresses that said stop, their browsers subscribed to push.

Read for many holders at once (an urgent message reaches a whole branch): one query per
table, whatever the number of holders.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select, tuple_

from ..extensions import db
from ..models import (
    ContactOptOut,
    DeliveryChannel,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
    PushSubscription,
    User,
)
from . import kinds, quiet

C = DeliveryChannel


@dataclass(frozen=True)
class Holder:
    """Whoever holds a ticket or an appointment: an account, or only what they gave."""

    user_id: int | None
    email: str | None
    phone: str | None  # E.164
    locale: str = "fr"


@dataclass
class Route:
    """One message to write: its channel and address, and whether it can go."""

    channel: DeliveryChannel
    recipient: str
    status: NotificationStatus = NotificationStatus.QUEUED
    reason: str | None = None
    push_subscription_id: int | None = None
    hold_until: datetime | None = None


@dataclass
class _Known:
    users: dict = field(default_factory=dict)
    preferences: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)
    opted_out: set = field(default_factory=set)


def appointment_holder(appointment) -> Holder | None:
    user = appointment.customer
    if user is None or not user.is_active:
        return None
    return Holder(
        user_id=user.id,
        email=_verified_email(user) or user.email,
        phone=user.phone,
        locale=appointment.locale,
    )


def _verified_email(user: User | None) -> str | None:
    if user is None or not user.is_active or not user.is_verified:
        return None
    return user.email


def plan_routes(
    holders: list[Holder], kind: NotificationKind, now: datetime
) -> list[list[Route]]:
    """For each holder, the messages to write for `kind` (same order as `holders`)."""
    known = _read(holders)
    return [_routes(holder, kind, now, known) for holder in holders]


def _read(holders: list[Holder]) -> _Known:
    known = _Known()
    user_ids = {h.user_id for h in holders if h.user_id}
    if user_ids:
        known.users = {
            u.id: u
            for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))
        }
        known.preferences = {
            p.user_id: p
            for p in db.session.scalars(
                select(NotificationPreference).where(
                    NotificationPreference.user_id.in_(user_ids)
                )
            )
        }
        for sub in db.session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id.in_(user_ids))
            .order_by(PushSubscription.id)
        ):
            known.subscriptions.setdefault(sub.user_id, []).append(sub)
    addresses = {(C.EMAIL, h.email.lower()) for h in holders if h.email} | {
        (C.SMS, h.phone) for h in holders if h.phone
    }
    if addresses:
        known.opted_out = set(
            db.session.execute(
                select(ContactOptOut.channel, ContactOptOut.address).where(
                    tuple_(ContactOptOut.channel, ContactOptOut.address).in_(
                        list(addresses)
                    )
                )
            ).all()
        )
    return known


def _routes(
    holder: Holder, kind: NotificationKind, now: datetime, known: _Known
) -> list[Route]:
    user = known.users.get(holder.user_id)
    if user is not None and not user.is_active:
        user = None
    preference = known.preferences.get(user.id) if user else None
    group = kinds.GROUP_OF.get(kind)  # None: an SMS reply, asked for, always sent
    muted = set(preference.muted or []) if preference else set()

    def wanted(channel: DeliveryChannel) -> bool:
        return group is None or kinds.muted_key(group, channel) not in muted

    config = current_app.config
    routes: list[Route] = []
    if user is not None and wanted(C.IN_APP) and kind is not kinds.K.SMS_REPLY:
        routes.append(Route(C.IN_APP, f"user:{user.id}"))
    if user is not None and wanted(C.PUSH):
        for sub in known.subscriptions.get(user.id, []):
            route = Route(C.PUSH, f"push:{sub.id}", push_subscription_id=sub.id)
            if not config.get("PUSH_ENABLED"):
                _not_sent(route, "push")
            routes.append(route)
    if holder.phone and (wanted(C.SMS) or kind is kinds.K.SMS_REPLY):
        route = Route(C.SMS, holder.phone)
        if not config.get("SMS_ENABLED"):
            _not_sent(route, "sms")
        elif (C.SMS, holder.phone) in known.opted_out and kind is not kinds.K.SMS_REPLY:
            _not_sent(route, "stop")
        routes.append(route)
    if holder.email and wanted(C.EMAIL) and kind is not kinds.K.SMS_REPLY:
        route = Route(C.EMAIL, holder.email.lower())
        if (C.EMAIL, holder.email.lower()) in known.opted_out:
            _not_sent(route, "stop")
        routes.append(route)
    if kind not in kinds.NEVER_HELD:
        if preference is None:
            until = quiet.quiet_until(now)
        elif preference.quiet_enabled:
            until = quiet.quiet_until(now, preference.quiet_start, preference.quiet_end)
        else:
            until = None
        for route in routes:
            if (
                route.channel is not C.IN_APP
                and route.status is NotificationStatus.QUEUED
            ):
                route.hold_until = until
    return routes


# Why a message was not sent, kept in its history (in French: read by staff and by the
# customer's history page, which translates the known ones).
REASONS = {
    "sms": "SMS non configuré",
    "push": "notifications push non configurées",
    "stop": "désabonné",
    "stale": "plus d'actualité",
    "pace": "limite d'envoi atteinte",
    "no_address": "adresse inconnue",
}


def _not_sent(route: Route, why: str) -> None:
    route.status = NotificationStatus.NOT_SENT
    route.reason = REASONS[why]
