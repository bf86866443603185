"""A generic HTTP SMS gateway, the shape many Senegalese aggregators offer:

`POST {url}` with `Authorization: Bearer {token}` and JSON `{"to": "+221...", "from":
sender, "text": ..., "reference": our message id}` → 2xx `{"id": ...}`. The reference
lets a gateway that keeps it (an idempotency key) answer a message sent again after a
crash with the id it already gave, instead of sending it twice.
"""

import json

from ..adapters import Refused, Sent
from ..gsm import segments, to_gsm7
from .transport import CONNECT_TIMEOUT, READ_TIMEOUT, GatewayUnavailable, is_e164, post

# 4xx that say "not now" rather than "never": retried like a 5xx.
_RETRYABLE_4XX = {408, 425, 429}


class HttpSmsGateway:
    name = "http"

    def __init__(
        self,
        url: str,
        token: str,
        sender: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ):
        self.url = url
        self._token = token
        self.sender = sender
        self._timeouts = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
        }

    def send(self, to: str, text: str, reference: str) -> Sent:
        """Send one SMS; Sent with the gateway's id, Refused (4xx), or GatewayUnavailable."""
        if not is_e164(to):
            raise Refused(f"not an E.164 number: {to!r}")
        folded = to_gsm7(text)
        body = {"to": to, "from": self.sender, "text": folded, "reference": reference}
        response = post(
            self.url,
            json.dumps(body).encode(),
            {
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            **self._timeouts,
        )
        if 200 <= response.status < 300:
            provider_id = (response.json() or {}).get("id")
            return Sent(
                None if provider_id in (None, "") else str(provider_id),
                segments(folded)[1],
            )
        if 400 <= response.status < 500 and response.status not in _RETRYABLE_4XX:
            raise Refused(f"SMS gateway: HTTP {response.status} {response.excerpt()}")
        raise GatewayUnavailable(
            f"SMS gateway: HTTP {response.status} {response.excerpt()}"
        )
