"""Sending written messages through their channels, and keeping their status honest.

`send_batch` is what a send job runs (jobs/sending.py). For each message still queued:
if what it says is no longer true (a "near" held all night for a ticket since served),
it is kept as not sent; else its channel's adapter sends it. Each message's outcome is
committed as soon as it is known, so a worker killed mid-batch resends only the message
it was on (at least once: SMS gateways are given our message id as their reference).
A message whose channel failed is tried again by the job's retries, with back-off, and
kept as failed after MAX_ATTEMPTS.
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from .. import clock, events
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    DeliveryChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
    PushSubscription,
    Ticket,
    TicketStatus,
)
from . import push, sms
from .adapters import NotConfigured, Refused, Sent
from .email import send_email
from .recipients import REASONS

log = logging.getLogger(__name__)

C = DeliveryChannel
K = NotificationKind
S = NotificationStatus
MAX_ATTEMPTS = 5  # as many as the outbox's tries (jobs/outbox.py)

# What must still be true of a ticket for its notice to be worth sending.
TICKET_STILL = {
    K.TICKET_ISSUED: (TicketStatus.WAITING, TicketStatus.CALLED),
    K.TICKET_NEAR: (TicketStatus.WAITING,),
    K.TICKET_CALLED: (TicketStatus.CALLED,),
    K.LEAVE_NOW: (TicketStatus.WAITING,),
    K.QUEUE_PAUSED: (TicketStatus.WAITING,),
    K.QUEUE_CLOSED: (TicketStatus.WAITING,),
    K.URGENT: (TicketStatus.WAITING, TicketStatus.CALLED),
}
APPOINTMENT_STILL = {
    K.APPOINTMENT_CONFIRMED: (AppointmentStatus.CONFIRMED,),
    K.APPOINTMENT_MOVED: (AppointmentStatus.CONFIRMED,),
    K.APPOINTMENT_REMINDER: (AppointmentStatus.CONFIRMED,),
    K.LEAVE_NOW: (AppointmentStatus.CONFIRMED,),
}


class SendFailed(Exception):
    """Some messages of a batch failed and will be tried again (the job's retry)."""


# What sending reads of a message: a batch reads its 50 at once, with the state of
# their tickets and appointments, so that each message costs only its own writes.
_MESSAGE = select(
    Notification.id,
    Notification.kind,
    Notification.channel,
    Notification.status,
    Notification.hold_until,
    Notification.recipient,
    Notification.user_id,
    Notification.push_subscription_id,
    Notification.organization_id,
    Notification.ticket_id,
    Notification.appointment_id,
    Notification.subject,
    Notification.body,
    Notification.html,
    Notification.link,
)


def send_batch(ids: list[int]) -> dict:
    """Send the queued messages among `ids`; what became of them, by status."""
    messages, states = _read(ids)
    done: dict[str, int] = {}
    failed = []
    bells: list[int] = []  # whose in-app messages were sent: one announcement
    for notification_id in ids:
        try:
            status = _send_read(messages.get(notification_id), states, bells)
        except Exception as error:  # noqa: BLE001 - kept on the message, tried again
            db.session.rollback()
            status = _note_failure(notification_id, error)
            if status == S.QUEUED.value:
                failed.append(f"{notification_id}: {type(error).__name__}: {error}")
        done[status] = done.get(status, 0) + 1
    if bells:
        events.announce(events.user_notified, user_ids=sorted(set(bells)))
    if failed:
        raise SendFailed("; ".join(failed)[:480])
    return done


def send_one(notification_id: int, bells: list[int]) -> str:
    """Send one message if it is still queued (and not held); its status after. An
    in-app message sent adds its user to `bells` (announced once by the batch)."""
    messages, states = _read([notification_id])
    return _send_read(messages.get(notification_id), states, bells)


def _read(ids: list[int]) -> tuple[dict, dict]:
    """The messages (rows, by id) and what must still be true of their tickets and
    appointments ({("ticket", id): status, ("appointment", id): (status, starts_at)})."""
    messages = {
        row.id: row
        for row in db.session.execute(_MESSAGE.where(Notification.id.in_(ids)))
    }
    ticket_ids = {m.ticket_id for m in messages.values() if m.ticket_id}
    appointment_ids = {m.appointment_id for m in messages.values() if m.appointment_id}
    states: dict = {}
    if ticket_ids:
        for ticket_id, status in db.session.execute(
            select(Ticket.id, Ticket.status).where(Ticket.id.in_(ticket_ids))
        ):
            states["ticket", ticket_id] = status
    if appointment_ids:
        for appointment_id, status, starts_at in db.session.execute(
            select(Appointment.id, Appointment.status, Appointment.starts_at).where(
                Appointment.id.in_(appointment_ids)
            )
        ):
            states["appointment", appointment_id] = (status, starts_at)
    db.session.commit()  # end the reads: each message's outcome is a write of its own
    return messages, states


def _send_read(note, states: dict, bells: list[int]) -> str:
    if note is None:
        return "gone"
    if note.status is not S.QUEUED or note.hold_until is not None:
        return note.status.value if note.hold_until is None else "held"
    if not _still_true(note, states):
        return _finish(note, S.NOT_SENT, reason=REASONS["stale"])
    try:
        sent = _send(note)
    except NotConfigured as error:
        return _finish(
            note, S.NOT_SENT, reason=str(error) or REASONS[note.channel.value]
        )
    except Refused as error:
        if error.gone and note.push_subscription_id:
            db.session.execute(
                PushSubscription.__table__.delete().where(
                    PushSubscription.id == note.push_subscription_id
                )
            )
        return _finish(note, S.FAILED, reason=str(error))
    except _Paced:
        return _finish(note, S.NOT_SENT, reason=REASONS["pace"])
    cost = 0
    if note.channel is C.SMS:
        cost = (sent.segments or 1) * int(current_app.config.get("SMS_COST_FCFA", 0))
    status = _finish(
        note,
        S.SENT,
        provider_ref=sent.provider_ref,
        segments=sent.segments,
        cost_fcfa=cost,
        sent_at=clock.now(),
    )
    if note.channel is C.IN_APP and note.user_id:
        bells.append(note.user_id)
    return status


class _Paced(Exception):
    """Too many SMS to this number (or for this organization) lately."""


def _send(note) -> Sent:
    if note.channel is C.IN_APP:
        return Sent()  # the row is the message; the bell reads it
    if note.channel is C.EMAIL:
        return send_email(
            note.recipient, note.subject or "", note.body, note.html, note.kind.value
        )
    if note.channel is C.SMS:
        _check_pace(note)
        gateway = sms.gateway_from_config(current_app.config)
        if gateway is None:
            raise NotConfigured(REASONS["sms"])
        return gateway.send(note.recipient, note.body, f"sq-{note.id}")
    if note.channel is C.PUSH:
        subscription = (
            db.session.get(PushSubscription, note.push_subscription_id)
            if note.push_subscription_id
            else None
        )
        if subscription is None:
            raise Refused("abonnement push supprimé")
        return push.send_push(
            subscription,
            title=note.subject or "SmartQueue",
            body=note.body,
            link=note.link,
            tag=f"{note.kind.value}:{note.ticket_id or note.appointment_id or note.id}",
        )
    raise NotConfigured(f"no channel {note.channel}")


def _check_pace(note) -> None:
    config = current_app.config
    hour_ago = clock.now() - timedelta(hours=1)
    per_number = int(config.get("SMS_PER_NUMBER_PER_HOUR") or 0)
    if per_number and note.kind is not K.TICKET_CALLED:
        recent = db.session.scalar(
            select(func.count()).where(
                Notification.channel == C.SMS,
                Notification.recipient == note.recipient,
                Notification.created_at >= hour_ago,
                Notification.status.in_((S.SENT, S.DELIVERED)),
            )
        )
        if recent >= per_number:
            raise _Paced()
    per_org = int(config.get("SMS_PER_ORGANIZATION_PER_DAY") or 0)
    if per_org and note.organization_id:
        day_ago = clock.now() - timedelta(days=1)
        today = db.session.scalar(
            select(func.count()).where(
                Notification.organization_id == note.organization_id,
                Notification.channel == C.SMS,
                Notification.created_at >= day_ago,
                Notification.status.in_((S.SENT, S.DELIVERED)),
            )
        )
        if today >= per_org:
            raise _Paced()


def _still_true(note, states: dict) -> bool:
    if note.ticket_id and note.kind in TICKET_STILL:
        return states.get(("ticket", note.ticket_id)) in TICKET_STILL[note.kind]
    if note.appointment_id and note.kind in APPOINTMENT_STILL:
        status, starts_at = states.get(
            ("appointment", note.appointment_id), (None, None)
        )
        return status in APPOINTMENT_STILL[note.kind] and starts_at > clock.now()
    return True


def _finish(note, status: S, **values) -> str:
    """Record a message's outcome (only over a queued one: a double run writes once)."""
    note_id = note.id
    db.session.commit()  # end the reads first (SQLite: a read turned write may fail)
    db.session.execute(
        update(Notification)
        .where(Notification.id == note_id, Notification.status == S.QUEUED)
        .values(status=status, **values)
    )
    db.session.commit()
    return status.value


def _note_failure(notification_id: int, error: Exception) -> str:
    """Count a failed try; the last one makes the message failed. Its status after."""
    reason = f"{type(error).__name__}: {error}"[:300]
    note = db.session.get(Notification, notification_id, populate_existing=True)
    if note is None or note.status is not S.QUEUED:
        db.session.commit()
        return note.status.value if note else "gone"
    attempts = note.attempts + 1
    status = S.FAILED if attempts >= MAX_ATTEMPTS else S.QUEUED
    db.session.commit()
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == S.QUEUED)
        .values(attempts=attempts, reason=reason, status=status)
    )
    db.session.commit()
    log.warning("notification %s try %s failed: %s", notification_id, attempts, reason)
    return status.value
