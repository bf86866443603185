"""The simulator's Wave side, shaped on Wave's Checkout API (docs.wave.com/checkout) and
its signed webhooks (docs.wave.com/webhook).

API (under /wave, Bearer WAVE_API_KEY):
- POST /v1/checkout/sessions {amount "1000", currency "XOF", success_url, error_url,
  client_reference}: a session `cos-...` with its `wave_launch_url`; the same
  Idempotency-Key with the same request gives the same session, with another one a 409.
- GET /v1/checkout/sessions/<id>; POST /v1/checkout/sessions/<id>/refund (the whole
  amount, as Wave does; 200 with an empty body).
The payer's page is the `wave_launch_url` (/wave/c/<id>): "Payer", "Refuser", or a link
back to error_url (leaving: no webhook, the session expires after
WAVE_SESSION_TTL_SECONDS, 30 minutes by default like Wave's).

A decision POSTs the event (`checkout.session.completed` or
`checkout.session.payment_failed`, the session in `data`) to WAVE_WEBHOOK_URL, signed
with WAVE_WEBHOOK_SECRET: `Wave-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t + body>`.
It is sent from a thread after the payer's answer, as a provider's server would.

What the simulator assumes where Wave's documentation is silent: a refunded session
reads `payment_status: "refunded"`, and a second refund is answered 200 again.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.request
from datetime import UTC, datetime
from html import escape

from flask import Blueprint, current_app, redirect, request, url_for

bp = Blueprint("wave", __name__, url_prefix="/wave")

DEFAULT_SESSION_TTL_SECONDS = 30 * 60


def _ledger():
    return current_app.extensions["paysim"]


def _idempotency_keys() -> dict[str, dict]:
    # Kept beside the ledger (not in its payments) so that they list only payments.
    return current_app.extensions.setdefault("paysim.wave_idempotency_keys", {})


def _error(status: int, code: str, message: str):
    return {"code": code, "message": message}, status


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _authorized() -> bool:
    expected = f"Bearer {current_app.config.get('WAVE_API_KEY', '')}"
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), expected.encode())


@bp.before_request
def require_api_key():
    if request.path.startswith(f"{bp.url_prefix}/v1/") and not _authorized():
        return _error(401, "no-matching-api-key", "The API key is missing or wrong.")
    return None


def _expire_if_due(payment: dict) -> None:
    """Sessions expire when read after their time (no event, as at Wave)."""
    session = payment["session"]
    if session["checkout_status"] == "open" and time.time() >= payment["expires_at"]:
        session["checkout_status"] = "expired"
        session["when_completed"] = _iso(payment["expires_at"])


def _find(session_id: str) -> dict | None:
    payment = _ledger().payments.get(session_id)
    if payment is None or payment.get("provider") != "wave":
        return None
    _expire_if_due(payment)
    return payment


def _validation_errors(data: dict) -> list[str]:
    errors = []
    amount = data.get("amount")
    if not (isinstance(amount, str) and amount.isdigit() and int(amount) > 0):
        errors.append("amount: a positive whole number as a string (XOF)")
    if data.get("currency") != "XOF":
        errors.append("currency: XOF only")
    for field in ("success_url", "error_url"):
        if not str(data.get(field) or "").startswith(("http://", "https://")):
            errors.append(f"{field}: an absolute URL")
    if len(str(data.get("client_reference") or "")) > 255:
        errors.append("client_reference: 255 characters at most")
    return errors


@bp.post("/v1/checkout/sessions")
def create_session():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "request-validation-error", "A JSON object is expected.")
    errors = _validation_errors(data)
    if errors:
        return _error(400, "request-validation-error", "; ".join(errors))
    ledger = _ledger()
    idempotency_key = request.headers.get("Idempotency-Key")
    fingerprint = hashlib.sha256(request.get_data()).hexdigest()
    with ledger.lock:
        known = _idempotency_keys().get(idempotency_key)
        if idempotency_key and known:
            if known["fingerprint"] != fingerprint:
                return _error(
                    409,
                    "idempotency-mismatch",
                    "This key was used for another request.",
                )
            return _find(known["session_id"])["session"]
        now = time.time()
        ttl = float(
            current_app.config.get("WAVE_SESSION_TTL_SECONDS")
            or DEFAULT_SESSION_TTL_SECONDS
        )
        session_id = "cos-" + secrets.token_hex(7)
        session = {
            "id": session_id,
            "amount": data["amount"],
            "currency": "XOF",
            "business_name": current_app.config.get("WAVE_BUSINESS_NAME", "SmartQueue"),
            "checkout_status": "open",
            "payment_status": "processing",
            "client_reference": data.get("client_reference"),
            "success_url": data["success_url"],
            "error_url": data["error_url"],
            "last_payment_error": None,
            "transaction_id": None,
            "wave_launch_url": url_for(
                "wave.checkout_page", session_id=session_id, _external=True
            ),
            "when_created": _iso(now),
            "when_expires": _iso(now + ttl),
            "when_completed": None,
        }
        ledger.payments[session_id] = {
            "provider": "wave",
            "session": session,
            "expires_at": now + ttl,
        }
        if idempotency_key:
            _idempotency_keys()[idempotency_key] = {
                "session_id": session_id,
                "fingerprint": fingerprint,
            }
    return session


@bp.get("/v1/checkout/sessions/<session_id>")
def get_session(session_id):
    with _ledger().lock:
        payment = _find(session_id)
        if payment is None:
            return _error(404, "checkout-session-not-found", "No such session.")
        return dict(payment["session"])


@bp.post("/v1/checkout/sessions/<session_id>/refund")
def refund_session(session_id):
    with _ledger().lock:
        payment = _find(session_id)
        if payment is None:
            return _error(404, "checkout-session-not-found", "No such session.")
        session = payment["session"]
        if session["payment_status"] not in ("succeeded", "refunded"):
            return _error(
                409, "checkout-refund-failed", "Only a paid session can be refunded."
            )
        session["payment_status"] = "refunded"
    return "", 200


# The payer's side ------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulateur Wave</title>
<style>
body{{margin:0;font-family:system-ui,sans-serif;background:#1dc8f2;color:#0b1b2b}}
main{{max-width:24rem;margin:0 auto;padding:1.5rem 1rem}}
.card{{background:#fff;border-radius:1rem;padding:1.5rem;text-align:center}}
.note{{font-size:.8rem;color:#555}}
.amount{{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}}
button{{display:block;width:100%;padding:1rem;margin:.5rem 0;border-radius:.75rem;
border:0;font-size:1.1rem;font-weight:600}}
.pay{{background:#0b5cad;color:#fff}} .decline{{background:#eee;color:#a00}}
a{{color:#0b1b2b}}
</style></head>
<body><main><div class="card">
<p class="note">Simulateur Wave : aucun argent réel</p>
<h1>{business}</h1>
{body}
</div></main></body></html>"""


