"""Web push (being written by N2: pywebpush with the configured VAPID keys)."""

from .adapters import NotConfigured, Sent


def send_push(
    subscription, *, title: str, body: str, link: str | None, tag: str
) -> Sent:
    """Send one push message to one browser subscription."""
    raise NotConfigured("notifications push non configurées")
