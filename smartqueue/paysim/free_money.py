"""The simulator's Free Money side, under /free-money.

Free Money (Free Sénégal) publishes no merchant API that we could find, so this is a
generic push-to-phone flow, shaped like the ones that are published (the payer gets a
prompt on their phone and confirms with their PIN), with a callback signed like Wave's:

- `POST /payments` (Bearer FREE_MONEY_API_KEY; JSON amount, currency, msisdn,
  reference, callback_url): 201 `{id, status: "pending", ...}`. The same reference with
  the same amount answers the first payment (a retry); with another amount, 409.
- `GET /payments/{id}`: `{id, status: pending|succeeded|failed|expired|refunded,
  amount, currency, msisdn, reference, transaction_id, refunded_amount}`.
- `POST /payments/{id}/refunds` (JSON amount, reference): 201 `{id, status, amount}`,
  once per reference; only a succeeded payment, up to what was paid.
- The payer's side: `GET /phone/{id}`, a page standing for the phone's prompt
  (approve, decline, or leave it to expire), and `GET /phone?msisdn=...`, the prompts
  waiting on a number.
- The callback: POST to callback_url, JSON `{event_id, payment_id, status, amount,
  currency, reference, msisdn, transaction_id, occurred_at}`, header
  `Free-Money-Signature: t=<unix>,v1=<hex HMAC-SHA256(FREE_MONEY_WEBHOOK_SECRET,
  t + raw body)>`.

Settings: FREE_MONEY_API_KEY, FREE_MONEY_WEBHOOK_SECRET, FREE_MONEY_EXPIRY_SECONDS
(how long a prompt waits; 300 by default).
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.request
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template_string,
    request,
)

bp = Blueprint("free_money", __name__, url_prefix="/free-money")

WAITING = "pending"


def _ledger():
    return current_app.extensions["paysim"]


def _setting(name: str, default: str = "") -> str:
    return str(current_app.config.get(name, default))


def _error(status: int, code: str, message: str):
    return {"code": code, "message": message}, status


def _find(payment_id: str) -> dict | None:
    payment = _ledger().payments.get(f"free-money:{payment_id}")
    if payment is not None and payment["status"] == WAITING:
        if time.time() > payment["expires_at"]:
            payment["status"] = "expired"
    return payment


def _public(payment: dict) -> dict:
    names = ("id", "status", "amount", "currency", "msisdn", "reference")
    shown = {name: payment[name] for name in names}
    shown["transaction_id"] = payment["transaction_id"]
    shown["refunded_amount"] = payment["refunded_amount"]
    return shown


@bp.before_request
def require_api_key():
    if request.blueprint == "free_money" and request.path.startswith(
        bp.url_prefix + "/payments"
    ):
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        expected = _setting("FREE_MONEY_API_KEY")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "unauthorized", "Invalid API key")
    return None


@bp.post("/payments")
def create_payment():
    data = request.get_json(silent=True) or {}
    amount = data.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        return _error(400, "invalid_amount", "amount: a positive whole number of XOF")
    if data.get("currency", "XOF") != "XOF":
        return _error(400, "invalid_currency", "only XOF")
    msisdn = str(data.get("msisdn") or "")
    if not (msisdn.startswith("+221") and msisdn[1:].isdigit() and len(msisdn) == 13):
        return _error(400, "invalid_msisdn", "msisdn: a Senegalese number, +221...")
    if not data.get("reference") or not data.get("callback_url"):
        return _error(400, "missing_parameter", "reference and callback_url")
    ledger = _ledger()
    reference_key = f"free-money-reference:{data['reference']}"
    with ledger.lock:
        payment = ledger.payments.get(reference_key)
        if payment is not None and payment["amount"] != amount:
            return _error(409, "duplicate_reference", "reference already used")
        if payment is None:
            payment = {
                "id": "fm_" + secrets.token_hex(12),
                "status": WAITING,
                "amount": amount,
                "currency": "XOF",
                "msisdn": msisdn,
                "reference": data["reference"],
                "callback_url": data["callback_url"],
                "transaction_id": None,
                "refunded_amount": 0,
                "refunds": {},
                "expires_at": time.time()
                + float(_setting("FREE_MONEY_EXPIRY_SECONDS", "300")),
            }
            ledger.payments[reference_key] = payment
            ledger.payments[f"free-money:{payment['id']}"] = payment
        shown = _public(payment)
    return shown, 201


@bp.get("/payments/<payment_id>")
def get_payment(payment_id):
    with _ledger().lock:
        payment = _find(payment_id)
        if payment is None:
            return _error(404, "not_found", "No such payment")
        return _public(payment)


@bp.post("/payments/<payment_id>/refunds")
def refund_payment(payment_id):
    data = request.get_json(silent=True) or {}
    amount, reference = data.get("amount"), data.get("reference")
    if not isinstance(amount, int) or amount <= 0 or not reference:
        return _error(400, "invalid_refund", "amount and reference")
    with _ledger().lock:
        payment = _find(payment_id)
        if payment is None:
            return _error(404, "not_found", "No such payment")
        done = payment["refunds"].get(reference)
        if done is not None:  # the same refund asked again
            return done, 201
        if payment["status"] not in {"succeeded", "refunded"}:
            return _error(409, "not_refundable", "Only a succeeded payment")
        if payment["refunded_amount"] + amount > payment["amount"]:
            return _error(400, "amount_too_high", "More than was paid")
        payment["refunded_amount"] += amount
        if payment["refunded_amount"] == payment["amount"]:
            payment["status"] = "refunded"
        refund = {"id": "fmr_" + secrets.token_hex(12), "status": "succeeded"}
        refund["amount"] = amount
        payment["refunds"][reference] = refund
    return refund, 201


PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulateur Free Money</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #eef1f6;
         color: #111; }
  header { background: #cd1e25; color: #fff; padding: 1rem; font-weight: 700; }
  main { max-width: 26rem; margin: 0 auto; padding: 1rem; }
  .card { background: #fff; border-radius: .5rem; padding: 1rem; margin-bottom: 1rem; }
  .amount { font-size: 2rem; font-weight: 700; margin: .5rem 0; }
  .note { color: #555; font-size: .9rem; }
  button { display: block; width: 100%; padding: .9rem; margin-top: .75rem;
           border: 0; border-radius: .4rem; font-size: 1.05rem; font-weight: 700; }
  .pay { background: #cd1e25; color: #fff; }
  .decline { background: #e0e0e0; color: #111; }
  a { display: block; text-align: center; margin-top: 1rem; color: #111; }
</style>
</head>
<body>
<header>Free Money · simulateur du téléphone</header>
<main>
{% if payment %}
  <div class="card">
  {% if payment.status == "pending" %}
    <p>Demande de paiement sur le {{ payment.msisdn }}</p>
    <p class="amount">{{ fcfa(payment.amount) }} FCFA</p>
    <p class="note">Réf. {{ payment.reference }}. Sur un vrai téléphone, vous
      confirmeriez avec votre code secret. Ceci est un simulateur : aucun argent
      ne bouge.</p>
    <form method="post">
      <button class="pay" name="decision" value="approve">
        Payer {{ fcfa(payment.amount) }} FCFA</button>
      <button class="decline" name="decision" value="decline">Refuser</button>
    </form>
  {% elif payment.status == "succeeded" %}
    <p>Paiement de {{ fcfa(payment.amount) }} FCFA effectué.</p>
  {% elif payment.status == "expired" %}
    <p>Cette demande a expiré.</p>
  {% else %}
    <p>Demande {{ "refusée" if payment.status == "failed" else "déjà traitée" }}.</p>
  {% endif %}
  </div>
  <a href="{{ url_for('free_money.phone', msisdn=payment.msisdn) }}">
    Ignorer et revenir au téléphone</a>
{% else %}
  <div class="card">
    <p>Demandes en attente sur le {{ msisdn or "?" }} :</p>
    {% for waiting in waiting_payments %}
      <a href="{{ url_for('free_money.prompt', payment_id=waiting.id) }}">
        {{ fcfa(waiting.amount) }} FCFA, réf. {{ waiting.reference }}</a>
    {% else %}
      <p class="note">Aucune.</p>
    {% endfor %}
  </div>
{% endif %}
</main>
</body>
</html>
"""


