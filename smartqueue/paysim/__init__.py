"""The payment simulator: a small app of its own that behaves like the mobile-money
providers (Wave, Orange Money, Free Money) do: their API (create a payment, read its
status, refund), a checkout page where the payer approves, declines or just leaves, and
the server-to-server callback to SmartQueue, signed as the provider signs it.

It stands in for the providers in the embedded mode (`make run` mounts it in-process
under /paysim) and in the tests (a separate process: `python -m smartqueue.paysim
--port N`), so that the adapters speak real HTTP. Never in production. It imports
nothing of SmartQueue: it knows only what a provider would.

Its state (payments, accounts' secrets) lives in memory, per process.
"""

import threading

from flask import Flask

from . import free_money, orange_money, wave


class Ledger:
    """The simulator's memory: payments by id, and the callbacks it sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.payments: dict[str, dict] = {}
        self.sent_callbacks: list[dict] = []


def create_simulator(settings: dict | None = None) -> Flask:
    """The simulator app. `settings`: the accounts' secrets and where callbacks go, e.g.
    WAVE_API_KEY, WAVE_WEBHOOK_SECRET, WAVE_WEBHOOK_URL (see each provider's module)."""
    app = Flask(__name__)
    app.config.update(settings or {})
    app.extensions["paysim"] = Ledger()
    for module in (wave, orange_money, free_money):
        app.register_blueprint(module.bp)

    @app.get("/health")
    def health():
        return {"ok": True}

    return app
