"""Two SMS providers' stand-ins over real HTTP (ThreadingHTTPServer on a free port),
for the adapters' tests and the notification jobs' tests alike.

    with FakeOrange() as orange:        # Orange's SMS API, as developer.orange.com shows it
        config = orange.config()        # the ORANGE_SMS_* settings that reach it
        ...
        orange.sent                     # the messages it accepted (201)

    with FakeSmsGateway() as gateway:   # a generic aggregator with an idempotency key
        config = gateway.config()       # the SMS_HTTP_* settings that reach it
        ...
        gateway.delivered               # one message per reference

Both take a `behaviour` (set it any time): "ok", "error" (500), "slow" (answers after
SLOW_SECONDS, once the message was taken: a client with a shorter read timeout gives
up on a message that was sent); FakeOrange also "expire_token" (the next message's
token is revoked: 401 once), "refuse_tokens" (every message 401, as when the app's
subscription is suspended) and "bad_number" (400, Orange's SVC0004 error). Their
tokens never expire by the clock: no test waits on one.
"""

import base64
import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

SLOW_SECONDS = 1.5
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass(frozen=True)
class Received:
    """One message request as the stand-in read it, and what it answered."""

    to: str | None  # E.164, "tel:" taken off
    sender: str | None  # FakeOrange: senderAddress's number; FakeSmsGateway: "from"
    text: str | None
    status: int
    token: str | None = None  # the Bearer token it came with
    sender_name: str | None = None  # FakeOrange: senderName
    reference: str | None = None  # FakeSmsGateway: "reference"
    id: str | None = None  # the provider's id it answered with (2xx)


class _StandIn:
    """A ThreadingHTTPServer in a thread, answering POSTs with `self.answer`."""

    def __init__(self):
        self.behaviour = "ok"
        self.received: list[Received] = []  # every message request, in arrival order
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()  # a "slow" answer still waiting gives up at once
        self._server.shutdown()
        self._server.server_close()

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def _slow(self) -> bool:
        """Waits as a slow provider does; True when the server is stopping meanwhile."""
        return self.behaviour == "slow" and self._release.wait(SLOW_SECONDS)

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = stand_in.answer(self.path, self.headers, body)
                if answer is None:
                    return  # stopped while slow: nobody is waiting
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to tell it

            def log_message(self, *args):
                pass

        return Handler

    def answer(self, path, headers, body) -> tuple[int, dict | None]:
        raise NotImplementedError


def _bearer(headers) -> str | None:
    value = headers.get("Authorization") or ""
    return value[len("Bearer ") :] if value.startswith("Bearer ") else None


class FakeOrange(_StandIn):
    """Orange's token endpoint (`/oauth/v3/token`) and outbound SMS endpoint."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str = "s3cret",
        sender: str = "+221338000000",
        expires_in: int = 60,
    ):
        super().__init__()
        # A client id of its own: the adapter keeps tokens per process, by URL and
        # client id, and a port may serve two tests one after the other.
        self.client_id = client_id or f"smartqueue-{uuid.uuid4().hex[:12]}"
        self.client_secret = client_secret
        self.sender = sender
        self.expires_in = expires_in
        self.tokens_issued: list[str] = []  # in order; the valid ones minus the revoked
        self._revoked: set[str] = set()

    def config(self, **overrides) -> dict:
        """Settings for gateway_from_config that reach this stand-in."""
        return {
            "SMS_PROVIDER": "orange",
            "ORANGE_SMS_CLIENT_ID": self.client_id,
            "ORANGE_SMS_CLIENT_SECRET": self.client_secret,
            "ORANGE_SMS_SENDER": self.sender,
            "ORANGE_SMS_URL": self.url,
            **overrides,
        }

    @property
    def sent(self) -> list[Received]:
        """The messages it accepted (201), in order."""
        return [r for r in self.received if r.status == 201]

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (401), as after expiry."""
        with self._lock:
            self._revoked.update(self.tokens_issued)

    def answer(self, path, headers, body):
        if path == "/oauth/v3/token":
            return self._token(headers, body)
        match = re.fullmatch(r"/smsmessaging/v1/outbound/([^/]+)/requests", path)
        if match is None:
            return 404, {"code": 60, "message": "Resource not found"}
        return self._outbound(unquote(match.group(1)), headers, body)

    def _token(self, headers, body):
        expected = base64.b64encode(
            f"{self.client_id}:{self.client_secret}".encode()
        ).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, {
                "error": "invalid_client",
                "error_description": "The requested service needs credentials, but the ones provided were invalid.",
            }
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            }
        token = self._next_id("orange-token-")
        with self._lock:
            self.tokens_issued.append(token)
        # As Orange does: expires_in as a string.
        return 200, {
            "token_type": "Bearer",
            "access_token": token,
            "expires_in": str(self.expires_in),
        }

    def _outbound(self, sender_in_path, headers, body):
        token = _bearer(headers)
        try:
            request = json.loads(body)["outboundSMSMessageRequest"]
            address = request["address"]
            sender = request["senderAddress"]
            text = request["outboundSMSTextMessage"]["message"]
            sender_name = request.get("senderName")
            shape_ok = all(isinstance(v, str) for v in (address, sender, text))
        except (ValueError, KeyError, TypeError):
            address = sender = text = sender_name = None
            shape_ok = False
        to = _without_tel(address)
        number = _without_tel(sender)
        message_id = None
        with self._lock:
            valid = token in self.tokens_issued and token not in self._revoked
            if self.behaviour == "refuse_tokens":
                valid = False
            elif valid and self.behaviour == "expire_token":
                self._revoked.add(token)
                self.behaviour = "ok"
                valid = False
        if not valid:
            status, answer = (
                401,
                {
                    "code": 42,
                    "message": "Expired credentials",
                    "description": "The requested service needs credentials, and the ones provided were out-of-date.",
                },
            )
        elif not shape_ok:
            status, answer = (
                400,
                _service_exception(
                    "SVC0002", "Invalid input value for message part %1", "body"
                ),
            )
        elif sender_in_path != f"tel:{self.sender}" or number != self.sender:
            status, answer = (
                400,
                _service_exception(
                    "SVC0002",
                    "Invalid input value for message part %1",
                    "senderAddress",
                ),
            )
        elif self.behaviour == "bad_number" or not _E164.fullmatch(to or ""):
            status, answer = (
                400,
                _service_exception(
                    "SVC0004", "No valid addresses provided in message part %1", address
                ),
            )
        elif self.behaviour == "error":
            status, answer = 500, {"code": 1, "message": "Internal error"}
        else:
            message_id = self._next_id("orange-msg-")
            request = {
                "address": [address],
                "senderAddress": sender,
                "outboundSMSTextMessage": {"message": text},
                "resourceURL": (
                    f"{self.url}/smsmessaging/v1/outbound/tel%3A%2B{self.sender[1:]}"
                    f"/requests/{message_id}"
                ),
            }
            if sender_name:
                request["senderName"] = sender_name
            status, answer = 201, {"outboundSMSMessageRequest": request}
        self._record(
            Received(
                to,
                number,
                text,
                status,
                token=token,
                sender_name=sender_name,
                id=message_id,
            )
        )
        if status == 201 and self._slow():
            return status, None
        return status, answer


