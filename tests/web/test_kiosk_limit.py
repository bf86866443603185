"""A kiosk link issues tickets at a person's pace: beyond it, a refusal on the kiosk's
own screen, in its language, and no ticket written."""

import html as htmllib

import pytest
from sqlalchemy import func, select

from smartqueue import create_app
from smartqueue.models import DeviceKind, Ticket

BURST = 6  # TICKETS in kiosk/views.py: 6 per 10 seconds


@pytest.fixture
def entrance(make_hall):
    """An open branch with service A, an open counter, and two kiosk links."""
    entrance = make_hall(
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée"), (DeviceKind.KIOSK, "Hall")],
        name="Agence Plateau",
    )
    entrance.service = entrance.a
    (_, entrance.door), (_, entrance.hall) = entrance.screens
    return entrance


@pytest.fixture
def limited(app_config):
    """The app with its rate limits on (counters in this process's memory)."""
    return create_app(dict(app_config, RATELIMIT_ENABLED=True))


def _tap(client, token, service):
    return client.post(
        f"/kiosk/{token}/services/{service.id}/tickets", data={"skip": "x"}
    )


def _count(db) -> int:
    db.session.rollback()  # a fresh read: the taps were committed by another app
    return db.session.scalar(select(func.count(Ticket.id)))


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def test_a_kiosk_link_beyond_a_persons_pace_is_refused_on_its_screen(
    db, entrance, limited
):
    kiosk = limited.test_client()
    codes = [
        _tap(kiosk, entrance.door, entrance.service).status_code for _ in range(BURST)
    ]
    assert codes == [303] * BURST
    refused = _tap(kiosk, entrance.door, entrance.service)
    assert refused.status_code == 429
    page = _text(refused)
    assert "Trop de tickets ont été demandés sur cette borne." in page
    assert "Aucun ticket n'a été délivré." in page
    assert 'class="kiosk-button kiosk-primary"' in page  # back to the start screen
    assert _count(db) == BURST  # nothing written for the refused tap

    # Another kiosk of the branch (another link) still issues.
    other = limited.test_client()
    assert _tap(other, entrance.hall, entrance.service).status_code == 303
    assert _count(db) == BURST + 1


def test_the_refusal_speaks_the_kiosks_language(db, entrance, limited):
    kiosk = limited.test_client()
    kiosk.post(f"/kiosk/{entrance.door}/language", data={"lang": "wo"})
    for _ in range(BURST):
        _tap(kiosk, entrance.door, entrance.service)
    refused = _tap(kiosk, entrance.door, entrance.service)
    assert refused.status_code == 429
    page = _text(refused)
    assert 'lang="wo"' in page
    assert "Trop de tickets" not in page  # not the French text


def test_an_unknown_link_stays_a_404_even_when_limited(db, entrance, limited):
    kiosk = limited.test_client()
    codes = {
        _tap(kiosk, "no-such-link", entrance.service).status_code for _ in range(8)
    }
    assert codes == {404}
    assert _count(db) == 0
