"""Orange Money WebPay (developer.orange.com, "Orange Money WebPay"), as published:

1. `POST {base}/oauth/v3/token`, HTTP Basic client_id:client_secret, form
   `grant_type=client_credentials` → `{access_token, expires_in}`.
2. `POST {base}/orange-money-webpay/{country}/v1/webpayment`, Bearer, JSON
   `{merchant_key, currency, order_id, amount, return_url, cancel_url, notif_url, lang,
   reference}` → 201 `{pay_token, payment_url, notif_token}`; the payer pays on
   payment_url.
3. Orange POSTs `{status: "SUCCESS"|"FAILED", notif_token, txnid}` to notif_url: no
   signature, no amount, no timestamp, no pay_token. The notif_token given at creation
   is the only proof, so `verify_callback` must be handed what `start` returned:
   `verify_callback(headers, body, now, expected=Started(...))` (this adapter's one
   addition to the interface). A SUCCESS is then confirmed with Orange (step 4) before
   it is believed, since a token-bearing notice could still carry a changed status.
4. `POST {base}/orange-money-webpay/{country}/v1/transactionstatus`, Bearer, JSON
   `{order_id, amount, pay_token}` → `{status: INITIATED|PENDING|SUCCESS|FAILED|
   EXPIRED, txnid}`.

Because step 4 needs the order id and the amount as well as the pay_token, this
adapter's `provider_ref` carries all three: `"{pay_token}:{amount}:{order_id}"` (opaque
to the core; `pay_token_of(ref)` reads Orange's own id back). WebPay has no public
refund call: a refund is done in Orange's back office, so `refund` raises
ProviderRefused saying so.

Config: ORANGE_MONEY_CLIENT_ID, ORANGE_MONEY_CLIENT_SECRET, ORANGE_MONEY_MERCHANT_KEY
(all three, or the provider is off), ORANGE_MONEY_API_URL (https://api.orange.com),
ORANGE_MONEY_COUNTRY ("sn"; the sandbox is "dev"), ORANGE_MONEY_CURRENCY ("XOF"; the
sandbox takes "OUV").
"""

import base64
import hmac
import json
import threading
import time
from collections.abc import Mapping
from datetime import datetime

import requests

