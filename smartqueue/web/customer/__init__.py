"""Customers: take a ticket from a branch page, follow it live by its token, my tickets."""

from ...realtime.ticket import bp as live_ticket_bp
from .views import bp

# The ticket page's socket lives with the page it feeds (endpoint customer.live_ticket.*).
bp.register_blueprint(live_ticket_bp)

__all__ = ["bp"]
