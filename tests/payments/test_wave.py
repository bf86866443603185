"""The Wave adapter against the simulator, over real HTTP: the payer's page, the signed
webhook, the status and the refund."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from smartqueue.payments.providers.base import (
    BadCallback,
    Checkout,
    PaymentState,
    ProviderRefused,
    ProviderUnavailable,
)
from smartqueue.payments.providers.wave import WaveProvider
from smartqueue.paysim.wave import signature_header
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.services import free_port

API_KEY = "wave_sn_test_key"
WEBHOOK_SECRET = "wave_sn_WHS_test_secret"


def settings(webhook_url: str, **extra) -> dict:
    return {
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_WEBHOOK_URL": webhook_url,
        **extra,
    }


@pytest.fixture(scope="module")
def recorder():
    """SmartQueue's webhook endpoint, standing in: records what Wave sends."""
    with CallbackRecorder("/payments/wave/webhook") as recorder:
        yield recorder


@pytest.fixture(scope="module")
def sim(recorder):
    """The simulator, sending Wave's webhooks to the recorder."""
    with Simulator(**settings(recorder.url)) as sim:
        yield sim


@pytest.fixture
def wave(sim):
    """The adapter, configured as the app would be, pointed at the simulator."""
    return WaveProvider.from_config(
        {
            "WAVE_API_KEY": API_KEY,
            "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WAVE_API_URL": sim.url + "/wave",
        }
    )


_counter = iter(range(1_000_000))


def a_checkout(amount_fcfa: int = 2000) -> Checkout:
    reference = f"PAY-{time.time_ns()}-{next(_counter)}"
    return Checkout(
        reference=reference,
        amount_fcfa=amount_fcfa,
        description="Rendez-vous garanti",
        success_url=f"http://smartqueue.test/payments/{reference}/done",
        cancel_url=f"http://smartqueue.test/payments/{reference}/cancelled",
        notify_url="http://smartqueue.test/payments/wave/webhook",
    )


