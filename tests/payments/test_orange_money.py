"""Orange Money WebPay's adapter against the payment simulator, over real HTTP."""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest

from smartqueue.payments.providers.base import (
    BadCallback,
    Checkout,
    PaymentState,
    ProviderRefused,
    ProviderUnavailable,
)
from smartqueue.payments.providers.orange_money import OrangeMoneyProvider, pay_token_of
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.services import free_port

CREDENTIALS = {
    "ORANGE_MONEY_CLIENT_ID": "sq-client",
    "ORANGE_MONEY_CLIENT_SECRET": "sq-client-secret",
    "ORANGE_MONEY_MERCHANT_KEY": "sq-merchant-key",
}
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def simulator():
    """One simulator for the module (payments expire after a minute)."""
    with Simulator(**CREDENTIALS, ORANGE_MONEY_EXPIRY_SECONDS="60") as sim:
        yield sim


@pytest.fixture(scope="module")
def recorder():
    """Where the simulator sends Orange's notifications (one for the module: each test
    reads the notices that came after its own start)."""
    with CallbackRecorder() as recorder:
        yield recorder


def notices_since(recorder, seen: int, count: int = 1):
    """The `count` notices that came after the first `seen`."""
    return recorder.wait_for(seen + count)[seen:]


def provider_for(simulator, **overrides) -> OrangeMoneyProvider:
    config = {**CREDENTIALS, "ORANGE_MONEY_API_URL": simulator.url + "/orange-money"}
    return OrangeMoneyProvider.from_config({**config, **overrides})


def checkout(recorder, reference="PAY-0001", amount=2000) -> Checkout:
    return Checkout(
        reference=reference,
        amount_fcfa=amount,
        description="Rendez-vous garanti",
        success_url="http://shop.test/paid",
        cancel_url="http://shop.test/cancelled",
        notify_url=recorder.url,
    )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def payer_decides(payment_url: str, decision: str) -> str:
    """What a payer's browser does: open the page, press a button; where it is sent."""
    page = urllib.request.urlopen(payment_url, timeout=5).read().decode()
    assert f'value="{decision}"' in page
    form = urllib.parse.urlencode({"decision": decision}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(payment_url, data=form, timeout=5)
    assert answer.value.code == 303
    return answer.value.headers["Location"]


def unique_reference(prefix="PAY") -> str:
    return f"{prefix}-{time.monotonic_ns()}"


def test_orange_money_off_until_configured():
    assert OrangeMoneyProvider.from_config({}) is None
    partial = {"ORANGE_MONEY_CLIENT_ID": "x", "ORANGE_MONEY_CLIENT_SECRET": "y"}
    assert OrangeMoneyProvider.from_config(partial) is None


def test_orange_money_checkout_page_is_a_small_french_page(simulator, recorder):
    started = provider_for(simulator).start(checkout(recorder, unique_reference()))

    page = urllib.request.urlopen(started.redirect_url, timeout=5).read().decode()

    assert "<title>Simulateur Orange Money</title>" in page
    assert "Payer 2 000 FCFA" in page and "Refuser" in page
    assert 'href="http://shop.test/cancelled"' in page
    assert not re.search(r'(src|href)="https?://(?!shop\.test)', page)  # no assets


def test_orange_money_approved_payment_is_notified_and_confirmed(simulator, recorder):
    provider = provider_for(simulator)
    reference = unique_reference()
    seen = len(recorder.received)
    started = provider.start(checkout(recorder, reference))
    assert started.callback_secret and started.redirect_url

    assert payer_decides(started.redirect_url, "approve") == "http://shop.test/paid"
    [notice] = notices_since(recorder, seen)
    callback = provider.verify_callback(
        notice.headers, notice.body, NOW, expected=started
    )

    assert callback.state is PaymentState.COMPLETED
    assert (callback.amount_fcfa, callback.currency) == (2000, "XOF")
    assert callback.reference == reference
    assert callback.provider_ref == started.provider_ref
    assert callback.event_id and callback.event_id.startswith("MP")
    status = provider.fetch_status(started.provider_ref)
    assert status.state is PaymentState.COMPLETED
    assert status.event_id == callback.event_id


def test_orange_money_declined_payment(simulator, recorder):
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder, unique_reference()))

    assert (
        payer_decides(started.redirect_url, "decline") == "http://shop.test/cancelled"
    )
    [notice] = notices_since(recorder, seen)
    callback = provider.verify_callback(
        notice.headers, notice.body, NOW, expected=started
    )

    assert callback.state is PaymentState.FAILED
    assert provider.fetch_status(started.provider_ref).state is PaymentState.FAILED


