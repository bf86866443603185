"""A web push service stand-in over real HTTP (ThreadingHTTPServer on a free port), for
the push adapter's tests and the browser's.

    with PushService() as service:
        info = service.subscribe()        # a subscription: endpoint here, keys made here
        service.add(path, private_key, auth_secret)   # or keys a browser made
        ...
        service.received                  # every message request, checked and decrypted

Like a real push service (RFC 8030/8291/8292) it checks each message before taking it:
the `Authorization: vapid t=<JWT>, k=<public key>` header (ES256 signature by k, `aud`
its own origin, `exp` in the future and within 24 hours, `sub` present: 401 otherwise),
a TTL header, and an aes128gcm body it decrypts with the subscription's private key and
auth secret (400 if it cannot). A path it does not know is 404. `behaviour` (set it any
time) decides the answer to a good message: "ok" (201, with a Location), "gone" (410),
"not_found" (404), "error" (500).
"""

import base64
import itertools
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.processes import wait_for

ANSWERS = {"ok": 201, "gone": 410, "not_found": 404, "error": 500}
MAX_EXP_SECONDS = 24 * 3600  # RFC 8292: no more than 24 hours ahead


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Received:
    """One message request as the service read it, and what it answered."""

    path: str
    headers: dict  # lower-case names
    status: int
    payload: dict | None = None  # the decrypted JSON (None if it could not be read)
    claims: dict | None = None  # the VAPID JWT's claims, once its signature checked
    vapid_key: str | None = None  # the k= of the Authorization header
    problem: str | None = None  # why it was refused (401/400)


@dataclass
class _Keys:
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes


class PushService:
    """A push service in a thread on 127.0.0.1, stopped by `close()` or `with`."""

    def __init__(self):
        self.behaviour = "ok"
        self.received: list[Received] = []
        self._subscriptions: dict[str, _Keys] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"  # also the `aud` it expects
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(
        self, path: str, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes
    ) -> str:
        """Accept messages at `path` for a subscription whose keys were made elsewhere
        (a browser); its endpoint URL."""
        with self._lock:
            self._subscriptions[path] = _Keys(private_key, auth_secret)
        return self.url + path

    def subscribe(self) -> dict:
        """A new subscription as a browser's PushSubscription.toJSON() gives it."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth_secret = os.urandom(16)
        endpoint = self.add(
            f"/wpush/{secrets.token_urlsafe(12)}", private_key, auth_secret
        )
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": b64url(public), "auth": b64url(auth_secret)},
        }

    def wait_for(self, count: int) -> list[Received]:
        """The messages received, once there are `count` of them (a browser test's
        server sends from its own thread)."""

        def enough():
            with self._lock:
                return list(self.received) if len(self.received) >= count else None

        return wait_for(enough, f"{count} push message(s)", timeout=15)

    # --- checking one request ----------------------------------------------------------

    def _take(self, path: str, headers: dict, body: bytes) -> Received:
        try:
            claims, key = self._check_vapid(headers.get("authorization", ""))
        except ValueError as problem:
            return Received(path, headers, 401, problem=str(problem))
        with self._lock:
            keys = self._subscriptions.get(path)
        if keys is None:
            return Received(path, headers, 404, None, claims, key, "unknown path")
        if not headers.get("ttl", "").isdigit():
            return Received(path, headers, 400, None, claims, key, "no TTL")
        if headers.get("content-encoding") != "aes128gcm":
            return Received(path, headers, 400, None, claims, key, "not aes128gcm")
        try:
            plain = http_ece.decrypt(
                body,
                private_key=keys.private_key,
                auth_secret=keys.auth_secret,
                version="aes128gcm",
            )
            payload = json.loads(plain)
        except Exception as problem:  # noqa: BLE001 - any undecryptable body is a 400
            return Received(path, headers, 400, None, claims, key, repr(problem))
        return Received(path, headers, ANSWERS[self.behaviour], payload, claims, key)

    def _check_vapid(self, authorization: str) -> tuple[dict, str]:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"not a vapid Authorization: {authorization[:40]!r}")
        parts = dict(
            item.strip().split("=", 1) for item in rest.split(",") if "=" in item
        )
        token, key = parts.get("t", ""), parts.get("k", "")
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(key)
            )
        except (ValueError, TypeError) as error:
            raise ValueError(f"unreadable VAPID token or key: {error}") from error
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise ValueError(f"not an ES256 JWT: {header}")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public_key.verify(
                der,
                f"{header_b64}.{claims_b64}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature as error:
            raise ValueError("VAPID signature does not match k") from error
        if claims.get("aud") != self.url:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.url!r}")
        now = time.time()
        if not now < int(claims.get("exp", 0)) <= now + MAX_EXP_SECONDS:
            raise ValueError(f"exp {claims.get('exp')!r} not within 24 h")
        if not claims.get("sub"):
            raise ValueError("no sub claim")
        return claims, key

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                received = service._take(self.path, headers, body)
                with service._lock:
                    service.received.append(received)
                self.send_response(received.status)
                if received.status == 201:
                    self.send_header(
                        "Location", f"{service.url}/m/{next(service._ids)}"
                    )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet test output
                pass

        return Handler


SUBJECT = "mailto:contact@smartqueue.sn"


def push_settings(keys: tuple[str, str]) -> dict:
    """A test app's settings with web push on, its VAPID keys `keys` (private, public),
    and this plain-http push service allowed as an endpoint."""
    private, public = keys
    return {
        "VAPID_PRIVATE_KEY": private,
        "VAPID_PUBLIC_KEY": public,
        "VAPID_SUBJECT": SUBJECT,
        "PUSH_ENABLED": True,
        "PUSH_ALLOW_HTTP": True,
    }
