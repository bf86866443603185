"""Appointments: weekly slots, booking that never overbooks, payment lapse, reminders, and
check-in into the queue.

Checked-in appointments follow their ticket (called, served, missed...): arrival.py
listens to the queue engine's announcements, from the moment this package is imported.
"""

from . import arrival  # noqa: F401  (connects its receiver of tickets_changed)
