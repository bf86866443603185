"""Orange's SMS API (developer.orange.com, "SMS Africa and Middle East"), as published:

1. `POST {base}/oauth/v3/token`, HTTP Basic with the app's client id and secret, form
   `grant_type=client_credentials` → 200 `{"access_token", "expires_in", ...}` (an
   hour; `expires_in` comes as a string).
2. `POST {base}/smsmessaging/v1/outbound/{urlencoded "tel:+SENDER"}/requests`, Bearer
   token, JSON `{"outboundSMSMessageRequest": {"address": "tel:+221...",
   "senderAddress": "tel:+SENDER", "senderName": ..., "outboundSMSTextMessage":
   {"message": ...}}}` → 201 with `outboundSMSMessageRequest.resourceURL`, whose last
   path part is the message's id at Orange. Errors: 400 with `{"requestError":
   {"serviceException" | "policyException": {"messageId", "text", "variables"}}}`
   (SVC0004: no valid address), 401 when the token expired or was revoked.

Orange's published request has no field for our own reference (no idempotency key):
a message sent again after a crash between Orange's 201 and our commit goes out twice.
"""

import base64
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

from ..adapters import Refused, Sent
from ..gsm import segments, to_gsm7
from .transport import CONNECT_TIMEOUT, READ_TIMEOUT, GatewayUnavailable, is_e164, post

DEFAULT_URL = "https://api.orange.com"
# A token is taken again this long before Orange says it ends (at most a tenth of its
# life), so that a message never leaves with one that expires on the way.
RENEW_MARGIN_SECONDS = 60.0


class _Tokens:
    """Access tokens per (token URL, client id), shared by every gateway of the process:
    a job builds its gateway afresh, the token outlives it. One lock: threads that
    need a token at the same moment wait for the one request that fetches it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[
            tuple[str, str], tuple[str, float]
        ] = {}  # → (token, renew at)

    def get(self, key, fetch: Callable[[], tuple[str, float]], now: Callable) -> str:
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and now() < cached[1]:
                return cached[0]
            started = now()
            token, lifetime = fetch()
            margin = min(RENEW_MARGIN_SECONDS, lifetime / 10)
            self._tokens[key] = (token, started + lifetime - margin)
            return token

    def drop(self, key, token: str) -> None:
        """Forget `token` (Orange refused it), unless another thread already replaced it."""
        with self._lock:
            if self._tokens.get(key, (None,))[0] == token:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = _Tokens()


def _orange_error(response) -> str:
    """Orange's own words for a refusal: "SVC0004 No valid addresses ... (tel:+221...)"."""
    body = response.json() or {}
    error = body.get("requestError")
    if isinstance(error, dict):
        for kind in ("serviceException", "policyException"):
            exception = error.get(kind)
            if isinstance(exception, dict):
                text = str(exception.get("text") or "")
                variables = exception.get("variables") or []
                if isinstance(variables, str):
                    variables = [variables]
                for number, value in enumerate(variables, start=1):
                    text = text.replace(f"%{number}", str(value))
                return f"{exception.get('messageId', kind)} {text}".strip()
    if "message" in body or "error" in body:  # the gateway's own (401) or OAuth's shape
        return " ".join(
            str(body[k])
            for k in ("code", "message", "error", "error_description", "description")
            if body.get(k) not in (None, "")
        )
    return response.excerpt()