def _fcfa(amount: str) -> str:
    return f"{int(amount):,}".replace(",", "\u202f") + " FCFA"


def _page(session: dict, body: str, status: int = 200):
    html = PAGE.format(business=escape(session["business_name"]), body=body)
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/c/<session_id>")
def checkout_page(session_id):
    with _ledger().lock:
        payment = _find(session_id)
        session = dict(payment["session"]) if payment else None
    if session is None:
        return "Session inconnue", 404
    error_url = escape(session["error_url"])
    if session["checkout_status"] == "expired":
        return _page(
            session,
            f'<p>Cette session a expiré.</p><p><a href="{error_url}">Retour</a></p>',
            410,
        )
    if session["checkout_status"] == "complete" or session["payment_status"] != (
        "processing"
    ):
        return _page(session, "<p>Ce paiement a déjà été traité.</p>", 409)
    amount = _fcfa(session["amount"])
    action = escape(url_for("wave.decide", session_id=session_id))
    return _page(
        session,
        f"""<p class="amount">{amount}</p>
<form method="post" action="{action}">
<button class="pay" name="decision" value="approve">Payer {amount}</button>
<button class="decline" name="decision" value="decline">Refuser</button>
</form>
<p><a href="{error_url}">Annuler et revenir</a></p>""",
    )


@bp.post("/c/<session_id>")
def decide(session_id):
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        return "Décision inconnue", 400
    with _ledger().lock:
        payment = _find(session_id)
        if payment is None:
            return "Session inconnue", 404
        session = payment["session"]
        if (
            session["checkout_status"] != "open"
            or session["payment_status"] != "processing"
        ):
            return _page(dict(session), "<p>Ce paiement est clos.</p>", 409)
        if decision == "approve":
            session.update(
                checkout_status="complete",
                payment_status="succeeded",
                transaction_id="T_" + secrets.token_hex(8).upper(),
                when_completed=_iso(time.time()),
            )
            event_type, goes_to = "checkout.session.completed", session["success_url"]
        else:
            # As at Wave, a failed attempt leaves the session open until it expires.
            session.update(
                payment_status="cancelled",
                last_payment_error={
                    "code": "payer-declined",
                    "message": "Le payeur a refusé le paiement.",
                },
            )
            event_type, goes_to = (
                "checkout.session.payment_failed",
                session["error_url"],
            )
        event = {
            "id": "AE_" + secrets.token_urlsafe(9),
            "type": event_type,
            "data": dict(session),
        }
    _send_webhook(event)
    return redirect(goes_to, 303)


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """Wave's `Wave-Signature` value for this raw body."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def _send_webhook(event: dict) -> None:
    config = current_app.config
    url = config.get("WAVE_WEBHOOK_URL")
    record = {"provider": "wave", "url": url, "event": event, "status": None}
    _ledger().sent_callbacks.append(record)
    if not url:
        return
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "Wave-Signature": signature_header(
            config.get("WAVE_WEBHOOK_SECRET", ""), int(time.time()), body
        ),
    }
    threading.Thread(
        target=_deliver, args=(url, body, headers, record), daemon=True
    ).start()


def _deliver(url: str, body: bytes, headers: dict, record: dict) -> None:
    """A few attempts, as Wave retries a webhook that was not answered 2xx."""
    for attempt in range(3):
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, data=body, headers=headers), timeout=10
            ) as response:
                record["status"] = response.status
                return
        except OSError as error:
            record["status"] = getattr(error, "code", None) or repr(error)
            time.sleep(0.5 * (attempt + 1))
