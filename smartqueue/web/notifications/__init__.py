"""Notifications on the web: the bell and its list, the preferences page, web push
subscriptions, the unsubscribe link, and the SMS gateway's hooks (inbound messages,
delivery reports). One blueprint; each module adds its routes to it."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

# Imported for their routes, after bp exists.
from . import hooks, inbox, preferences, push, unsubscribe  # noqa: E402, F401

__all__ = ["bp"]
