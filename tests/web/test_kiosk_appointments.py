"""Appointment check-in at the kiosk: a typed number (or its last digits), or a scanned QR."""

import html as htmllib
import re
from datetime import time

import pytest
from sqlalchemy import func, select

from smartqueue import create_app
from smartqueue.appointments import arrival, planning
from smartqueue.appointments import operations as appointments
from smartqueue.appointments.slots import SlotSpec
from smartqueue.models import (
    AppointmentStatus,
    Channel,
    DeviceKind,
    Ticket,
    TicketEvent,
)
from smartqueue.queueing.devices import create_device, revoke_device
from tests.conftest import at


@pytest.fixture
def kiosk(db, agenda, make_user):
    """The kiosk of the agenda's branch."""

    class Kiosk:
        manager = make_user(role="branch_manager", branch=agenda.branch)

    Kiosk.device, Kiosk.token = create_device(
        agenda.branch, DeviceKind.KIOSK, "Entrée", by=Kiosk.manager
    )
    Kiosk.url = f"/kiosk/{Kiosk.token}"
    return Kiosk


@pytest.fixture
def book(db, agenda, frozen):
    """Factory: book(hour, minute, day=1, service=agenda.service) -> a confirmed appointment
    of the customer (booked at 06:00 that day, then the clock goes back to now)."""

    def make(hour, minute=0, day=1, service=None):
        now = frozen.now
        frozen.set(at(1, 6))
        booked = appointments.book_appointment(
            agenda.customer, service or agenda.service, at(day, hour, minute)
        )
        frozen.set(now)
        return booked

    return make


def _type(client, kiosk, number):
    return client.post(f"{kiosk.url}/appointments", data={"number": number})


def _scan(client, kiosk, number, token):
    return client.post(
        f"{kiosk.url}/appointments/scan", data={"number": number, "token": token}
    )


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def _tickets(db) -> int:
    return db.session.scalar(select(func.count(Ticket.id)))


def _unchanged(db, appointment, status=AppointmentStatus.CONFIRMED):
    """Nothing written: no ticket, no event, the appointment as it was."""
    db.session.expire_all()
    assert _tickets(db) == 0
    assert db.session.scalar(select(func.count(TicketEvent.id))) == 0
    assert appointment.status is status
    assert appointment.ticket_id is None and appointment.checked_in_at is None


def test_kiosk_start_and_appointment_only_service_lead_to_check_in(
    client, db, agenda, kiosk
):
    agenda.service.requires_appointment = True
    db.session.commit()
    start = _text(client.get(kiosk.url))
    link = re.search(r'<a class="kiosk-appointment".*?</a>', start, re.S).group(0)
    assert f'href="{kiosk.url}/appointments"' in link
    assert "J'ai un rendez-vous" in link
    assert 'id="service-%d"' % agenda.walk_in.id in start  # the services stay
    only = _text(client.get(f"{kiosk.url}/services/{agenda.service.id}"))
    assert "Ce service est uniquement sur rendez-vous." in only
    assert f'href="{kiosk.url}/appointments"' in only


def test_kiosk_start_hides_check_in_where_no_service_takes_appointments(
    client, db, agenda, kiosk
):
    agenda.service.accepts_appointments = False
    db.session.commit()
    assert "kiosk-appointment" not in _text(client.get(kiosk.url))


def test_kiosk_check_in_screen_has_a_field_keypad_and_hidden_scanner(client, kiosk):
    page = client.get(f"{kiosk.url}/appointments")
    html = _text(page)
    assert page.status_code == 200
    assert f'action="{kiosk.url}/appointments"' in html
    assert re.search(r'<input[^>]*name="number"[^>]*type="text"', html)
    assert "RDV20261201" in html  # today's part, which may be left out
    assert "pour RDV20261201 0007, tapez 0007" in html
    # the keypad and the scanner are shown by scripts only (kiosk.js, kiosk-scan.js)
    assert re.search(r'class="kiosk-keypad"[^>]*hidden', html)
    assert re.search(r'class="kiosk-scan"[^>]*hidden', html)
    assert f'action="{kiosk.url}/appointments/scan"' in html
    assert re.search(r'src="/static/js/kiosk-scan\.[0-9a-f]{10}\.js" defer', html)
    assert "<script>" not in html and " style=" not in html and " onclick" not in html


@pytest.mark.parametrize(
    "typed",
    [
        "{seq}",
        "{short}",
        " {spaced} ",
        "{number}",
        "{lower}",
        "rdv 2026-1201 {seq}",
        "2026 1201 {seq}",
    ],
)
def test_kiosk_checks_in_a_typed_number_and_prints_its_ticket(
    client, db, agenda, kiosk, book, typed
):
    booked = book(10, 30)
    number = booked.number
    seq = number[-4:]
    typed = typed.format(
        seq=seq,
        short=str(int(seq)),
        spaced=f"{seq[:2]} {seq[2:]}",
        number=number,
        lower=number.lower(),
    )
    response = _type(client, kiosk, typed)
    assert response.status_code == 303, _text(response)
    db.session.expire_all()
    assert booked.status is AppointmentStatus.CHECKED_IN
    ticket = booked.ticket
    assert ticket.channel is Channel.KIOSK and ticket.service_id == agenda.service.id
    assert ticket.appointment_at == at(1, 10, 30)
    assert response.headers["Location"].endswith(
        f"{kiosk.url}/tickets/{ticket.token}?print=1"
    )
    html = _text(client.get(response.headers["Location"]))
    assert f'id="ticket-number">{ticket.code}<' in html
    assert "Rendez-vous de 10:30" in html
    assert "data-kiosk-print" in html and 'data-kiosk-idle="20"' in html
    assert "Arrivé après l'heure" not in html


