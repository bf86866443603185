"""What every payment provider's adapter does, whatever its API looks like.

- `start(checkout)`: ask the provider for a payment; the payer is sent to
  `Started.redirect_url` (a checkout page) or, for a push-to-phone provider, confirms on
  their phone (no redirect).
- `verify_callback(headers, body, now)`: the provider's server-to-server callback,
  checked against the raw body (its signature in constant time, its timestamp within
  CALLBACK_WINDOW): a `Callback`, or `BadCallback` (nothing may change).
- `fetch_status(provider_ref)`: ask the provider where a payment stands (when its
  callback never came).
- `refund(provider_ref, amount_fcfa, reference)`: give the money back; the provider's
  refund reference.

Amounts are whole FCFA (XOF has no decimals). Network errors, 5xx and timeouts raise
`ProviderUnavailable` (worth retrying); a refusal for good raises `ProviderRefused`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

CALLBACK_WINDOW = timedelta(minutes=5)
TIMEOUTS = (3, 10)  # seconds every adapter waits: to connect, to read an answer


class PaymentState(Enum):
    """Where a provider says a payment stands."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Checkout:
    reference: str  # our payment's reference: unique, also the idempotency key
    amount_fcfa: int
    description: str
    success_url: str  # where the payer comes back after paying
    cancel_url: str  # ... after declining or leaving
    notify_url: str  # the server-to-server callback
    payer_phone: str | None = None  # E.164
    locale: str = "fr"


@dataclass(frozen=True)
class Started:
    provider_ref: str  # the provider's id of this payment (session, pay token...)
    redirect_url: str | None  # the checkout page; None: the payer confirms on the phone
    # What the provider gave that a later callback must match (Orange's notif_token).
    callback_secret: str | None = None


@dataclass(frozen=True)
class Callback:
    provider_ref: str
    state: PaymentState
    amount_fcfa: int
    currency: str  # "XOF"
    reference: str | None = None  # ours, when the provider echoes it
    event_id: str | None = None  # the provider's id of this notification (replays)
    occurred_at: datetime | None = None


class BadCallback(Exception):
    """A callback that must change nothing: bad signature, stale, malformed."""


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered 5xx: try again later."""


class ProviderRefused(Exception):
    """The provider refused for good (a bad number, an amount out of range)."""


class PaymentProvider:
    """The interface; each adapter subclasses it."""

    name = "base"

    def start(self, checkout: Checkout) -> Started:
        raise NotImplementedError

    def verify_callback(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> Callback:
        raise NotImplementedError

    def fetch_status(self, provider_ref: str) -> Callback | None:
        raise NotImplementedError

    def refund(self, provider_ref: str, amount_fcfa: int, reference: str) -> str:
        raise NotImplementedError
