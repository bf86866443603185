"""The kiosk's start screen stays current (its services region, fetched again when the
branch changes or its hours open or close it), says it is alive, and asks for a phone
number only where an SMS can reach it."""

import html as htmllib
import re
from datetime import time

import pytest

from config import Config
from smartqueue import create_app
from smartqueue.models import DeviceKind, QueueStatus
from smartqueue.orgs.operations import set_opening_hours
from smartqueue.queueing.devices import revoke_device
from smartqueue.queueing.operations import set_queue_status
from tests.conftest import at

HX = {"HX-Request": "true"}


@pytest.fixture
def kiosk(make_hall):
    """A branch open Monday to Saturday 08:00-17:00 with service A, its manager, a kiosk."""
    return make_hall(
        counters={},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée")],
        name="Agence Plateau",
    )


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def _refresh_in(html: str) -> int:
    return int(re.search(r'data-refresh-in="(\d+)"', html).group(1))


def test_kiosk_start_page_carries_its_live_region(client, kiosk):
    response = client.get(kiosk.url)
    html = _text(response)
    region = re.search(r'<div id="kiosk-offer"[^>]*>', html, re.S).group(0)
    assert f'hx-get="{kiosk.url}"' in region
    assert 'hx-trigger="kiosk-changed from:body"' in region
    assert f'data-kiosk-live="/ws/kiosk/{kiosk.token}"' in region
    assert f'data-kiosk-report="/devices/{kiosk.token}/report"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.vary


def test_kiosk_start_answers_htmx_with_the_region_alone(client, kiosk):
    response = client.get(kiosk.url, headers=HX)
    html = _text(response).strip()
    assert response.status_code == 200
    assert html.startswith('<div id="kiosk-offer"') and html.endswith("</div>")
    assert "Ouverture de compte" in html
    assert "Bienvenue" not in html and "<html" not in html
    assert "HX-Request" in response.vary


def test_kiosk_region_follows_the_managers_pause_and_resume(client, kiosk):
    link = f'href="{kiosk.url}/services/{kiosk.a.id}"'
    assert link in _text(client.get(kiosk.url, headers=HX))

    set_queue_status(kiosk.a.queue, QueueStatus.PAUSED, by=kiosk.manager)
    paused = _text(client.get(kiosk.url, headers=HX))
    assert "File en pause · reprend bientôt" in paused and link not in paused

    set_queue_status(kiosk.a.queue, QueueStatus.CLOSED, by=kiosk.manager)
    assert "File fermée" in _text(client.get(kiosk.url, headers=HX))

    set_queue_status(kiosk.a.queue, QueueStatus.ACTIVE, by=kiosk.manager)
    assert link in _text(client.get(kiosk.url, headers=HX))


def test_kiosk_region_is_refused_to_a_revoked_link(client, kiosk):
    revoke_device(kiosk.device, by=kiosk.manager)
    assert client.get(kiosk.url, headers=HX).status_code == 404


@pytest.mark.parametrize(
    "moment,hours,seconds",
    [
        (at(7, 7, 59, 30), None, 31),  # Monday before opening: at 08:00
        (at(1, 16, 59), None, 61),  # Tuesday before closing: at 17:00
        (at(1, 10), None, 3600),  # hours away: looked at again within the hour
        (at(6, 10), None, 3600),  # Sunday: opens Monday, looked at hourly
        (at(2, 1, 59), (time(20), time(2)), 61),  # the night's tail ends at 02:00
        (at(1, 19, 59, 30), (time(20), time(2)), 31),  # the night starts at 20:00
        (at(1, 23, 59), (time(0), time(0)), 61),  # around the clock: midnight
    ],
)
def test_kiosk_region_fetches_itself_again_when_the_hours_change_its_state(
    client, frozen, kiosk, moment, hours, seconds
):
    if hours:
        set_opening_hours(kiosk.branch, {day: hours for day in range(7)})
    frozen.set(moment)
    assert _refresh_in(_text(client.get(kiosk.url, headers=HX))) == seconds


def test_kiosk_opening_at_eight_is_there_at_the_fetch_it_schedules(
    client, frozen, kiosk
):
    frozen.set(at(7, 7, 59, 30))
    closed = _text(client.get(kiosk.url, headers=HX))
    assert "Fermé · ouvre à 08:00" in closed
    assert f"/services/{kiosk.a.id}" not in closed

    frozen.tick(seconds=_refresh_in(closed))
    opened = _text(client.get(kiosk.url, headers=HX))
    assert "Fermé" not in opened and f"/services/{kiosk.a.id}" in opened


# --- what can reach the customer -------------------------------------------------------


@pytest.mark.parametrize("sms", [False, True])
def test_kiosk_asks_for_a_phone_number_only_with_an_sms_channel(
    app, client, kiosk, sms
):
    app.config["SMS_ENABLED"] = sms
    html = _text(client.get(f"{kiosk.url}/services/{kiosk.a.id}/contact"))
    field = re.search(r'<div class="kiosk-field">.*?</div>', html, re.S).group(0)
    assert ("Téléphone" in field) is sms
    assert ("77 123 45 67" in html) is sms
    assert "e-mail" in field.lower()
    assert "data-kiosk-live" not in html  # mid-flow, nothing live to interrupt them
    # what works with nothing typed, said big in both cases
    assert re.search(
        r'id="kiosk-follow">.*Scannez le code QR de votre ticket', html, re.S
    )


def test_sms_is_on_only_where_a_whole_provider_is_named(app_config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")  # no key file written
    monkeypatch.delenv("SMS_PROVIDER", raising=False)
    monkeypatch.setattr(Config, "PRODUCTION", True)
    assert Config().SMS_PROVIDER is None  # production: nothing until one is named
    monkeypatch.setattr(Config, "PRODUCTION", False)
    assert Config().SMS_PROVIDER == "file"  # embedded: printed and saved, as mail
    monkeypatch.setenv("SMS_PROVIDER", " orange ")
    assert Config().SMS_PROVIDER == "orange"

    def sms_enabled(**settings) -> bool:
        return create_app(dict(app_config, **settings)).config["SMS_ENABLED"]

    assert sms_enabled(SMS_PROVIDER=None) is False
    assert sms_enabled(SMS_PROVIDER="file") is True
    with pytest.raises(RuntimeError, match="ORANGE_SMS_CLIENT_ID"):
        sms_enabled(SMS_PROVIDER="orange")  # named without its settings: no start


def test_kiosk_heartbeat_endpoint_answers_the_kiosks_link(client, kiosk):
    assert client.post(f"/devices/{kiosk.token}/report").status_code == 204
