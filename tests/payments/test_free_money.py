"""Free Money's push-to-phone adapter against the payment simulator, over real HTTP."""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from smartqueue.payments.providers.base import (
    BadCallback,
    Checkout,
    PaymentState,
    ProviderRefused,
    ProviderUnavailable,
)
from smartqueue.payments.providers.free_money import FreeMoneyProvider
from smartqueue.paysim.free_money import signature_header
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.services import free_port

ACCOUNT = {"FREE_MONEY_API_KEY": "fm-key", "FREE_MONEY_WEBHOOK_SECRET": "fm-secret"}
PHONE = "+221760000001"


@pytest.fixture(scope="module")
def simulator():
    """One simulator for the module (prompts expire after a minute)."""
    with Simulator(**ACCOUNT, FREE_MONEY_EXPIRY_SECONDS="60") as sim:
        yield sim


@pytest.fixture(scope="module")
def recorder():
    """Where the simulator sends the callbacks (one for the module: each test reads
    those that came after its own start)."""
    with CallbackRecorder() as recorder:
        yield recorder


def provider_for(simulator, **overrides) -> FreeMoneyProvider:
    config = {**ACCOUNT, "FREE_MONEY_API_URL": simulator.url + "/free-money"}
    return FreeMoneyProvider.from_config({**config, **overrides})


def checkout(recorder, reference=None, amount=1000, phone=PHONE) -> Checkout:
    return Checkout(
        reference=reference or f"PAY-{time.monotonic_ns()}",
        amount_fcfa=amount,
        description="Ticket VIP",
        success_url="http://shop.test/paid",
        cancel_url="http://shop.test/cancelled",
        notify_url=recorder.url,
        payer_phone=phone,
    )


def callbacks_since(recorder, seen: int, count: int = 1):
    return recorder.wait_for(seen + count)[seen:]


def prompt_url(simulator, started) -> str:
    return f"{simulator.url}/free-money/phone/{started.provider_ref}"


def payer_decides(url: str, decision: str) -> str:
    """What the payer does on their phone's prompt; the page they see after."""
    page = urllib.request.urlopen(url, timeout=5).read().decode()
    assert f'value="{decision}"' in page
    form = urllib.parse.urlencode({"decision": decision}).encode()
    return urllib.request.urlopen(url, data=form, timeout=5).read().decode()


def test_free_money_off_until_configured():
    assert FreeMoneyProvider.from_config({}) is None
    assert FreeMoneyProvider.from_config(ACCOUNT) is None  # no URL: none is published


def test_free_money_prompt_is_a_small_french_page(simulator, recorder):
    started = provider_for(simulator).start(checkout(recorder))
    assert started.redirect_url is None  # the payer confirms on the phone

    page = urllib.request.urlopen(prompt_url(simulator, started), timeout=5)
    html = page.read().decode()

    assert "<title>Simulateur Free Money</title>" in html
    assert "Payer 1 000 FCFA" in html and "Refuser" in html
    assert not re.search(r'(src|href)="https?://', html)  # no external assets
    waiting = urllib.request.urlopen(
        f"{simulator.url}/free-money/phone?msisdn={urllib.parse.quote(PHONE)}",
        timeout=5,
    ).read()
    assert started.provider_ref.encode() in waiting


def test_free_money_approved_payment_then_refund(simulator, recorder):
    provider = provider_for(simulator)
    seen = len(recorder.received)
    order = checkout(recorder)
    started = provider.start(order)

    assert "effectué" in payer_decides(prompt_url(simulator, started), "approve")
    [received] = callbacks_since(recorder, seen)
    callback = provider.verify_callback(
        received.headers, received.body, datetime.now(UTC)
    )

    assert callback.state is PaymentState.COMPLETED
    assert (callback.amount_fcfa, callback.currency) == (1000, "XOF")
    assert callback.provider_ref == started.provider_ref
    assert callback.reference == order.reference
    assert callback.event_id and callback.occurred_at
    status = provider.fetch_status(started.provider_ref)
    assert status.state is PaymentState.COMPLETED

    refund_id = provider.refund(started.provider_ref, 1000, "REFUND-1")
    assert provider.refund(started.provider_ref, 1000, "REFUND-1") == refund_id
    assert provider.fetch_status(started.provider_ref).state is PaymentState.REFUNDED
    with pytest.raises(ProviderRefused):
        provider.refund(started.provider_ref, 1000, "REFUND-2")