def _without_tel(address) -> str | None:
    if isinstance(address, str) and address.startswith("tel:"):
        return address[len("tel:") :]
    return None


def _service_exception(message_id: str, text: str, variable: str) -> dict:
    return {
        "requestError": {
            "serviceException": {
                "messageId": message_id,
                "text": text,
                "variables": [variable],
            }
        }
    }


class FakeSmsGateway(_StandIn):
    """A generic gateway: `POST /messages`, Bearer token, JSON {to, from, text,
    reference} → 201 {"id"}; the same reference again → 200 with the same id, and no
    second SMS (as a gateway with an idempotency key does)."""

    def __init__(self, token: str = "gateway-token", sender: str = "SmartQueue"):
        super().__init__()
        self.token = token
        self.sender = sender
        self.delivered: dict[str, Received] = {}  # reference → the one SMS sent for it

    @property
    def endpoint(self) -> str:
        return f"{self.url}/messages"

    def config(self, **overrides) -> dict:
        """Settings for gateway_from_config that reach this stand-in."""
        return {
            "SMS_PROVIDER": "http",
            "SMS_HTTP_URL": self.endpoint,
            "SMS_HTTP_TOKEN": self.token,
            "SMS_HTTP_SENDER": self.sender,
            **overrides,
        }

    def answer(self, path, headers, body):
        if path != "/messages":
            return 404, {"error": "not found"}
        token = _bearer(headers)
        try:
            message = json.loads(body)
            fields = [message.get(k) for k in ("to", "from", "text", "reference")]
        except (ValueError, AttributeError):
            fields = [None] * 4
        to, sender, text, reference = fields
        if token != self.token:
            self._record(Received(to, sender, text, 401, token, reference=reference))
            return 401, {"error": "invalid token"}
        if not all(isinstance(f, str) and f for f in fields):
            self._record(Received(to, sender, text, 422, token, reference=reference))
            return 422, {"error": "to, from, text and reference are required"}
        if not _E164.fullmatch(to):
            self._record(Received(to, sender, text, 400, token, reference=reference))
            return 400, {"error": f"invalid number {to}"}
        if self.behaviour == "error":
            self._record(Received(to, sender, text, 500, token, reference=reference))
            return 500, {"error": "upstream SMSC unavailable"}
        with self._lock:
            known = self.delivered.get(reference)
            if known is None:
                message_id = self._next_id("gw-")
                known = Received(
                    to, sender, text, 201, token, reference=reference, id=message_id
                )
                self.delivered[reference] = known
                status = 201
            else:
                status = 200
            self.received.append(
                Received(
                    to, sender, text, status, token, reference=reference, id=known.id
                )
            )
        answer = {"id": known.id, "status": "accepted"}
        return (status, None) if self._slow() else (status, answer)
