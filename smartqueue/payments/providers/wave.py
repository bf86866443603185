"""Wave, through its Checkout API (docs.wave.com/checkout) and signed webhooks.

Config (off unless both secrets are set):
- WAVE_API_KEY: the business wallet's API key (sent as a Bearer token).
- WAVE_WEBHOOK_SECRET: the secret of the webhook registered in Wave's business portal
  (its "shared secret" strategy: the `Wave-Signature` header).
- WAVE_API_URL: https://api.wave.com by default (the simulator's URL + "/wave" in the
  embedded mode and the tests).

Wave's webhook URL is registered once in its portal, not per payment: `Checkout.notify_url`
is not sent. Wave has no cancel URL either: the payer who declines or leaves goes to its
`error_url`, our `cancel_url`. A refund gives back the whole session (Wave has no partial
refund) and Wave returns no refund id: the session's id is the refund's reference.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import requests

from .base import (
    CALLBACK_WINDOW,
    TIMEOUTS,
    BadCallback,
    Callback,
    Checkout,
    PaymentProvider,
    PaymentState,
    ProviderRefused,
    ProviderUnavailable,
    Started,
)

EVENT_STATES = {
    "checkout.session.completed": PaymentState.COMPLETED,
    "checkout.session.payment_failed": PaymentState.FAILED,
}


class WaveProvider(PaymentProvider):
    name = "wave"

    def __init__(
        self, api_key: str, webhook_secret: str, api_url: str = "https://api.wave.com"
    ):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.api_url = api_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    @classmethod
    def from_config(cls, config: Mapping) -> "WaveProvider | None":
        api_key, secret = config.get("WAVE_API_KEY"), config.get("WAVE_WEBHOOK_SECRET")
        if not (api_key and secret):
            return None
        return cls(
            api_key, secret, config.get("WAVE_API_URL") or "https://api.wave.com"
        )

    # The API ------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(
                method, self.api_url + path, timeout=TIMEOUTS, **kwargs
            )
        except requests.RequestException as error:
            raise ProviderUnavailable(f"Wave: {error}") from error
        # 429: Wave's rate limit, worth retrying like a 5xx.
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(f"Wave answered {response.status_code}")
        return response

    @staticmethod
    def _refusal(response: requests.Response) -> ProviderRefused:
        try:
            error = response.json()
            detail = f"{error.get('code')}: {error.get('message')}"
        except ValueError:
            detail = response.text[:200]
        return ProviderRefused(f"Wave refused ({response.status_code}) {detail}")

    def start(self, checkout: Checkout) -> Started:
        response = self._call(
            "POST",
            "/v1/checkout/sessions",
            json={
                "amount": str(checkout.amount_fcfa),
                "currency": "XOF",
                "success_url": checkout.success_url,
                "error_url": checkout.cancel_url,
                "client_reference": checkout.reference,
            },
            # Our reference: a retried start gives back the same session, not a second one.
            headers={"Idempotency-Key": checkout.reference},
        )
        if response.status_code != 200:
            raise self._refusal(response)
        session = response.json()
        return Started(
            provider_ref=session["id"], redirect_url=session["wave_launch_url"]
        )

    def fetch_status(self, provider_ref: str) -> Callback | None:
        response = self._call("GET", f"/v1/checkout/sessions/{provider_ref}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refusal(response)
        session = response.json()
        return Callback(
            provider_ref=session["id"],
            state=session_state(session),
            amount_fcfa=whole_fcfa(session["amount"]),
            currency=session["currency"],
            reference=session.get("client_reference"),
            occurred_at=parse_time(session.get("when_completed")),
        )

    def refund(self, provider_ref: str, amount_fcfa: int, reference: str) -> str:
        session = self.fetch_status(provider_ref)
        if session is None:
            raise ProviderRefused(f"Wave does not know the session {provider_ref}")
        if session.amount_fcfa != amount_fcfa:
            raise ProviderRefused(
                f"Wave refunds a whole payment only ({session.amount_fcfa} FCFA),"
                f" not {amount_fcfa} FCFA"
            )
        response = self._call(
            "POST",
            f"/v1/checkout/sessions/{provider_ref}/refund",
            headers={"Idempotency-Key": reference},
        )
        if response.status_code != 200:
            raise self._refusal(response)
        return provider_ref

    # The webhook --------------------------------------------------------------------

    def verify_callback(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> Callback:
        timestamp, signatures = _parse_signature_header(headers)
        expected = hmac.new(
            self.webhook_secret.encode(), timestamp.encode() + body, hashlib.sha256
        ).hexdigest()
        # Any v1 may match: Wave signs with the old and the new secret while rotating.
        if not any(hmac.compare_digest(expected, given) for given in signatures):
            raise BadCallback("Wave webhook: the signature does not match")
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        if abs(now - signed_at) > CALLBACK_WINDOW:
            raise BadCallback(f"Wave webhook: signed at {signed_at}, out of the window")
        try:
            event = json.loads(body)
            state = EVENT_STATES[event["type"]]
            session = event["data"]
            callback = Callback(
                provider_ref=session["id"],
                state=state,
                amount_fcfa=whole_fcfa(session["amount"]),
                currency=session["currency"],
                reference=session.get("client_reference"),
                event_id=event["id"],
                occurred_at=parse_time(session.get("when_completed")) or signed_at,
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BadCallback(f"Wave webhook: unreadable event ({error!r})") from error
        if state is PaymentState.COMPLETED and session.get("payment_status") != (
            "succeeded"
        ):
            raise BadCallback("Wave webhook: completed but not paid")
        return callback


def _parse_signature_header(headers: Mapping[str, str]) -> tuple[str, list[str]]:
    """`Wave-Signature: t=1639081943,v1=942c...` -> ("1639081943", ["942c..."])."""
    value = next((v for k, v in headers.items() if k.lower() == "wave-signature"), None)
    if not value:
        raise BadCallback("Wave webhook: no Wave-Signature header")
    timestamp, signatures = None, []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t":
            timestamp = item
        elif key == "v1":
            signatures.append(item)
    if not (timestamp and timestamp.isdigit() and signatures):
        raise BadCallback("Wave webhook: a malformed Wave-Signature header")
    return timestamp, signatures


def session_state(session: Mapping) -> PaymentState:
    """Where a checkout session stands, from its two statuses."""
    payment_status = session.get("payment_status")
    if payment_status == "succeeded":
        return PaymentState.COMPLETED
    if payment_status == "refunded":
        return PaymentState.REFUNDED
    if payment_status == "cancelled":  # the payer's attempt failed or was declined
        return PaymentState.FAILED
    if session.get("checkout_status") == "expired":
        return PaymentState.EXPIRED
    return PaymentState.PROCESSING


def whole_fcfa(amount: str) -> int:
    """Wave's amount string as whole FCFA; XOF has no decimals ("1000", "1000.00" ok)."""
    whole, _, fraction = str(amount).partition(".")
    if not whole.isdigit() or fraction.strip("0"):
        raise ValueError(f"not a whole XOF amount: {amount!r}")
    return int(whole)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
