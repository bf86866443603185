"""A payment's idempotency key names one request: asked again by the same payer for the
same purpose, the same payment; by anyone else, or for anything else, nothing of it."""

import pytest

from smartqueue.models import PaymentMethod, PaymentPurpose
from smartqueue.payments import operations as payments
from smartqueue.payments.errors import NotPayable

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def app_config(app_config):
    """Wave configured (never called: creating a payment does not reach it)."""
    return {
        **app_config,
        "WAVE_API_KEY": "wave_sn_test",
        "WAVE_WEBHOOK_SECRET": "whs_test",
        "WAVE_API_URL": "http://127.0.0.1:9",
    }


def ask(payer, key="form-key-1", purpose=PaymentPurpose.PENALTY_FEE):
    return payments.create_payment(
        purpose=purpose,
        method=PaymentMethod.WAVE,
        amount_fcfa=1000,
        description="Pénalité",
        idempotency_key=key,
        payer=payer,
    )


def test_the_same_request_twice_is_one_payment(db, make_user):
    awa = make_user()
    first, again = ask(awa), ask(awa)
    assert first.id == again.id and again.checkout_url is None


def test_another_payers_key_gives_nothing_of_the_payment(db, make_user):
    first = ask(make_user())
    with pytest.raises(NotPayable):
        ask(make_user())
    with pytest.raises(NotPayable):
        ask(None)
    with pytest.raises(NotPayable):
        ask(first.payer, purpose=PaymentPurpose.SERVICE_FEE)
