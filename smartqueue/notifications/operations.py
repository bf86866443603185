"""The notifications' writes that people make: a branch's urgent message, a customer's
preferences, an address that says stop (or starts again), push subscriptions, marking
in-app messages read, and a channel's delivery report."""

import re
from datetime import time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock, events
from ..errors import DomainError
from ..extensions import db
from ..jobs import enqueue, notices
from ..models import (
    Branch,
    Broadcast,
    ContactOptOut,
    DeliveryChannel,
    Notification,
    NotificationPreference,
    NotificationStatus,
    PushSubscription,
    User,
)
from ..work import begin_write, unit_of_work
from . import kinds

BROADCAST_MAX = 300
PUSH_DEVICES = 10  # browsers a person may have subscribed at once
BROADCAST_SHOWN = timedelta(hours=2)  # on the board


class NotificationError(DomainError):
    """A notification write refused (the message says why, in the user's language)."""


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


@unit_of_work
def broadcast_message(branch: Branch, text: str, *, by: User) -> Broadcast:
    """Post an urgent message to everyone waiting in a branch and on its board. Returns
    at once: a job writes the messages (notifications/notices.py: tell_broadcast)."""
    text = " ".join((text or "").split())
    if not text:
        raise NotificationError(_l("Écrivez le message."))
    if len(text) > BROADCAST_MAX:
        raise NotificationError(
            _l("Le message dépasse %(n)s caractères.", n=BROADCAST_MAX)
        )
    branch_id = branch.id
    begin_write(db.session)
    now = clock.now()
    broadcast = Broadcast(
        branch_id=branch_id,
        author_id=by.id,
        text=text,
        created_at=now,
        shown_until=now + BROADCAST_SHOWN,
    )
    db.session.add(broadcast)
    db.session.flush()
    enqueue(notices.notify_broadcast, broadcast.id, key=f"broadcast:{broadcast.id}")
    db.session.commit()
    events.announce(events.broadcast_changed, branch_id=branch_id)
    return broadcast


@unit_of_work
def end_broadcast(broadcast: Broadcast, *, by: User) -> None:
    """Take an urgent message off the board (what was sent stays sent)."""
    branch_id = broadcast.branch_id
    begin_write(db.session)
    db.session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id)
        .values(shown_until=clock.now())
    )
    db.session.commit()
    events.announce(events.broadcast_changed, branch_id=branch_id)


@unit_of_work
def set_preferences(
    user: User,
    *,
    muted: set[str],
    quiet_enabled: bool,
    quiet_start: time,
    quiet_end: time,
) -> NotificationPreference:
    """Save which (group, channel) pairs a customer turned off, and their quiet hours."""
    known = {kinds.muted_key(g, c) for g in kinds.GROUPS for c in kinds.CHANNELS}
    if not muted <= known:
        raise NotificationError(_l("Choix inconnu."))
    user_id = user.id
    begin_write(db.session)
    preference = db.session.get(NotificationPreference, user_id)
    if preference is None:
        preference = NotificationPreference(user_id=user_id)
        db.session.add(preference)
    preference.muted = sorted(muted)
    preference.quiet_enabled = quiet_enabled
    preference.quiet_start = quiet_start
    preference.quiet_end = quiet_end
    preference.updated_at = clock.now()
    db.session.commit()
    return preference


def opt_out(channel: DeliveryChannel, address: str) -> None:
    """An address says stop on a channel (an email's link, STOP by SMS): idempotent.
    In the caller's unit of work when there is one (an SMS conversation), else its own."""
    standalone = not db.session().in_transaction()
    db.session.execute(
        _insert(ContactOptOut)
        .values(channel=channel.value, address=address, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["channel", "address"])
    )
    if standalone:
        db.session.commit()


def opt_in(channel: DeliveryChannel, address: str) -> None:
    """An address takes a channel back (its owner, signed in, or a new SMS)."""
    standalone = not db.session().in_transaction()
    db.session.execute(
        delete(ContactOptOut).where(
            ContactOptOut.channel == channel, ContactOptOut.address == address
        )
    )
    if standalone:
        db.session.commit()


def subscribe_push(
    user: User, endpoint: str, p256dh: str, auth: str, device: str | None = None
) -> PushSubscription:
    """Keep a browser's push subscription for a customer (the same endpoint again
    moves to whoever subscribed last: one browser, one person; a person keeps their
    PUSH_DEVICES latest browsers)."""
    # The server will POST to this address: push services are HTTPS, and a plain http://
    # one (a machine of the private network) is refused unless a test allows it.
    plain = endpoint.startswith("http://") and current_app.config.get("PUSH_ALLOW_HTTP")
    if not endpoint.startswith("https://") and not plain:
        raise NotificationError(_l("Abonnement push invalide."))
    if not p256dh or not auth or len(endpoint) > 1000:
        raise NotificationError(_l("Abonnement push invalide."))
    user_id = user.id  # before begin_write, which may expire it (SQLite)
    begin_write(db.session)
    subscription = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    subscription.user_id = user_id
    subscription.p256dh = p256dh[:200]
    subscription.auth = auth[:100]
    subscription.device = (device or "")[:80] or None
    db.session.flush()
    kept = select(PushSubscription.id).where(PushSubscription.user_id == user_id)
    kept = kept.order_by(PushSubscription.id.desc()).limit(PUSH_DEVICES)
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user_id,
            PushSubscription.id.not_in(kept.scalar_subquery()),
        )
    )
    db.session.commit()
    return subscription


def unsubscribe_push(user: User, endpoint: str) -> bool:
    """Forget a browser's push subscription; whether there was one."""
    user_id = user.id
    begin_write(db.session)
    gone = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint
        )
    ).rowcount
    db.session.commit()
    return bool(gone)


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark a customer's in-app messages read (all of them without `ids`); how many."""
    user_id = user.id
    begin_write(db.session)
    statement = update(Notification).where(
        Notification.user_id == user_id,
        Notification.channel == DeliveryChannel.IN_APP,
        Notification.read_at.is_(None),
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    count = db.session.execute(statement.values(read_at=clock.now())).rowcount
    db.session.commit()
    if count:
        events.announce(events.user_notified, user_ids=[user_id])
    return count


OUR_REFERENCE = re.compile(
    r"sq-(\d{1,18})"
)  # what the gateways are given (delivery.py)


def record_delivery(
    provider_ref: str, delivered: bool, reason: str | None = None
) -> int:
    """A channel reported a message delivered (or not), naming it by the provider's id
    or by our reference ("sq-<id>"): how many messages it moved."""
    ours = OUR_REFERENCE.fullmatch(provider_ref or "")
    named = (
        Notification.id == int(ours.group(1))
        if ours
        else Notification.provider_ref == provider_ref
    )
    begin_write(db.session)
    values = (
        {"status": NotificationStatus.DELIVERED, "delivered_at": clock.now()}
        if delivered
        else {"status": NotificationStatus.FAILED, "reason": (reason or "")[:300]}
    )
    count = db.session.execute(
        update(Notification)
        .where(
            named,
            Notification.channel == DeliveryChannel.SMS,
            Notification.status == NotificationStatus.SENT,
        )
        .values(**values)
    ).rowcount
    db.session.commit()
    return count
