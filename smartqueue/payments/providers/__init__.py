"""Mobile-money providers behind one interface (base.py), each shaped on its provider's
published API: wave.py, orange_money.py, free_money.py. Off until configured; the
embedded default and the tests talk to the payment simulator (smartqueue/paysim/)."""

from flask import current_app

from ...models import PaymentMethod
from .base import PaymentProvider
from .free_money import FreeMoneyProvider
from .orange_money import OrangeMoneyProvider
from .wave import WaveProvider

ADAPTERS = {
    PaymentMethod.WAVE: WaveProvider,
    PaymentMethod.ORANGE_MONEY: OrangeMoneyProvider,
    PaymentMethod.FREE_MONEY: FreeMoneyProvider,
}


def get_provider(method: PaymentMethod) -> PaymentProvider | None:
    """This app's adapter for a mobile-money method, None when not configured. Built once
    per app (Orange's adapter keeps its OAuth token between payments)."""
    built = current_app.extensions.setdefault("payment_providers", {})
    if method not in built:
        adapter = ADAPTERS.get(method)
        built[method] = adapter.from_config(current_app.config) if adapter else None
    return built[method]


def online_methods() -> list[PaymentMethod]:
    """The mobile-money methods a payer may choose here, in the order shown."""
    return [method for method in ADAPTERS if get_provider(method) is not None]