from .base import (
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

DEFAULT_URL = "https://api.orange.com"
RENEW_MARGIN_SECONDS = 60.0  # take a new token this long before Orange's ends

STATES = {
    "INITIATED": PaymentState.PROCESSING,
    "PENDING": PaymentState.PROCESSING,
    "SUCCESS": PaymentState.COMPLETED,
    "FAILED": PaymentState.FAILED,
    "EXPIRED": PaymentState.EXPIRED,
}


def pay_token_of(provider_ref: str) -> str:
    """Orange's own id of the payment, out of this adapter's provider_ref."""
    return provider_ref.split(":", 2)[0]


def _split_ref(provider_ref: str) -> tuple[str, int, str]:
    try:
        pay_token, amount, order_id = provider_ref.split(":", 2)
        return pay_token, int(amount), order_id
    except ValueError:
        raise ProviderRefused(
            f"not an Orange Money reference: {provider_ref!r}"
        ) from None


class _Tokens:
    """Access tokens per (token URL, client id), shared by every adapter of the process
    (a job builds its adapter afresh; the token outlives it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key, fetch) -> str:
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached[1]:
                return cached[0]
            started = time.monotonic()
            token, lifetime = fetch()
            margin = min(RENEW_MARGIN_SECONDS, lifetime / 10)
            self._tokens[key] = (token, started + lifetime - margin)
            return token

    def drop(self, key, token: str) -> None:
        with self._lock:
            if self._tokens.get(key, (None,))[0] == token:
                del self._tokens[key]


TOKENS = _Tokens()


class OrangeMoneyProvider(PaymentProvider):
    name = "orange_money"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        merchant_key: str,
        base_url: str = DEFAULT_URL,
        country: str = "sn",
        currency: str = "XOF",
    ):
        self.client_id = client_id
        self._client_secret = client_secret
        self._merchant_key = merchant_key
        self.base_url = base_url.rstrip("/")
        self.country = country
        self.currency = currency
        self._token_key = (f"{self.base_url}/oauth/v3/token", client_id)

    @classmethod
    def from_config(cls, config: Mapping) -> "OrangeMoneyProvider | None":
        """The adapter when its three credentials are set; None (off) otherwise."""
        names = ("CLIENT_ID", "CLIENT_SECRET", "MERCHANT_KEY")
        values = [config.get(f"ORANGE_MONEY_{name}") for name in names]
        if not all(values):
            return None
        return cls(
            *values,
            base_url=config.get("ORANGE_MONEY_API_URL") or DEFAULT_URL,
            country=config.get("ORANGE_MONEY_COUNTRY") or "sn",
            currency=config.get("ORANGE_MONEY_CURRENCY") or "XOF",
        )

    # The interface

    def start(self, checkout: Checkout) -> Started:
        """A WebPay payment: the payer is sent to Orange's payment_url."""
        answer = self._api(
            "webpayment",
            {
                "merchant_key": self._merchant_key,
                "currency": self.currency,
                "order_id": checkout.reference,
                "amount": checkout.amount_fcfa,
                "return_url": checkout.success_url,
                "cancel_url": checkout.cancel_url,
                "notif_url": checkout.notify_url,
                "lang": checkout.locale if checkout.locale in {"fr", "en"} else "fr",
                "reference": checkout.description[:30],
            },
        )
        if not answer.get("pay_token") or not answer.get("payment_url"):
            raise ProviderUnavailable(
                f"Orange Money: an answer without a pay_token: {answer}"
            )
        provider_ref = (
            f"{answer['pay_token']}:{checkout.amount_fcfa}:{checkout.reference}"
        )
        return Started(
            provider_ref=provider_ref,
            redirect_url=answer["payment_url"],
            callback_secret=answer.get("notif_token"),
        )

    def verify_callback(
        self,
        headers: dict[str, str],
        body: bytes,
        now: datetime,
        expected: Started | None = None,
    ) -> Callback:
        """Orange's notification, checked against `expected` (what `start` returned for
        this payment: the core finds it by the notif_url it gave). A SUCCESS is
        confirmed with Orange's transactionstatus (ProviderUnavailable if Orange does
        not answer: the notification is then refused by the core and Orange retries,
        or the status job asks later)."""
        if expected is None or not expected.callback_secret:
            raise BadCallback(
                "Orange Money: no notif_token to check this notice against"
            )
        try:
            notice = json.loads(body)
            status = notice["status"]
            token = notice["notif_token"]
        except (ValueError, TypeError, KeyError) as error:
            raise BadCallback(f"Orange Money: a malformed notice ({error})") from None
        if not isinstance(token, str) or not hmac.compare_digest(
            token.encode(), expected.callback_secret.encode()
        ):
            raise BadCallback("Orange Money: the notif_token does not match")
        if status not in {"SUCCESS", "FAILED"}:
            raise BadCallback(f"Orange Money: an unknown status {status!r}")
        _, amount, order_id = _split_ref(expected.provider_ref)
        txnid = notice.get("txnid") or None
        if status == "SUCCESS":
            confirmed = self.fetch_status(expected.provider_ref)
            if confirmed is None or confirmed.state is not PaymentState.COMPLETED:
                raise BadCallback(
                    "Orange Money: says SUCCESS, Orange's status does not"
                )
            if txnid != confirmed.event_id:
                raise BadCallback("Orange Money: the txnid is not Orange's")
        return Callback(
            provider_ref=expected.provider_ref,
            state=STATES[status],
            amount_fcfa=amount,  # Orange's notice has none: the payment's own
            currency="XOF",
            reference=order_id,
            event_id=txnid or f"{pay_token_of(expected.provider_ref)}:{status}",
            occurred_at=None,
        )

    def fetch_status(self, provider_ref: str) -> Callback | None:
        """Where Orange says the payment stands; None when Orange does not know it."""
        pay_token, amount, order_id = _split_ref(provider_ref)
        try:
            answer = self._api(
                "transactionstatus",
                {"order_id": order_id, "amount": amount, "pay_token": pay_token},
            )
        except ProviderRefused:
            return None
        state = STATES.get(answer.get("status"))
        if state is None:
            raise ProviderUnavailable(f"Orange Money: an unknown status in {answer}")
        return Callback(
            provider_ref=provider_ref,
            state=state,
            amount_fcfa=amount,
            currency="XOF",
            reference=order_id,
            event_id=answer.get("txnid") or None,
        )

    def refund(self, provider_ref: str, amount_fcfa: int, reference: str) -> str:
        raise ProviderRefused(
            "Orange Money WebPay has no refund call: refund by Orange's back office"
        )

    # HTTP

    def _api(self, operation: str, payload: dict) -> dict:
        url = f"{self.base_url}/orange-money-webpay/{self.country}/v1/{operation}"
        token = self._token()
        response = self._post(url, json=payload, token=token)
        if response.status_code == 401:
            # Expired or revoked before its time: one new token, once.
            TOKENS.drop(self._token_key, token)
            response = self._post(url, json=payload, token=self._token())
        body = _json(response)
        if response.status_code >= 500 or response.status_code in {401, 429}:
            raise ProviderUnavailable(
                f"Orange Money: HTTP {response.status_code} {body}"
            )
        if response.status_code >= 400:
            message = body.get("message") or body.get("description") or body
            raise ProviderRefused(
                f"Orange Money: HTTP {response.status_code} {message}"
            )
        return body

    def _post(self, url: str, *, json=None, data=None, token=None, auth=None):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if auth:
            headers["Authorization"] = auth
        try:
            return requests.post(
                url, json=json, data=data, headers=headers, timeout=TIMEOUTS
            )
        except requests.RequestException as error:
            raise ProviderUnavailable(f"Orange Money: {error}") from error

    def _token(self) -> str:
        return TOKENS.get(self._token_key, self._fetch_token)

    def _fetch_token(self) -> tuple[str, float]:
        credentials = f"{self.client_id}:{self._client_secret}".encode()
        response = self._post(
            self._token_key[0],
            data={"grant_type": "client_credentials"},
            auth="Basic " + base64.b64encode(credentials).decode(),
        )
        body = _json(response)
        if response.status_code != 200 or not body.get("access_token"):
            # Wrong credentials are a setting to fix: worth retrying once fixed.
            raise ProviderUnavailable(
                f"Orange Money token: HTTP {response.status_code} {body}"
            )
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return str(body["access_token"]), lifetime


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {"text": response.text[:200]}
    return body if isinstance(body, dict) else {"body": body}
