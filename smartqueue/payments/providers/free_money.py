"""Free Money (Free Sénégal): a generic push-to-phone adapter.

Free Money publishes no merchant API that we could find (no documentation, no sandbox),
so this adapter speaks a generic push-to-phone flow, shaped like the published ones; it
is what the simulator implements, and what a real contract would have to be mapped onto:

1. `POST {api}/payments`, Bearer API key, JSON `{amount, currency: "XOF", msisdn,
   reference, callback_url}` → 201 `{id, status: "pending"}`; the payer confirms the
   prompt on their phone (no redirect). Our reference is the idempotency key.
2. The provider POSTs `{event_id, payment_id, status, amount, currency, reference,
   msisdn, transaction_id, occurred_at}` to callback_url, signed like Wave's webhooks:
   `Free-Money-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + raw body)>`.
3. `GET {api}/payments/{id}` → `{status: pending|succeeded|failed|expired|refunded}`.
4. `POST {api}/payments/{id}/refunds`, JSON `{amount, reference}` → 201 `{id}`.

Config: FREE_MONEY_API_URL, FREE_MONEY_API_KEY, FREE_MONEY_WEBHOOK_SECRET (all three,
or the provider is off).
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

SIGNATURE_HEADER = "Free-Money-Signature"
STATES = {
    "pending": PaymentState.PROCESSING,
    "succeeded": PaymentState.COMPLETED,
    "failed": PaymentState.FAILED,
    "cancelled": PaymentState.CANCELLED,
    "expired": PaymentState.EXPIRED,
    "refunded": PaymentState.REFUNDED,
}


def _signature_parts(value: str) -> tuple[int, str]:
    """`t=<unix>,v1=<hex>` → (t, hex), or BadCallback."""
    parts = dict(item.strip().split("=", 1) for item in value.split(",") if "=" in item)
    try:
        return int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        raise BadCallback("Free Money: a malformed signature header") from None


class FreeMoneyProvider(PaymentProvider):
    name = "free_money"

    def __init__(self, api_url: str, api_key: str, webhook_secret: str):
        self.api_url = api_url.rstrip("/")
        self._api_key = api_key
        self._webhook_secret = webhook_secret

    @classmethod
    def from_config(cls, config: Mapping) -> "FreeMoneyProvider | None":
        """The adapter when its URL, key and webhook secret are set; None (off) else."""
        names = ("API_URL", "API_KEY", "WEBHOOK_SECRET")
        values = [config.get(f"FREE_MONEY_{name}") for name in names]
        return cls(*values) if all(values) else None

    def start(self, checkout: Checkout) -> Started:
        """A prompt on the payer's phone: no page to send them to."""
        if not checkout.payer_phone:
            raise ProviderRefused("Free Money needs the payer's phone number")
        payment = self._call(
            "POST",
            "/payments",
            json={
                "amount": checkout.amount_fcfa,
                "currency": "XOF",
                "msisdn": checkout.payer_phone,
                "reference": checkout.reference,
                "callback_url": checkout.notify_url,
            },
        )
        if not payment.get("id"):
            raise ProviderUnavailable(f"Free Money: an answer without an id: {payment}")
        return Started(provider_ref=payment["id"], redirect_url=None)

    def verify_callback(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> Callback:
        """The signed callback: signature on the raw body, timestamp within the window."""
        by_name = {name.lower(): value for name, value in headers.items()}
        value = by_name.get(SIGNATURE_HEADER.lower())
        if not value:
            raise BadCallback("Free Money: no signature")
        timestamp, given = _signature_parts(value)
        expected = hmac.new(
            self._webhook_secret.encode(),
            str(timestamp).encode() + body,
            hashlib.sha256,
        ).hexdigest()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise BadCallback("Free Money: the signature does not match")
        signed_at = datetime.fromtimestamp(timestamp, UTC)
        if abs(now - signed_at) > CALLBACK_WINDOW:
            raise BadCallback(f"Free Money: signed at {signed_at}, outside the window")
        try:
            event = json.loads(body)
            state = STATES[event["status"]]
            amount = event["amount"]
            if not isinstance(amount, int):
                raise ValueError("amount")
            return Callback(
                provider_ref=str(event["payment_id"]),
                state=state,
                amount_fcfa=amount,
                currency=str(event["currency"]),
                reference=event.get("reference"),
                event_id=event.get("event_id"),
                occurred_at=signed_at,
            )
        except (ValueError, TypeError, KeyError) as error:
            raise BadCallback(f"Free Money: a malformed event ({error})") from None

    def fetch_status(self, provider_ref: str) -> Callback | None:
        """Where Free Money says the payment stands; None when it does not know it."""
        try:
            payment = self._call("GET", f"/payments/{provider_ref}")
        except ProviderRefused:
            return None
        state = STATES.get(payment.get("status"))
        if state is None:
            raise ProviderUnavailable(f"Free Money: an unknown status in {payment}")
        return Callback(
            provider_ref=provider_ref,
            state=state,
            amount_fcfa=int(payment["amount"]),
            currency=str(payment.get("currency", "XOF")),
            reference=payment.get("reference"),
            event_id=payment.get("transaction_id"),
        )

    def refund(self, provider_ref: str, amount_fcfa: int, reference: str) -> str:
        """Give back `amount_fcfa`; `reference` makes asking twice one refund."""
        refund = self._call(
            "POST",
            f"/payments/{provider_ref}/refunds",
            json={"amount": amount_fcfa, "reference": reference},
        )
        if not refund.get("id"):
            raise ProviderUnavailable(f"Free Money: a refund without an id: {refund}")
        return refund["id"]

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = requests.request(
                method,
                self.api_url + path,
                headers={
                    "Authorization": f"Bearer {self._api_key}",
                    "Accept": "application/json",
                },
                timeout=TIMEOUTS,
                **kwargs,
            )
        except requests.RequestException as error:
            raise ProviderUnavailable(f"Free Money: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text[:200]}
        if not isinstance(body, dict):
            body = {"body": body}
        status = response.status_code
        if status >= 500 or status in {401, 429}:  # 401: a key to fix, then retry
            raise ProviderUnavailable(f"Free Money: HTTP {status} {body}")
        if status >= 400:
            message = body.get("message") or body
            raise ProviderRefused(f"Free Money: HTTP {status} {message}")
        return body
