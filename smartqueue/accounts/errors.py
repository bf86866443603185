"""Errors of the accounts domain."""

from ..errors import DomainError


class AccountError(DomainError):
    pass


class InvalidPhone(AccountError):
    field = "phone"


class CodeInvalid(AccountError):
    field = "code"


class CodeLocked(CodeInvalid):
    pass


class CodeExpired(CodeInvalid):
    pass


class ResendTooSoon(AccountError):
    def __init__(self, message: str, seconds_left: int):
        super().__init__(message)
        self.seconds_left = seconds_left