class OrangeSmsGateway:
    name = "orange"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        sender: str,
        sender_name: str | None = None,
        base_url: str = DEFAULT_URL,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not is_e164(sender):
            raise ValueError(
                f"the sender must be an E.164 number (+221...), not {sender!r}"
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.sender = sender
        self.sender_name = sender_name or None
        self.base_url = base_url.rstrip("/")
        self._timeouts = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
        }
        self._clock = clock
        self._token_key = (f"{self.base_url}/oauth/v3/token", client_id)

    def send(self, to: str, text: str, reference: str) -> Sent:
        """Send one SMS; Sent with Orange's id for it, Refused, or GatewayUnavailable.

        `reference` is not sent: Orange's request has no field for it (see above).
        """
        if not is_e164(to):
            raise Refused(f"not an E.164 number: {to!r}")
        folded = to_gsm7(text)
        body = self._request_body(to, folded)
        token = self._token()
        response = self._post_message(body, token)
        if response.status == 401:
            # Expired or revoked before the time Orange gave: one new token, once.
            TOKENS.drop(self._token_key, token)
            response = self._post_message(body, self._token())
        if response.status == 201:
            return Sent(self._message_id(response), segments(folded)[1])
        if response.status == 400:
            raise Refused(f"Orange: {_orange_error(response)}")
        raise GatewayUnavailable(
            f"Orange: HTTP {response.status} {_orange_error(response)}"
        )

    def _request_body(self, to: str, text: str) -> bytes:
        request = {
            "address": f"tel:{to}",
            "senderAddress": f"tel:{self.sender}",
            "outboundSMSTextMessage": {"message": text},
        }
        if self.sender_name:
            request["senderName"] = self.sender_name
        return json.dumps({"outboundSMSMessageRequest": request}).encode()

    def _post_message(self, body: bytes, token: str):
        sender = quote(f"tel:{self.sender}", safe="")
        return post(
            f"{self.base_url}/smsmessaging/v1/outbound/{sender}/requests",
            body,
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            **self._timeouts,
        )

    def _token(self) -> str:
        return TOKENS.get(self._token_key, self._fetch_token, self._clock)

    def _fetch_token(self) -> tuple[str, float]:
        credentials = f"{self.client_id}:{self._client_secret}".encode()
        response = post(
            self._token_key[0],
            b"grant_type=client_credentials",
            {
                "Authorization": "Basic " + base64.b64encode(credentials).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            **self._timeouts,
        )
        body = response.json() or {}
        if response.status != 200 or not body.get("access_token"):
            # Wrong credentials are a setting to fix, not a message to drop: retry later.
            raise GatewayUnavailable(
                f"Orange token: HTTP {response.status} {_orange_error(response)}"
            )
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return str(body["access_token"]), lifetime

    @staticmethod
    def _message_id(response) -> str | None:
        request = (response.json() or {}).get("outboundSMSMessageRequest") or {}
        url = request.get("resourceURL") if isinstance(request, dict) else None
        return _last_path_part(url)


def _last_path_part(url) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or None


# Orange's final delivery statuses (OneAPI's names); the others (DeliveredToNetwork,
# MessageWaiting, DeliveryUncertain, DeliveryNotificationNotSupported) say nothing for
# good yet.
_FINAL_STATUSES = {"DeliveredToTerminal": True, "DeliveryImpossible": False}


def parse_orange_delivery(payload: dict) -> tuple[str, bool] | None:
    """What an Orange delivery receipt says: (the message's reference, delivered?).

    `{"deliveryInfoNotification": {"callbackData": ..., "deliveryInfo": {"address":
    "tel:+221...", "deliveryStatus": "DeliveredToTerminal"}}}`. The reference is
    `callbackData` when Orange fills it, else the last path part of a `resourceURL`
    (the id `send` kept as provider_ref). None: not a receipt, no reference in it, or a
    status that is not final (DeliveredToNetwork: the SMS centre has it, the phone may
    not; off Orange's network this may be all a receipt ever says).
    """
    notification = (
        payload.get("deliveryInfoNotification") if isinstance(payload, dict) else None
    )
    if not isinstance(notification, dict):
        return None
    info = notification.get("deliveryInfo")
    if isinstance(info, list):  # OneAPI allows a list, one entry per address
        info = info[0] if info else None
    if not isinstance(info, dict):
        return None
    reference = str(notification.get("callbackData") or "").strip() or _last_path_part(
        notification.get("resourceURL") or info.get("resourceURL")
    )
    delivered = _FINAL_STATUSES.get(info.get("deliveryStatus"))
    if not reference or delivered is None:
        return None
    return reference, delivered