def test_free_money_declined_payment(simulator, recorder):
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder))

    assert "refusée" in payer_decides(prompt_url(simulator, started), "decline")
    [received] = callbacks_since(recorder, seen)
    callback = provider.verify_callback(
        received.headers, received.body, datetime.now(UTC)
    )

    assert callback.state is PaymentState.FAILED
    assert provider.fetch_status(started.provider_ref).state is PaymentState.FAILED
    with pytest.raises(ProviderRefused):  # nothing was paid
        provider.refund(started.provider_ref, 1000, "REFUND-1")


def test_free_money_abandoned_prompt_expires_without_a_callback(recorder):
    seen = len(recorder.received)
    with Simulator(**ACCOUNT, FREE_MONEY_EXPIRY_SECONDS="1") as simulator:
        provider = provider_for(simulator)
        started = provider.start(checkout(recorder))
        assert provider.fetch_status(started.provider_ref).state is (
            PaymentState.PROCESSING
        )

        deadline = time.monotonic() + 5
        while provider.fetch_status(started.provider_ref).state is not (
            PaymentState.EXPIRED
        ):
            assert time.monotonic() < deadline, "the prompt never expired"
            time.sleep(0.1)

        with pytest.raises(urllib.error.HTTPError) as prompt:
            urllib.request.urlopen(prompt_url(simulator, started), timeout=5)
        assert prompt.value.code == 410
    assert len(recorder.received) == seen


@pytest.fixture
def approved(simulator, recorder):
    """A payment approved on the phone, and the callback it brought."""
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder))
    payer_decides(prompt_url(simulator, started), "approve")
    [received] = callbacks_since(recorder, seen)
    return provider, received


def test_free_money_forged_signature_is_refused(approved):
    provider, received = approved
    forged = signature_header("not-the-secret", int(time.time()), received.body)

    with pytest.raises(BadCallback):
        provider.verify_callback(
            {"Free-Money-Signature": forged}, received.body, datetime.now(UTC)
        )
    with pytest.raises(BadCallback):
        provider.verify_callback({}, received.body, datetime.now(UTC))
    with pytest.raises(BadCallback):
        provider.verify_callback(
            {"Free-Money-Signature": "v1=abc"}, received.body, datetime.now(UTC)
        )


def test_free_money_stale_callback_is_refused(approved):
    provider, received = approved
    later = datetime.now(UTC) + timedelta(minutes=6)

    with pytest.raises(BadCallback, match="outside the window"):
        provider.verify_callback(received.headers, received.body, later)


def test_free_money_tampered_body_is_refused(approved):
    provider, received = approved
    cheaper = json.loads(received.body) | {"amount": 1}

    with pytest.raises(BadCallback):
        provider.verify_callback(
            received.headers, json.dumps(cheaper).encode(), datetime.now(UTC)
        )
    with pytest.raises(BadCallback):  # a single byte more
        provider.verify_callback(
            received.headers, received.body + b" ", datetime.now(UTC)
        )


def test_free_money_refusals_and_outages(simulator, recorder):
    provider = provider_for(simulator)
    with pytest.raises(ProviderRefused):
        provider.start(checkout(recorder, phone=None))
    with pytest.raises(ProviderRefused):
        provider.start(checkout(recorder, phone="+33612345678"))
    assert provider.fetch_status("fm_nothing") is None

    wrong_key = provider_for(simulator, FREE_MONEY_API_KEY="not-it")
    with pytest.raises(ProviderUnavailable):
        wrong_key.start(checkout(recorder))
    nobody = provider_for(
        simulator, FREE_MONEY_API_URL=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(ProviderUnavailable):
        nobody.start(checkout(recorder))


def test_free_money_same_reference_is_one_payment(simulator, recorder):
    provider = provider_for(simulator)
    order = checkout(recorder)

    assert provider.start(order) == provider.start(order)
    with pytest.raises(ProviderRefused):
        provider.start(checkout(recorder, reference=order.reference, amount=5))