def test_orange_money_abandoned_payment_expires_without_a_notice(recorder):
    seen = len(recorder.received)
    with Simulator(**CREDENTIALS, ORANGE_MONEY_EXPIRY_SECONDS="1") as simulator:
        provider = provider_for(simulator)
        started = provider.start(checkout(recorder, unique_reference()))
        assert provider.fetch_status(started.provider_ref).state is (
            PaymentState.PROCESSING
        )

        deadline = time.monotonic() + 5
        while provider.fetch_status(started.provider_ref).state is not (
            PaymentState.EXPIRED
        ):
            assert time.monotonic() < deadline, "the payment never expired"
            time.sleep(0.1)

        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(started.redirect_url, timeout=5)
        assert page.value.code == 410
    assert len(recorder.received) == seen


def test_orange_money_notice_with_a_forged_token_is_refused(simulator, recorder):
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder, unique_reference()))
    payer_decides(started.redirect_url, "approve")
    [notice] = notices_since(recorder, seen)
    forged = json.loads(notice.body) | {"notif_token": "0" * 32}

    with pytest.raises(BadCallback):
        provider.verify_callback({}, json.dumps(forged).encode(), NOW, expected=started)
    with pytest.raises(
        BadCallback
    ):  # without what start gave, nothing to check against
        provider.verify_callback(notice.headers, notice.body, NOW)
    with pytest.raises(BadCallback):
        provider.verify_callback({}, b"status=SUCCESS", NOW, expected=started)


def test_orange_money_tampered_notice_is_refused(simulator, recorder):
    """The token is right but the status or the transaction is not Orange's."""
    provider = provider_for(simulator)
    seen = len(recorder.received)
    declined = provider.start(checkout(recorder, unique_reference()))
    payer_decides(declined.redirect_url, "decline")
    [notice] = notices_since(recorder, seen)
    turned_success = json.loads(notice.body) | {"status": "SUCCESS", "txnid": "MP1"}

    with pytest.raises(BadCallback):
        provider.verify_callback(
            {}, json.dumps(turned_success).encode(), NOW, expected=declined
        )

    approved = provider.start(checkout(recorder, unique_reference()))
    payer_decides(approved.redirect_url, "approve")
    [notice] = notices_since(recorder, seen + 1)
    other_txnid = json.loads(notice.body) | {"txnid": "MP000000.0000.X"}
    with pytest.raises(BadCallback):
        provider.verify_callback(
            {}, json.dumps(other_txnid).encode(), NOW, expected=approved
        )


def test_orange_money_replayed_notice_is_the_same_event(simulator, recorder):
    """Orange's notice has no timestamp to judge staleness by: a replay is recognised
    by its event id (the txnid), which the core keeps."""
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder, unique_reference()))
    payer_decides(started.redirect_url, "approve")
    [notice] = notices_since(recorder, seen)

    first = provider.verify_callback({}, notice.body, NOW, expected=started)
    again = provider.verify_callback({}, notice.body, NOW, expected=started)

    assert first == again


def test_orange_money_same_order_twice_is_one_payment(simulator, recorder):
    provider = provider_for(simulator)
    reference = unique_reference()
    first = provider.start(checkout(recorder, reference))

    assert provider.start(checkout(recorder, reference)) == first
    with pytest.raises(ProviderRefused):
        provider.start(checkout(recorder, reference, amount=500))
    assert pay_token_of(first.provider_ref).startswith("om")


def test_orange_money_refund_goes_through_the_back_office(simulator, recorder):
    provider = provider_for(simulator)
    seen = len(recorder.received)
    started = provider.start(checkout(recorder, unique_reference()))
    payer_decides(started.redirect_url, "approve")
    notices_since(recorder, seen)

    with pytest.raises(ProviderRefused, match="back office"):
        provider.refund(started.provider_ref, 2000, "REF-1")


def test_orange_money_unknown_payment_has_no_status(simulator):
    provider = provider_for(simulator)

    assert provider.fetch_status("omnothing:2000:PAY-none") is None


def test_orange_money_wrong_credentials_or_no_server_are_unavailable(
    simulator, recorder
):
    wrong = provider_for(
        simulator,
        ORANGE_MONEY_CLIENT_ID="another-client",  # a token is cached per client id
        ORANGE_MONEY_CLIENT_SECRET="not-it",
    )
    with pytest.raises(ProviderUnavailable):
        wrong.start(checkout(recorder, unique_reference()))

    nobody = provider_for(
        simulator, ORANGE_MONEY_API_URL=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(ProviderUnavailable):
        nobody.start(checkout(recorder, unique_reference()))
