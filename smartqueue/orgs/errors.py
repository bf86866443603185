"""Errors of the organizations domain."""

from ..errors import DomainError


class OrgError(DomainError):
    pass


class NameTaken(OrgError):
    field = "name"


class PrefixTaken(OrgError):
    field = "prefix"


class CounterNumberTaken(OrgError):
    field = "number"


class CounterBusy(OrgError):
    pass


class PlanLimitReached(OrgError):
    pass


class InvalidHours(OrgError):
    pass


class InvalidLocation(OrgError):
    pass


class InvalidInvitation(OrgError):
    pass
