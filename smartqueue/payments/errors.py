"""What the payments' operations refuse, with a message meant for the payer."""

from ..errors import DomainError


class PaymentError(DomainError):
    pass


class NotPayable(PaymentError):
    """Nothing to pay here: the appointment needs no deposit, the invoice is paid..."""


class MethodUnavailable(PaymentError):
    """The provider is not configured, or did not answer: pay another way."""


class PaymentRefused(PaymentError):
    """The provider refused the payment for good (a bad number, an amount out of range)."""


class NotRefundable(PaymentError):
    pass
