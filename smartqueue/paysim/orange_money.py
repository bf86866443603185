"""The simulator's Orange Money side: WebPay as Orange publishes it (developer.orange.com,
"Orange Money WebPay"), under /orange-money:

- `POST /oauth/v3/token` (Basic client_id:client_secret, `grant_type=client_credentials`):
  a Bearer access token.
- `POST /orange-money-webpay/{country}/v1/webpayment` (Bearer; JSON merchant_key,
  currency, order_id, amount, return_url, cancel_url, notif_url, lang, reference):
  201 `{status, message, pay_token, payment_url, notif_token}`.
- `GET /pay/{pay_token}`: the payment page (the payer approves, declines or leaves).
  Approving or declining POSTs `{status: SUCCESS|FAILED, notif_token, txnid}` to
  notif_url (no signature, no amount, no timestamp: the notif_token is the proof, as
  with Orange), then sends the payer to return_url or cancel_url.
- `POST /orange-money-webpay/{country}/v1/transactionstatus` (Bearer; order_id, amount,
  pay_token): `{status: INITIATED|PENDING|SUCCESS|FAILED|EXPIRED, order_id, txnid}`.

WebPay has no public refund call (refunds go through Orange's back office), so neither
has the simulator. An order_id sent again with the same amount answers the first
payment (a retry after a lost answer); with another amount, 409.

Settings: ORANGE_MONEY_CLIENT_ID, ORANGE_MONEY_CLIENT_SECRET, ORANGE_MONEY_MERCHANT_KEY,
ORANGE_MONEY_EXPIRY_SECONDS (how long a payment page lives; 600 by default).
"""

import base64
import hmac
import json
import secrets
import threading
import time
import urllib.request

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template_string,
    request,
    url_for,
)

bp = Blueprint("orange_money", __name__, url_prefix="/orange-money")

TOKEN_LIFETIME = 3600
CURRENCIES = {"XOF", "OUV"}  # OUV: the sandbox's play money


def _ledger():
    return current_app.extensions["paysim"]


def _setting(name: str, default: str = "") -> str:
    return str(current_app.config.get(name, default))


def _error(status: int, message: str):
    return {"code": status, "message": message}, status


def _bearer_ok() -> bool:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    ledger = _ledger()
    with ledger.lock:
        expires = ledger.payments.get(f"orange-money-token:{token}")
    return bool(token) and expires is not None and expires > time.time()


@bp.post("/oauth/v3/token")
def token():
    expected = f"{_setting('ORANGE_MONEY_CLIENT_ID')}:"
    expected += _setting("ORANGE_MONEY_CLIENT_SECRET")
    given = request.headers.get("Authorization", "").removeprefix("Basic ").strip()
    try:
        credentials = base64.b64decode(given).decode()
    except ValueError:
        credentials = ""
    if not hmac.compare_digest(credentials.encode(), expected.encode()):
        return {"error": "invalid_client"}, 401
    if request.form.get("grant_type") != "client_credentials":
        return {"error": "unsupported_grant_type"}, 400
    access_token = secrets.token_urlsafe(24)
    ledger = _ledger()
    with ledger.lock:  # tokens live beside the payments, under a key of their own
        key = f"orange-money-token:{access_token}"
        ledger.payments[key] = time.time() + TOKEN_LIFETIME
    return {
        "token_type": "Bearer",
        "access_token": access_token,
        "expires_in": TOKEN_LIFETIME,
    }


def _status_now(payment: dict) -> str:
    """INITIATED turns EXPIRED once the payment page has lived its time."""
    if payment["status"] in {"INITIATED", "PENDING"}:
        if time.time() > payment["expires_at"]:
            payment["status"] = "EXPIRED"
    return payment["status"]


@bp.post("/orange-money-webpay/<country>/v1/webpayment")
def webpayment(country):
    if not _bearer_ok():
        return _error(401, "Invalid access token")
    data = request.get_json(silent=True) or {}
    if not hmac.compare_digest(
        str(data.get("merchant_key", "")), _setting("ORANGE_MONEY_MERCHANT_KEY")
    ):
        return _error(401, "Invalid merchant key")
    missing = [
        name
        for name in ("order_id", "amount", "return_url", "cancel_url", "notif_url")
        if not data.get(name)
    ]
    if missing:
        return _error(400, f"Missing parameter: {', '.join(missing)}")
    amount = data["amount"]
    if not isinstance(amount, int) or amount <= 0:
        return _error(400, "The amount must be a positive whole number")
    if data.get("currency") not in CURRENCIES:
        return _error(400, "Unknown currency")
    ledger = _ledger()
    order_key = f"orange-money-order:{data['order_id']}"
    with ledger.lock:
        existing = ledger.payments.get(order_key)
        if existing is not None:
            if existing["amount"] != amount:
                return _error(409, "Duplicate order_id")
            payment = existing
        else:
            pay_token = "om" + secrets.token_hex(16)
            payment = {
                "pay_token": pay_token,
                "notif_token": secrets.token_hex(16),
                "order_id": data["order_id"],
                "amount": amount,
                "currency": data["currency"],
                "country": country,
                "reference": data.get("reference", ""),
                "return_url": data["return_url"],
                "cancel_url": data["cancel_url"],
                "notif_url": data["notif_url"],
                "status": "INITIATED",
                "txnid": None,
                "expires_at": time.time()
                + float(_setting("ORANGE_MONEY_EXPIRY_SECONDS", "600")),
            }
            ledger.payments[order_key] = payment
            ledger.payments[f"orange-money:{pay_token}"] = payment
    # url_for, not the host alone: the simulator may be mounted under a prefix.
    payment_url = url_for(
        ".payment_page", pay_token=payment["pay_token"], _external=True
    )
    return {
        "status": 201,
        "message": "OK",
        "pay_token": payment["pay_token"],
        "payment_url": payment_url,
        "notif_token": payment["notif_token"],
    }, 201


