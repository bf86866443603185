"""Notice jobs: the engine enqueues these after a change (a call, a booking, a queue
paused, an urgent message); each writes the messages it means once (notifications/
notices.py), and their send jobs follow."""

from ..models import NotificationKind
from ..notifications import notices, writing
from .outbox import runs_apart


def notify_ticket(ticket_id: int, kind: str) -> int:
    """Write a ticket's notice (ticket_issued, ticket_near, ticket_called, ...)."""
    return notices.tell_ticket(ticket_id, NotificationKind(kind))


def notify_leave_now(ticket_id: int) -> int:
    """Write a waiting ticket's "leave now"."""
    return notices.tell_leave_now(ticket_id)


def notify_appointment(appointment_id: int, kind: str) -> int:
    """Write an appointment's confirmation, move or cancellation."""
    return notices.tell_appointment(appointment_id, NotificationKind(kind))


def notify_payment(payment_id: int, kind: str) -> int:
    """Write a payment's receipt (payment_received) or refund notice."""
    return notices.tell_payment(payment_id, NotificationKind(kind))


def notify_reminder(appointment_id: int, which: str) -> int:
    """Write an appointment's 24 h or 2 h reminder, once."""
    return notices.tell_reminder(appointment_id, which)


def notify_queue_status(service_id: int, status: str, stamp: str) -> int:
    """Tell a line's waiting holders that it was paused or closed."""
    return notices.tell_queue_status(service_id, status, stamp)


@runs_apart
def notify_broadcast(broadcast_id: int) -> int:
    """Write a branch's urgent message to every waiting holder."""
    return notices.tell_broadcast(broadcast_id)


def release_held_notifications() -> int:
    """Every minute: send what quiet hours held, now that they are over."""
    return writing.release_held()


def notice_key(ticket_id: int, kind: str) -> str:
    """The outbox key allowing one pending job per ticket notice."""
    return f"notify_ticket:{ticket_id}:{kind}"
