"""Customers' appointments: book a service's time, my appointments, one appointment (its
.ics, QR code, cancel, move), and the customer's own check-in link."""

from .views import bp

__all__ = ["bp"]
