"""The providers' hooks refuse what no provider sends: a body past 64 KiB, announced or
not (a chunked body has no Content-Length), and any call while the provider is off."""

import io

import pytest

from smartqueue.web.payments.hooks import MAX_BODY


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "WAVE_API_KEY": "wave_sn_test",
        "WAVE_WEBHOOK_SECRET": "whs_test",
        "WAVE_API_URL": "http://127.0.0.1:9",
    }


def test_a_body_past_the_limit_is_refused_with_or_without_its_length(client):
    big = b"{" + b" " * MAX_BODY + b"}"
    assert client.post("/hooks/payments/wave", data=big).status_code == 413
    chunked = client.post(
        "/hooks/payments/wave",
        input_stream=io.BytesIO(big),
        headers={"Transfer-Encoding": "chunked"},
        # What gunicorn says of a chunked body it decodes: read it to its end.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413


def test_an_unsigned_body_within_the_limit_is_refused_as_forged(client):
    response = client.post("/hooks/payments/wave", data=b"{}")
    assert response.status_code == 400
    assert response.get_json() == {"ok": False, "error": "refused"}


def test_a_provider_not_configured_has_no_hook(client):
    assert client.post("/hooks/payments/free-money", data=b"{}").status_code == 404
    assert (
        client.post("/hooks/payments/orange-money/PAY-1", data=b"{}").status_code == 404
    )
