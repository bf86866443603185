"""What things cost, in whole FCFA (DOMAIN.md, Payments)."""

from datetime import timedelta

from ..models import Plan, QueueType

# A ticket in a paying queue: its fee, paid before the ticket is made.
TICKET_FEES = {QueueType.VIP: 1000, QueueType.EXPRESS: 500}
# What an organization pays each month for its plan.
PLAN_PRICES = {
    Plan.FREE: 0,
    Plan.STARTER: 15_000,
    Plan.BUSINESS: 50_000,
    Plan.ENTERPRISE: 150_000,
}
# A payment nobody finished expires after this (a job asks the provider first).
PAYMENT_LIFETIME = timedelta(hours=24)
# Invoices fall due this many days after their month.
INVOICE_DUE_DAYS = 15


def fcfa(amount: int | None) -> str:
    """15000 -> '15 000 FCFA' (no decimals; a narrow no-break space between thousands)."""
    return f"{amount or 0:,}".replace(",", "\u202f") + " FCFA"


def ticket_fee(queue_type: QueueType) -> int:
    """The fee of a ticket in a queue of this type (0: free)."""
    return TICKET_FEES.get(queue_type, 0)
