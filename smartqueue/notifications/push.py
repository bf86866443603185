"""Web push: one message to one browser through its push service (pywebpush), signed
with our VAPID key and encrypted (aes128gcm) with the keys the browser gave.

The push service's answer becomes what adapters.py says: 201 is `Sent`; 404/410 mean
the subscription is gone (`Refused(gone=True)`: delivery.py forgets it); any other 4xx
is refused for good; 429, 5xx, timeouts and network errors raise `PushUnavailable`,
tried again by the send job. Called from jobs only (a network call).
"""

import base64
import json
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid

from .adapters import NotConfigured, Refused, Sent
from .recipients import REASONS

# A phone that stays offline longer gets nothing rather than an hour-old "near".
TTL_SECONDS = 3600
# Kinds a phone should wake for at once (the push service may batch the others).
URGENT_KINDS = ("ticket_called", "leave_now", "urgent")
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
GONE = (404, 410)
RETRY_LATER = (408, 429)  # the push service asks us to slow down or come back


class PushUnavailable(Exception):
    """The push service gave no usable answer (network, timeout, 5xx, 429): the message
    may be sent again later."""


def send_push(
    subscription, *, title: str, body: str, link: str | None, tag: str
) -> Sent:
    """Send one push message to one browser subscription."""
    # Here, not at the top: pywebpush imports aiohttp and requests (0.4 s), which only
    # the processes that send push (workers, the embedded server) should pay for.
    import requests
    from pywebpush import WebPushException, webpush

    config = current_app.config
    if not config.get("PUSH_ENABLED"):
        raise NotConfigured(REASONS["push"])
    try:
        signer = vapid_signer(config["VAPID_PRIVATE_KEY"])
    except (ValueError, TypeError) as error:
        raise NotConfigured(f"VAPID_PRIVATE_KEY illisible : {error}") from error
    payload = {"title": title, "body": body, "url": link, "tag": tag}
    kind = tag.split(":", 1)[0]
    try:
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=signer,
            # pywebpush adds "aud" (the endpoint's origin) and "exp" (12 h) itself.
            vapid_claims={"sub": config["VAPID_SUBJECT"]},
            ttl=TTL_SECONDS,
            headers={"Urgency": "high" if kind in URGENT_KINDS else "normal"},
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
    except WebPushException as error:
        raise _refusal(error, subscription.endpoint) from error
    except requests.RequestException as error:  # refused connection, timeout...
        raise PushUnavailable(
            f"{_origin(subscription.endpoint)}: {type(error).__name__}: {error}"
        ) from error
    except (ValueError, TypeError) as error:
        # Keys the browser never made (not a P-256 point, bad base64): they will not
        # work next time either.
        raise Refused(f"clés d'abonnement invalides : {error}", gone=True) from error
    return Sent(provider_ref=_message_id(response.headers.get("Location")))


def _refusal(error, endpoint: str) -> Exception:
    """What a pywebpush WebPushException means for us."""
    status = error.status_code
    if status is None:  # raised before sending: the subscription's keys are unusable
        return Refused(f"abonnement push invalide : {error.message}", gone=True)
    excerpt = (getattr(error.response, "text", "") or "")[:120]
    if status in GONE:
        return Refused(f"abonnement push expiré ({status})", gone=True)
    if status in RETRY_LATER or status >= 500:
        return PushUnavailable(f"{_origin(endpoint)} answered {status}: {excerpt}")
    return Refused(f"service push : {status} {excerpt}".strip())


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _message_id(location: str | None) -> str | None:
    """The push service's id for the message: the last part of its Location header."""
    if not location:
        return None
    return location.rstrip("/").rsplit("/", 1)[-1][:120] or None


# --- VAPID keys ------------------------------------------------------------------------


@lru_cache(maxsize=4)
def vapid_signer(private_key: str) -> Vapid:
    """Our VAPID key as the environment gives it: base64url of the raw 32-byte secret
    (what `flask vapid-keys` prints), a DER key in base64url, or a PEM (its newlines
    as they are or written as \\n)."""
    text = private_key.strip().replace("\\n", "\n")
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("not an EC private key")
        return Vapid(key)
    return Vapid.from_string(text)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_key_of(private_key: str) -> str:
    """The public key browsers need (applicationServerKey): base64url of the
    uncompressed P-256 point."""
    point = vapid_signer(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def new_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key, public key), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, public_key_of(private)
