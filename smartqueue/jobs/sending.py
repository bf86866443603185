"""Sending written notifications (notifications/delivery.py says how, and what a failure
or a killed worker does)."""

from ..notifications import delivery


def send_notifications(notification_ids: list[int]) -> dict:
    """Send the messages among these ids that are still queued; retried on failure."""
    return delivery.send_batch(notification_ids)
