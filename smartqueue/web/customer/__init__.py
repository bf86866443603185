"""Customers: take a ticket from a branch page, follow it live by its token, my tickets."""

from .views import bp

__all__ = ["bp"]