def test_kiosk_checks_in_a_scanned_qr_link(client, db, agenda, kiosk, book):
    booked = book(10, 30)
    response = _scan(client, kiosk, booked.number, booked.check_in_token)
    assert response.status_code == 303
    db.session.expire_all()
    assert booked.status is AppointmentStatus.CHECKED_IN
    assert booked.ticket.channel is Channel.KIOSK
    assert response.headers["Location"].endswith(
        f"/tickets/{booked.ticket.token}?print=1"
    )


def test_kiosk_refuses_a_scanned_qr_with_a_wrong_token(client, db, agenda, kiosk, book):
    booked = book(10, 30)
    response = _scan(client, kiosk, booked.number, "forged-token")
    assert response.status_code == 404
    assert "Ce code QR n'est pas reconnu. Tapez votre numéro." in _text(response)
    _unchanged(db, booked)


@pytest.fixture
def elsewhere(db, agenda, make_branch, make_service, book):
    """An appointment of the same customer, today at 10:30, at another branch."""
    branch = make_branch(name="Agence Médina")
    service = make_service(branch, "A", "Guichet Médina")
    service.accepts_appointments = True
    db.session.commit()
    planning.set_slot_templates(service, [SlotSpec(1, time(9), time(12), 30, 2)])
    return book(10, 30, service=service)


def test_kiosk_does_not_find_another_branchs_number(client, db, kiosk, elsewhere):
    for typed in (elsewhere.number, elsewhere.number[-4:]):
        response = _type(client, kiosk, typed)
        assert response.status_code == 404
        html = _text(response)
        assert "Aucun rendez-vous avec ce numéro dans cette agence." in html
        assert 'aria-invalid="true"' in html and "Agence Médina" not in html
    _unchanged(db, elsewhere)


def test_kiosk_names_the_branch_of_another_branchs_qr(client, db, kiosk, elsewhere):
    response = _scan(client, kiosk, elsewhere.number, elsewhere.check_in_token)
    assert response.status_code == 404
    assert "Ce rendez-vous est prévu dans une autre agence : Agence Médina." in _text(
        response
    )
    _unchanged(db, elsewhere)


def test_kiosk_answers_an_unknown_number_on_the_check_in_screen(
    client, db, kiosk, book
):
    booked = book(10, 30)
    for typed in ("9999", "RDV202612019999", "RDV202612020001"):
        response = _type(client, kiosk, typed)
        assert response.status_code == 404
        assert "Aucun rendez-vous avec ce numéro dans cette agence." in _text(response)
    _unchanged(db, booked)


@pytest.mark.parametrize(
    "day, hour, message",
    [
        (1, 11, "Enregistrement possible à partir de 10:00."),
        (1, 11.5, "Enregistrement possible à partir de 10:30."),
        (2, 9.5, "Ce rendez-vous est prévu le 02/12/2026."),
    ],
)
def test_kiosk_shows_the_refusal_big_and_writes_nothing(
    client, db, kiosk, book, frozen, day, hour, message
):
    booked = book(int(hour), int(hour % 1 * 60), day=day)
    frozen.set(at(1, 9, 59))
    response = _type(client, kiosk, booked.number)
    assert response.status_code == 409
    html = _text(response)
    assert re.search(r'<h1 class="kiosk-big-message">\s*%s' % re.escape(message), html)
    assert "Aucun nouveau ticket n'a été délivré." in html
    assert 'data-kiosk-idle="20"' in html  # then back to the start by itself
    _unchanged(db, booked)


def test_kiosk_checks_in_a_late_customer_as_a_normal_arrival(
    client, db, agenda, kiosk, book, frozen
):
    booked = book(9, 30)
    frozen.set(at(1, 9, 46))  # 16 min late: past the 15 min grace period
    response = _type(client, kiosk, booked.number[-4:])
    assert response.status_code == 303
    db.session.expire_all()
    assert booked.is_late_arrival and booked.ticket.appointment_at is None
    html = _text(client.get(response.headers["Location"]))
    assert "Rendez-vous de 09:30" in html
    assert "Arrivé après l'heure : servi dans l'ordre d'arrivée." in html