class CheckoutForm(HTMLParser):
    """The page's form as a payer's browser sees it: its action and its buttons."""

    def __init__(self):
        super().__init__()
        self.action, self.buttons, self.links = None, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "button":
            self.buttons[attrs["value"]] = attrs["name"]
        elif tag == "a":
            self.links.append(attrs.get("href"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the success/error URLs are SmartQueue's: look, do not follow


browser = urllib.request.build_opener(NoRedirect)


def open_page(url: str) -> tuple[int, str]:
    try:
        with browser.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def press(page_url: str, decision: str) -> tuple[int, str | None]:
    """Press the page's button for `decision` (approve/decline): status, Location."""
    status, html = open_page(page_url)
    assert status == 200, html
    form = CheckoutForm()
    form.feed(html)
    field = form.buttons[decision]
    data = urllib.parse.urlencode({field: decision}).encode()
    action = urllib.parse.urljoin(page_url, form.action)
    try:
        with browser.open(action, data=data, timeout=10) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location")


def callback_for(recorder, provider_ref: str):
    return recorder.wait_until(lambda received: provider_ref.encode() in received.body)


def now() -> datetime:
    return datetime.now(UTC)


def test_wave_checkout_page_is_a_small_french_page(wave):
    started = wave.start(a_checkout(amount_fcfa=1500))
    assert started.provider_ref.startswith("cos-")

    status, html = open_page(started.redirect_url)

    assert status == 200
    assert "<title>Simulateur Wave</title>" in html
    assert "Payer 1\u202f500 FCFA" in html and "Refuser" in html
    form = CheckoutForm()
    form.feed(html)
    assert set(form.buttons) == {"approve", "decline"}
    assert "/cancelled" in form.links[0]  # leaving goes back to our cancel URL
    assert "<script" not in html and "<link" not in html and "<img" not in html


def test_wave_approved_payment_sends_a_verified_completed_webhook(wave, recorder):
    checkout = a_checkout(amount_fcfa=2000)
    started = wave.start(checkout)

    status, location = press(started.redirect_url, "approve")

    assert (status, location) == (303, checkout.success_url)
    received = callback_for(recorder, started.provider_ref)
    assert received.path == "/payments/wave/webhook"
    callback = wave.verify_callback(received.headers, received.body, now())
    assert callback.provider_ref == started.provider_ref
    assert callback.state is PaymentState.COMPLETED
    assert (callback.amount_fcfa, callback.currency) == (2000, "XOF")
    assert callback.reference == checkout.reference
    assert callback.event_id.startswith("AE_")


def test_wave_fetch_status_of_a_completed_payment(wave):
    checkout = a_checkout(amount_fcfa=1000)
    started = wave.start(checkout)
    press(started.redirect_url, "approve")

    status = wave.fetch_status(started.provider_ref)

    assert status.state is PaymentState.COMPLETED
    assert (status.amount_fcfa, status.reference) == (1000, checkout.reference)
    assert status.occurred_at is not None


def test_wave_declined_payment_sends_a_failed_webhook(wave, recorder):
    checkout = a_checkout()
    started = wave.start(checkout)

    status, location = press(started.redirect_url, "decline")

    assert (status, location) == (303, checkout.cancel_url)
    received = callback_for(recorder, started.provider_ref)
    callback = wave.verify_callback(received.headers, received.body, now())
    assert callback.state is PaymentState.FAILED
    assert wave.fetch_status(started.provider_ref).state is PaymentState.FAILED
    # The decision is final: the page refuses a second one.
    assert open_page(started.redirect_url)[0] == 409


def test_wave_start_twice_with_one_reference_gives_one_session(wave):
    checkout = a_checkout()

    assert wave.start(checkout) == wave.start(checkout)


def test_wave_abandoned_payment_expires_without_a_webhook(recorder):
    with Simulator(**settings(recorder.url, WAVE_SESSION_TTL_SECONDS="1")) as sim:
        wave = WaveProvider(API_KEY, WEBHOOK_SECRET, sim.url + "/wave")
        started = wave.start(a_checkout())
        assert open_page(started.redirect_url)[0] == 200  # the payer looks, then leaves
        assert wave.fetch_status(started.provider_ref).state is PaymentState.PROCESSING

        deadline = time.monotonic() + 8
        while wave.fetch_status(started.provider_ref).state is PaymentState.PROCESSING:
            assert time.monotonic() < deadline, "the session never expired"
            time.sleep(0.2)

        assert wave.fetch_status(started.provider_ref).state is PaymentState.EXPIRED
        assert open_page(started.redirect_url)[0] == 410
    assert not [c for c in recorder.received if started.provider_ref.encode() in c.body]


@pytest.fixture
def completed_webhook(wave, recorder):
    """A genuine completed webhook, as received: (headers, raw body)."""
    started = wave.start(a_checkout(amount_fcfa=500))
    press(started.redirect_url, "approve")
    received = callback_for(recorder, started.provider_ref)
    return received.headers, received.body


def test_wave_webhook_with_a_forged_signature_is_refused(wave, completed_webhook):
    headers, body = completed_webhook
    forged = {
        **headers,
        "Wave-Signature": signature_header("guess", int(time.time()), body),
    }

    with pytest.raises(BadCallback):
        wave.verify_callback(forged, body, now())


def test_wave_webhook_without_a_signature_is_refused(wave, completed_webhook):
    headers, body = completed_webhook
    unsigned = {k: v for k, v in headers.items() if k.lower() != "wave-signature"}

    with pytest.raises(BadCallback):
        wave.verify_callback(unsigned, body, now())


def test_wave_webhook_with_a_stale_timestamp_is_refused(wave, completed_webhook):
    headers, body = completed_webhook
    signed_long_ago = {
        **headers,
        "Wave-Signature": signature_header(
            WEBHOOK_SECRET, int(time.time()) - 6 * 60, body
        ),
    }

    with pytest.raises(BadCallback):
        wave.verify_callback(signed_long_ago, body, now())
    with pytest.raises(BadCallback):  # the genuine one, replayed 6 minutes later
        wave.verify_callback(headers, body, now() + timedelta(minutes=6))


def test_wave_webhook_with_a_tampered_body_is_refused(wave, completed_webhook):
    headers, body = completed_webhook
    event = json.loads(body)
    event["data"]["amount"] = "5"
    tampered = json.dumps(event, separators=(",", ":")).encode()

    with pytest.raises(BadCallback):
        wave.verify_callback(headers, tampered, now())


def test_wave_refund_of_a_completed_payment(wave):
    checkout = a_checkout(amount_fcfa=2000)
    started = wave.start(checkout)
    press(started.redirect_url, "approve")

    with pytest.raises(ProviderRefused):  # Wave gives back a whole payment only
        wave.refund(started.provider_ref, 1000, "REFUND-part")
    reference = wave.refund(started.provider_ref, 2000, "REFUND-" + checkout.reference)

    assert reference == started.provider_ref
    assert wave.fetch_status(started.provider_ref).state is PaymentState.REFUNDED


def test_wave_refund_of_an_unpaid_payment_is_refused(wave):
    started = wave.start(a_checkout(amount_fcfa=2000))

    with pytest.raises(ProviderRefused):
        wave.refund(started.provider_ref, 2000, "REFUND-unpaid")


def test_wave_with_a_wrong_api_key_is_refused(sim):
    wave = WaveProvider("wave_sn_wrong", WEBHOOK_SECRET, sim.url + "/wave")

    with pytest.raises(ProviderRefused):
        wave.start(a_checkout())


def test_wave_not_answering_is_unavailable():
    wave = WaveProvider(API_KEY, WEBHOOK_SECRET, f"http://127.0.0.1:{free_port()}")

    with pytest.raises(ProviderUnavailable):
        wave.start(a_checkout())


def test_wave_is_off_until_configured():
    assert WaveProvider.from_config({}) is None
    assert WaveProvider.from_config({"WAVE_API_KEY": API_KEY}) is None