@bp.post("/orange-money-webpay/<country>/v1/transactionstatus")
def transaction_status(country):
    if not _bearer_ok():
        return _error(401, "Invalid access token")
    data = request.get_json(silent=True) or {}
    ledger = _ledger()
    with ledger.lock:
        payment = ledger.payments.get(f"orange-money:{data.get('pay_token')}")
        if (
            payment is None
            or payment["order_id"] != data.get("order_id")
            or payment["amount"] != data.get("amount")
        ):
            return _error(404, "Transaction not found")
        status = _status_now(payment)
    return {
        "status": status,
        "order_id": payment["order_id"],
        "txnid": payment["txnid"],
    }


PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulateur Orange Money</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #f4f4f4;
         color: #111; }
  header { background: #000; color: #fff; padding: 1rem; font-weight: 700; }
  header span { color: #ff7900; }
  main { max-width: 26rem; margin: 0 auto; padding: 1rem; }
  .card { background: #fff; border-radius: .5rem; padding: 1rem; }
  .amount { font-size: 2rem; font-weight: 700; margin: .5rem 0; }
  .note { color: #555; font-size: .9rem; }
  button { display: block; width: 100%; padding: .9rem; margin-top: .75rem;
           border: 0; border-radius: .4rem; font-size: 1.05rem; font-weight: 700; }
  .pay { background: #ff7900; color: #000; }
  .decline { background: #e0e0e0; color: #111; }
  a { display: block; text-align: center; margin-top: 1rem; color: #111; }
</style>
</head>
<body>
<header><span>Orange</span> Money · simulateur</header>
<main>
  <div class="card">
  {% if status == "INITIATED" %}
    <p>{{ reference or "Paiement à un marchand" }}</p>
    <p class="amount">{{ "{:,}".format(amount).replace(",", " ") }} FCFA</p>
    <p class="note">Commande {{ order_id }}. Ceci est un simulateur : aucun argent
      ne bouge.</p>
    <form method="post">
      <button class="pay" name="decision" value="approve">
        Payer {{ "{:,}".format(amount).replace(",", " ") }} FCFA</button>
      <button class="decline" name="decision" value="decline">Refuser</button>
    </form>
    <a href="{{ cancel_url }}">Annuler et revenir au site</a>
  {% elif status == "EXPIRED" %}
    <p>Ce lien de paiement a expiré.</p>
    <a href="{{ cancel_url }}">Revenir au site</a>
  {% else %}
    <p>Ce paiement est déjà traité ({{ status }}).</p>
    <a href="{{ return_url }}">Revenir au site</a>
  {% endif %}
  </div>
</main>
</body>
</html>
"""


def _payment_or_404(pay_token: str) -> dict:
    payment = _ledger().payments.get(f"orange-money:{pay_token}")
    if payment is None:
        abort(404)
    return payment


@bp.get("/pay/<pay_token>")
def payment_page(pay_token):
    ledger = _ledger()
    with ledger.lock:
        payment = _payment_or_404(pay_token)
        status = _status_now(payment)
    code = 410 if status == "EXPIRED" else 200
    return render_template_string(PAGE, **{**payment, "status": status}), code


@bp.post("/pay/<pay_token>")
def decide(pay_token):
    decision = request.form.get("decision")
    if decision not in {"approve", "decline"}:
        abort(400)
    ledger = _ledger()
    with ledger.lock:
        payment = _payment_or_404(pay_token)
        settled_before = _status_now(payment) != "INITIATED"
        if not settled_before:
            if decision == "approve":
                payment["status"] = "SUCCESS"
                payment["txnid"] = "MP" + time.strftime("%y%m%d.%H%M.")
                payment["txnid"] += secrets.token_hex(3).upper()
            else:
                payment["status"] = "FAILED"
        notification = {
            "status": payment["status"],
            "notif_token": payment["notif_token"],
            "txnid": payment["txnid"],
        }
    if settled_before:  # a second click, or a page left open past its expiry
        return payment_page(pay_token)
    _notify_later(current_app._get_current_object(), payment["notif_url"], notification)
    back = payment["return_url"] if decision == "approve" else payment["cancel_url"]
    return redirect(back, code=303)


def _notify_later(app, url: str, notification: dict) -> None:
    """POST the notification from a thread of its own, as Orange's servers would, while
    the payer is already on their way back (so either may arrive first)."""
    body = json.dumps(notification).encode()

    def send():
        outcome = {"url": url, "body": body, "provider": "orange_money"}
        try:
            request_ = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request_, timeout=10) as response:
                outcome["status"] = response.status
        except OSError as error:
            outcome["error"] = str(error)
        ledger = app.extensions["paysim"]
        with ledger.lock:
            ledger.sent_callbacks.append(outcome)

    threading.Thread(target=send, daemon=True).start()