def test_kiosk_tells_an_already_checked_in_customer_their_ticket(
    client, db, kiosk, book
):
    booked = book(10, 30)
    code = arrival.check_in(booked, channel=Channel.WEB).ticket.code
    response = _type(client, kiosk, booked.number[-4:])
    assert response.status_code == 409
    assert f"Vous êtes déjà enregistré : ticket {code}." in _text(response)
    assert _tickets(db) == 1


def test_kiosk_refuses_a_cancelled_appointment(client, db, agenda, kiosk, book):
    booked = book(11, 0, day=2)
    appointments.cancel_appointment(booked, by=agenda.customer)
    response = _type(client, kiosk, booked.number)
    assert response.status_code == 409
    assert "Ce rendez-vous a été annulé." in _text(response)
    _unchanged(db, booked, AppointmentStatus.CANCELLED)


@pytest.mark.parametrize(
    "path, data",
    [
        ("/appointments", None),
        ("/appointments", {"number": "0001"}),
        ("/appointments/scan", {"number": "{number}", "token": "{token}"}),
    ],
)
def test_kiosk_check_in_refuses_a_revoked_device(client, db, kiosk, book, path, data):
    booked = book(10, 30)
    revoke_device(kiosk.device, by=kiosk.manager)
    url = kiosk.url + path
    if data is None:
        response = client.get(url)
    else:
        data = {
            k: v.format(number=booked.number, token=booked.check_in_token)
            for k, v in data.items()
        }
        response = client.post(url, data=data)
    assert response.status_code == 404
    _unchanged(db, booked)


@pytest.mark.parametrize(
    "path, data",
    [
        ("/appointments", {}),
        ("/appointments", {"number": ""}),
        ("/appointments", {"number": "   "}),
        ("/appointments", {"number": "abc"}),
        ("/appointments", {"number": "12345"}),
        ("/appointments", {"number": "RDV1"}),
        ("/appointments", {"number": "\x00"}),
        ("/appointments", {"number": "٠٠٠١"}),  # Arabic-Indic digits
        ("/appointments", {"number": "9" * 5000}),
        ("/appointments/scan", {}),
        ("/appointments/scan", {"number": "{number}"}),
        ("/appointments/scan", {"token": "{token}"}),
        ("/appointments/scan", {"number": "../../x", "token": "{token}"}),
        ("/appointments/scan", {"number": "{number}", "token": "x" * 5000}),
        ("/appointments/scan", {"number": "\x00", "token": "\x00"}),
    ],
)
def test_kiosk_check_in_answers_garbage_with_4xx_and_writes_nothing(
    client, db, kiosk, book, path, data
):
    booked = book(10, 30)
    data = {
        k: (
            v.format(number=booked.number, token=booked.check_in_token)
            if isinstance(v, str)
            else v
        )
        for k, v in data.items()
    }
    response = client.post(kiosk.url + path, data=data)
    assert 400 <= response.status_code < 500, response.status_code
    _unchanged(db, booked)


def test_kiosk_check_in_screen_speaks_the_kiosk_language(client, kiosk):
    client.post(f"{kiosk.url}/language", data={"lang": "wo"})
    html = _text(client.get(f"{kiosk.url}/appointments"))
    assert '<html lang="wo">' in html
    client.post(f"{kiosk.url}/language", data={"lang": "fr"})
    html = _text(
        client.get(f"{kiosk.url}/appointments", headers={"Accept-Language": "en"})
    )
    assert '<html lang="fr">' in html and "J'ai un rendez-vous" in html


@pytest.fixture
def limited_client(app_config, app):
    """An app with its rate limits on (the suite runs with them off), on the same data."""
    return create_app(dict(app_config, RATELIMIT_ENABLED=True)).test_client()


def test_kiosk_stops_guessing_after_ten_unknown_numbers(
    limited_client, db, agenda, kiosk, book
):
    """Someone trying last digits to check in a stranger's appointment gets a pause."""
    booked = book(10, 30)
    for guess in range(9990, 10000):
        assert _type(limited_client, kiosk, str(guess)).status_code == 404
    response = _type(limited_client, kiosk, booked.number[-4:])
    assert response.status_code == 429
    html = _text(response)
    assert "Trop de numéros inconnus ont été tapés sur cette borne." in html
    assert agenda.branch.name in html  # the kiosk's own screen, not a bare error page
    _unchanged(db, booked)


def test_kiosk_counts_only_unknown_numbers_against_the_limit(
    limited_client, db, kiosk, book
):
    booked = book(10, 30)
    arrival.check_in(booked, channel=Channel.WEB)
    for _ in range(12):  # known, already checked in: told again, never paused
        assert _type(limited_client, kiosk, booked.number[-4:]).status_code == 409


def test_kiosk_limit_is_the_kiosks_own(limited_client, db, agenda, kiosk, book):
    other, other_token = create_device(
        agenda.branch, DeviceKind.KIOSK, "Sortie", by=kiosk.manager
    )
    for guess in range(9990, 10001):
        _type(limited_client, kiosk, str(guess))
    booked = book(10, 30)
    response = limited_client.post(
        f"/kiosk/{other_token}/appointments", data={"number": booked.number[-4:]}
    )
    assert response.status_code == 303
