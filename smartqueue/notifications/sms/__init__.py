"""The SMS channel's adapters, behind one interface (`SmsGateway`), and the one chosen by
the configuration (`gateway_from_config`).

    SMS_PROVIDER  "orange"  Orange's SMS API (orange.py)
                  "http"    a generic HTTP gateway (generic.py)
                  "file"    embedded: printed and saved under SMS_DIR (files.py)
                  unset     no SMS here: gateway_from_config answers None

Every adapter folds the text to GSM-7 where it can (gsm.py), sends the folded text and
counts its parts; it answers as adapters.py says: Sent, Refused (for good), and any
other exception (GatewayUnavailable: network, timeout, 5xx) is worth retrying. They do
network calls: call them from a job, never from a request.
"""

from collections.abc import Mapping
from typing import Protocol

from ..adapters import Sent
from .files import FileSmsGateway
from .generic import HttpSmsGateway
from .orange import DEFAULT_URL, OrangeSmsGateway, parse_orange_delivery
from .transport import GatewayUnavailable, is_e164

__all__ = [
    "FileSmsGateway",
    "GatewayUnavailable",
    "HttpSmsGateway",
    "OrangeSmsGateway",
    "SmsGateway",
    "gateway_from_config",
    "parse_orange_delivery",
]


class SmsGateway(Protocol):
    name: str  # "orange", "http", "file": kept with each message sent

    def send(self, to: str, text: str, reference: str) -> Sent:
        """Send `text` to `to` (E.164, "+221771234567"); `reference` is our message's
        id, handed to the provider where its API takes one, so that a message sent again
        after a crash can be recognised."""
        ...


def _required(config: Mapping, provider: str, *names: str) -> list[str]:
    values = [str(config.get(name) or "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise RuntimeError(
            f"SMS_PROVIDER is {provider!r} but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set."
        )
    return values


def gateway_from_config(config: Mapping) -> SmsGateway | None:
    """The SMS gateway the configuration names; None when SMS_PROVIDER is unset (no SMS
    here). A provider named with a setting missing raises RuntimeError naming it."""
    provider = str(config.get("SMS_PROVIDER") or "").strip().lower()
    if not provider:
        return None
    if provider == "orange":
        client_id, secret, sender = _required(
            config,
            provider,
            "ORANGE_SMS_CLIENT_ID",
            "ORANGE_SMS_CLIENT_SECRET",
            "ORANGE_SMS_SENDER",
        )
        if not is_e164(sender):
            raise RuntimeError(
                f"ORANGE_SMS_SENDER must be the sender's number in E.164 "
                f"(+221...), not {sender!r}."
            )
        return OrangeSmsGateway(
            client_id,
            secret,
            sender,
            sender_name=str(config.get("ORANGE_SMS_SENDER_NAME") or "").strip() or None,
            base_url=str(config.get("ORANGE_SMS_URL") or "").strip() or DEFAULT_URL,
        )
    if provider == "http":
        url, token, sender = _required(
            config, provider, "SMS_HTTP_URL", "SMS_HTTP_TOKEN", "SMS_HTTP_SENDER"
        )
        return HttpSmsGateway(url, token, sender)
    if provider == "file":
        [folder] = _required(config, provider, "SMS_DIR")
        return FileSmsGateway(folder)
    raise RuntimeError(
        f"SMS_PROVIDER {provider!r} is not one of: orange, http, file (or unset)."
    )
