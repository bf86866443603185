"""Refusals of the queue engine, each with a message for the person who asked."""

from ..errors import DomainError


class QueueError(DomainError):
    pass


class QueueUnavailable(QueueError):
    """Queue paused or closed, service inactive, branch closed."""


class UnknownService(QueueError):
    """No such service where the ticket is asked for (another branch's, or none)."""


class LimitReached(QueueError):
    """A customer's, a queue's or a plan's limit."""


class IllegalMove(QueueError):
    """A ticket asked to go where its status does not allow."""


class CounterUnavailable(QueueError):
    pass


class PaymentRequired(QueueError):
    """A paying queue's ticket (VIP, express) is made by its payment."""
