"""Refusals of the analytics' few writes (a customer's rating), in the user's language."""

from ..errors import DomainError


class RatingRefused(DomainError):
    """A rating that cannot be given: the ticket is not served, too old, already rated."""


class AlreadyRated(RatingRefused):
    """The ticket was rated before: a rating is given once."""


class BadRating(RatingRefused):
    """A rating out of 1..5, or a comment too long."""
