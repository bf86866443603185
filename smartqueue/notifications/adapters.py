"""What every channel adapter (SMS gateways, web push, mail) answers: it sent, or why not.

An adapter sends one message and says so honestly: `Sent` once the provider accepted it
(with the provider's reference, which its delivery reports will name), `NotConfigured`
when the channel is off here (the message is kept as "not sent", never as sent),
`Refused` when the provider said no for good (a bad number, a subscription gone: no
retry), and any other exception (network, 5xx, timeout) is a failure worth retrying.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    provider_ref: str | None = (
        None  # the provider's id for the message, if it gives one
    )
    segments: int | None = None  # SMS: parts billed


class NotConfigured(Exception):
    """The channel is off or not configured here: nothing was sent."""


class Refused(Exception):
    """The provider refused this message for good: retrying would not help."""

    def __init__(self, reason: str, *, gone: bool = False):
        super().__init__(reason)
        self.gone = gone  # the address no longer exists (push 404/410): forget it
