"""Refusals of appointment booking and check-in, each with a message for the person who asked."""

from ..errors import DomainError


class AppointmentError(DomainError):
    pass


class NotBookable(AppointmentError):
    """The service, branch or customer cannot take appointments now."""


class SlotUnavailable(AppointmentError):
    """Not a bookable time: off the grid, outside opening hours, closed, too soon or far."""


class SlotFull(AppointmentError):
    """Every place of the slot is taken."""


class LimitReached(AppointmentError):
    """The customer's daily limit, or an overlapping appointment."""


class TooLate(AppointmentError):
    """Past the time limit for this move (cancel, reschedule, payment)."""


class IllegalMove(AppointmentError):
    """The appointment's status does not allow this move."""


class CheckInRefused(AppointmentError):
    """Wrong day, too early, unpaid, or already checked in."""


class InvalidTemplate(AppointmentError):
    """A slot template or booking setting outside its limits."""
