"""The SMS gateways' hooks: messages received (a ticket by SMS, STATUT, STOP ...) and
delivery reports of the messages sent.

The generic gateway signs each request: `X-SmartQueue-Timestamp: <unix seconds>` and
`X-SmartQueue-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with
SMS_INBOUND_SECRET. A request older than MAX_AGE (or dated too far ahead) is refused, so
a captured request cannot be played again later; played again within that window, its
message id finds the message's row and nothing is done twice (conversation.py).
Orange cannot sign: its callbacks carry the same secret as `?token=`, and rely on the
message id alone against replays.

No secret configured: the hooks do not exist (404). Bad signature or token: 403. A body
that is not what the gateway sends: 400. No session, no cookie: CSRF does not apply.
Per-number limits are the conversation's (counted in the database, so every process
sees them; a 429 would only make a gateway retry).
"""

import hashlib
import hmac
import json
from datetime import timedelta

from flask import abort, current_app, jsonify, request

from ... import clock
from ...extensions import csrf
from ...notifications import conversation
from ...notifications import operations as notifications
from ...notifications.sms import parse_orange_delivery
from . import bp

MAX_AGE = timedelta(minutes=5)
MAX_AHEAD = timedelta(minutes=1)  # the gateway's clock may run a little ahead of ours
MAX_BODY = 16 * 1024
DELIVERED = {"delivered", "delivrd", "deliveredtoterminal"}
NOT_DELIVERED = {
    "failed",
    "undelivered",
    "undeliv",
    "rejected",
    "expired",
    "deliveryimpossible",
}


@bp.post("/hooks/sms/inbound")
@csrf.exempt
def sms_inbound():
    """A message from a phone, from the generic gateway: {id, from, text, timestamp};
    answers {reply, ticket, replayed} (the gateway may send the reply itself)."""
    payload = _signed_json()
    message_id, sender, text = (payload.get(k) for k in ("id", "from", "text"))
    if not _present(message_id) or not _present(sender) or not isinstance(text, str):
        abort(400)
    return _answer("http", str(message_id), str(sender), text)


@bp.post("/hooks/sms/orange/inbound")
@csrf.exempt
def orange_inbound():
    """A message from a phone, as Orange's SMS API notifies it
    (inboundSMSMessageNotification)."""
    payload = _orange_json()
    notification = payload.get("inboundSMSMessageNotification")
    message = (
        notification.get("inboundSMSMessage")
        if isinstance(notification, dict)
        else None
    )
    if not isinstance(message, dict):
        abort(400)
    message_id, sender, text = (
        message.get(k) for k in ("messageId", "senderAddress", "message")
    )
    if not _present(message_id) or not _present(sender) or not isinstance(text, str):
        abort(400)
    return _answer("orange", str(message_id), str(sender), text)


@bp.post("/hooks/sms/delivery")
@csrf.exempt
def sms_delivery():
    """A delivery report from the generic gateway: {id or reference, status}."""
    payload = _signed_json()
    reference = payload.get("id") or payload.get("reference")
    status = str(payload.get("status") or "").strip().lower()
    if not _present(reference) or not status:
        abort(400)
    if status in DELIVERED:
        moved = notifications.record_delivery(str(reference), True)
    elif status in NOT_DELIVERED:
        moved = notifications.record_delivery(str(reference), False, status)
    else:  # sent, accepted, queued...: nothing final yet
        moved = 0
    return jsonify(updated=moved)


@bp.post("/hooks/sms/orange/delivery")
@csrf.exempt
def orange_delivery():
    """A delivery receipt from Orange's SMS API (deliveryInfoNotification)."""
    receipt = parse_orange_delivery(_orange_json())
    if receipt is None:  # not final yet, or nothing we sent: acknowledged all the same
        return jsonify(updated=0)
    reference, delivered = receipt
    reason = None if delivered else "DeliveryImpossible"
    return jsonify(updated=notifications.record_delivery(reference, delivered, reason))


def _answer(provider: str, message_id: str, sender: str, text: str):
    said = conversation.answer(provider, message_id, _e164(sender), text)
    return jsonify(reply=said.reply, ticket=said.ticket_code, replayed=said.replayed)


def _e164(sender: str) -> str:
    """Gateways write the sender "tel:+221...", "+221..." or "221..."."""
    sender = sender.strip().removeprefix("tel:").strip()
    if sender.isdigit() and sender.startswith("221") and len(sender) == 12:
        return "+" + sender
    return sender


def _present(value) -> bool:
    """A usable id or number: text or a number, not blank, no NUL (which PostgreSQL
    cannot store)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    return str(value).strip() != "" and "\x00" not in str(value)


def _secret() -> bytes:
    secret = current_app.config.get("SMS_INBOUND_SECRET")
    if not secret:
        abort(404)
    return str(secret).encode()


def _raw_body() -> bytes:
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    return request.get_data(cache=True)


def _signed_json() -> dict:
    """The body of a request the gateway signed (module docstring), else 403."""
    secret = _secret()
    body = _raw_body()
    stamp = request.headers.get("X-SmartQueue-Timestamp", "")
    given = request.headers.get("X-SmartQueue-Signature", "")
    if not (stamp.isascii() and stamp.isdigit()) or not given.startswith("sha256="):
        abort(403)
    expected = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    signature = given.removeprefix("sha256=").encode()
    if not hmac.compare_digest(expected.hexdigest().encode(), signature):
        abort(403)
    age = clock.now().timestamp() - int(stamp)
    if age > MAX_AGE.total_seconds() or -age > MAX_AHEAD.total_seconds():
        abort(403)
    return _json(body)


def _orange_json() -> dict:
    """The body of an Orange callback, whose URL carries the secret as ?token=."""
    secret = _secret()
    token = request.args.get("token", "").encode()
    if not hmac.compare_digest(token, secret):
        abort(403)
    return _json(_raw_body())


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        abort(400)
    if not isinstance(payload, dict):
        abort(400)
    return payload
