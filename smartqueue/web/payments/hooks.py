"""The providers' server-to-server callbacks.

One address per provider: Wave's webhook is registered once for the account (its portal
takes one URL), Free Money's callback_url and Orange's notif_url are given with each
payment; Orange's names our payment, because its notice carries only the notif_token
to check against that payment.

A callback that changes nothing (forged or stale signature, an unknown payment, an
amount or currency that is not the payment's, a status going backwards) is logged by
the core; a bad one answers 400 so that the provider's log shows it. A provider that
is not configured has no hook (404). No session, no cookie: CSRF does not apply.
"""

import logging

from flask import abort, jsonify, request, url_for

from ...extensions import csrf
from ...models import Payment, PaymentMethod
from ...payments import operations
from ...payments.providers import get_provider
from ...payments.providers.base import BadCallback, ProviderUnavailable
from . import bp

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


@bp.post("/hooks/payments/wave")
@csrf.exempt
def wave_callback():
    return _receive(PaymentMethod.WAVE)


@bp.post("/hooks/payments/orange-money/<reference>")
@csrf.exempt
def orange_money_callback(reference: str):
    return _receive(PaymentMethod.ORANGE_MONEY, reference=reference[:24])


@bp.post("/hooks/payments/free-money")
@csrf.exempt
def free_money_callback():
    return _receive(PaymentMethod.FREE_MONEY)


# Where each provider's server calls back about a payment (Orange's names the payment).
CALLBACKS = {
    PaymentMethod.WAVE: "payments.wave_callback",
    PaymentMethod.ORANGE_MONEY: "payments.orange_money_callback",
    PaymentMethod.FREE_MONEY: "payments.free_money_callback",
}


def notify_url(payment: Payment) -> str:
    """The callback address to give the provider when starting this payment."""
    named = {"reference": payment.reference}
    return url_for(
        CALLBACKS[payment.method],
        _external=True,
        **(named if payment.method is PaymentMethod.ORANGE_MONEY else {}),
    )


def _receive(method: PaymentMethod, reference: str | None = None):
    if get_provider(method) is None:
        abort(404)
    # Read at most one byte past the limit: a chunked body has no Content-Length.
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(413)
    try:
        payment = operations.receive_callback(
            method, dict(request.headers), body, reference=reference
        )
    except BadCallback as refused:
        log.warning("payment callback refused, nothing changed: %s", refused)
        return jsonify(ok=False, error="refused"), 400
    except ProviderUnavailable as error:
        # Orange's SUCCESS is confirmed by asking Orange: not now, so Orange retries.
        log.warning("payment callback not checked yet: %s", error)
        return jsonify(ok=False, error="try again"), 503
    return jsonify(ok=True, status=payment.status.value)