def _fcfa(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")


def _render(code: int = 200, **context):
    context.setdefault("payment", None)
    html = render_template_string(PAGE, fcfa=_fcfa, **context)
    return html, code


@bp.get("/phone")
def phone():
    msisdn = request.args.get("msisdn", "").replace(" ", "+", 1)  # an unquoted '+'
    ledger = _ledger()
    with ledger.lock:
        ids = [
            key.split(":", 1)[1]
            for key in ledger.payments
            if key.startswith("free-money:")
        ]
        waiting = [
            dict(payment)
            for payment in map(_find, ids)
            if payment["msisdn"] == msisdn and payment["status"] == WAITING
        ]
    return _render(msisdn=msisdn, waiting_payments=waiting)


@bp.get("/phone/<payment_id>")
def prompt(payment_id):
    with _ledger().lock:
        payment = _find(payment_id)
        if payment is None:
            abort(404)
        shown = dict(payment)
    return _render(410 if shown["status"] == "expired" else 200, payment=shown)


@bp.post("/phone/<payment_id>")
def decide(payment_id):
    decision = request.form.get("decision")
    if decision not in {"approve", "decline"}:
        abort(400)
    with _ledger().lock:
        payment = _find(payment_id)
        if payment is None:
            abort(404)
        decided_now = payment["status"] == WAITING
        if decided_now:
            if decision == "approve":
                payment["status"] = "succeeded"
                payment["transaction_id"] = "FM" + secrets.token_hex(6).upper()
            else:
                payment["status"] = "failed"
            event = {
                "event_id": "fmevt_" + secrets.token_hex(12),
                "payment_id": payment["id"],
                "status": payment["status"],
                "amount": payment["amount"],
                "currency": payment["currency"],
                "reference": payment["reference"],
                "msisdn": payment["msisdn"],
                "transaction_id": payment["transaction_id"],
                "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        shown = dict(payment)
    if decided_now:
        _send_callback(payment["callback_url"], event)
    return _render(410 if shown["status"] == "expired" else 200, payment=shown)


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The `Free-Money-Signature` value for this raw body (Wave's scheme)."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def _send_callback(url: str, event: dict) -> None:
    """POST the signed event from a thread of its own, as a provider's server would."""
    app = current_app._get_current_object()
    body = json.dumps(event).encode()
    secret = _setting("FREE_MONEY_WEBHOOK_SECRET")
    headers = {
        "Content-Type": "application/json",
        "Free-Money-Signature": signature_header(secret, int(time.time()), body),
    }

    def deliver():
        record = {"provider": "free_money", "url": url, "body": body}
        try:
            request_ = urllib.request.Request(url, data=body, headers=headers)
            with urllib.request.urlopen(request_, timeout=10) as response:
                record["status"] = response.status
        except OSError as error:
            record["error"] = str(error)
        ledger = app.extensions["paysim"]
        with ledger.lock:
            ledger.sent_callbacks.append(record)

    threading.Thread(target=deliver, daemon=True).start()
