"""Customer appointment pages: calendar, times, booking, the appointment (.ics, QR code,
cancel, move), my appointments, and the customer's own check-in link."""

import html as entities
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as ops
from smartqueue.appointments import planning
from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    BranchClosure,
    Channel,
    Ticket,
    TicketStatus,
)
from tests.appointments.helpers import check_in_path
from tests.conftest import at

HTMX = {"HX-Request": "true"}


def _text(response) -> str:
    return entities.unescape(response.get_data(as_text=True))


def _count(db) -> int:
    return db.session.scalar(select(func.count(Appointment.id)))


def _calendar(service) -> str:
    return f"/appointments/book/{service.id}"


def _day(service, day: int) -> str:
    return f"/appointments/book/{service.id}/2026-12-{day:02d}"


def _book(client, service, day: int, hhmm: str):
    return client.post(_day(service, day), data={"time": hhmm})


def _number_shown(html: str) -> str:
    """The appointment number as the page shows it (in groups)."""
    match = re.search(r'<p class="appointment-number">(.*?)</p>', html)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


def _cell(html: str, day: int) -> str:
    """The calendar cell of December `day`."""
    match = re.search(
        rf'<td><(?:a|span) class="day (\w+)"[^>]*>\s*<span class="day-n">{day}</span>'
        r"(?:<span class=\"day-free\">([^<]*)</span>)?",
        html,
    )
    assert match, f"no cell for {day}"
    return match.group(1), match.group(2)


@pytest.fixture
def customer(agenda, auth):
    """The agenda's verified customer, signed in on the test client."""
    auth.login(agenda.customer)
    return agenda.customer


@pytest.fixture
def booked(db, agenda):
    """The customer's appointment on Wednesday 2 December at 09:30."""
    return ops.book_appointment(agenda.customer, agenda.service, at(2, 9, 30))


# --- the calendar ------------------------------------------------------------------------


def test_calendar_links_days_with_room_and_greys_the_others(
    client, db, agenda, customer, make_user
):
    db.session.add(BranchClosure(branch_id=agenda.branch.id, date=date(2026, 12, 3)))
    db.session.commit()
    for n in range(4):  # every place of Friday 4 December, 3 a person at most
        someone = make_user()
        for hour, minute in [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30)][
            n % 2 * 3 : n % 2 * 3 + 3
        ]:
            ops.book_appointment(someone, agenda.service, at(4, hour, minute))
    html = _text(client.get(_calendar(agenda.service)))
    assert "Décembre 2026" in html and agenda.service.name_fr in html
    assert _cell(html, 2) == ("open", "12")  # 6 slots of 2 places
    assert f'href="{_day(agenda.service, 2)}"' in html
    assert "mercredi 2 décembre : 12 places libres" in html
    assert _cell(html, 1) == ("none", None)  # today: nothing left after the 2 h notice
    assert _cell(html, 3) == ("none", None)  # closed that day
    assert _cell(html, 4) == ("full", "complet")
    assert _cell(html, 5) == ("none", None)  # Saturday: open, but no appointments
    assert _cell(html, 31) == ("open", "12")  # the last day of the 30-day window
    assert f'href="{_day(agenda.service, 4)}"' not in html
    assert "Mois suivant" not in html and "Mois précédent" not in html


def test_calendar_pages_through_the_months_of_the_window(client, agenda, customer):
    planning.set_booking_settings(agenda.service, max_advance_days=45)
    html = _text(client.get(_calendar(agenda.service)))
    assert "Décembre 2026" in html and "Mois suivant" in html
    assert f'href="{_calendar(agenda.service)}?month=2027-01"' in html
    january = client.get(_calendar(agenda.service) + "?month=2027-01", headers=HTMX)
    fragment = _text(january)
    assert fragment.lstrip().startswith(
        '<section class="card booking-calendar" id="booking-calendar"'
    )
    assert "Janvier 2027" in fragment and "Mois précédent" in fragment
    assert "Mois suivant" not in fragment
    assert 'href="/appointments/book/{}/2027-01-15"'.format(agenda.service.id) in (
        fragment
    )
    assert "<html" not in fragment
    # A month outside the window shows the nearest one.
    assert "Janvier 2027" in _text(
        client.get(_calendar(agenda.service) + "?month=2030-05")
    )


def test_calendar_without_any_room_says_so(client, db, agenda, customer):
    planning.set_slot_templates(agenda.service, [])
    html = _text(client.get(_calendar(agenda.service)))
    assert "Plus aucune place dans les semaines à venir." in html
    assert 'class="day open"' not in html


# --- the day's times and booking ---------------------------------------------------------


def test_times_lists_the_days_free_times_with_the_places_left(
    client, agenda, customer, make_user
):
    ops.book_appointment(make_user(), agenda.service, at(2, 9, 30))
    html = _text(client.get(_day(agenda.service, 2)))
    times = re.findall(r'name="time" value="(\d\d:\d\d)"', html)
    assert times == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert "Mercredi 2 décembre" in html
    assert re.search(r"<strong>09:30</strong><small>1 place</small>", html)
    assert re.search(r"<strong>10:00</strong><small>2 places</small>", html)
    assert "Confirmer le rendez-vous" in html


def test_times_of_today_start_after_the_notice(client, agenda, customer, frozen):
    frozen.set(at(2, 7, 15))
    html = _text(client.get(_day(agenda.service, 2)))
    times = re.findall(r'name="time" value="(\d\d:\d\d)"', html)
    assert times == ["09:30", "10:00", "10:30", "11:00", "11:30"]


def test_book_redirects_to_the_confirmation(client, db, agenda, customer):
    response = _book(client, agenda.service, 2, "09:30")
    assert response.status_code == 303
    assert response.headers["Location"] == "/appointments/RDV202612020001"
    booked = db.session.scalar(select(Appointment))
    assert (booked.customer_id, booked.starts_at, booked.status) == (
        customer.id,
        at(2, 9, 30),
        AppointmentStatus.CONFIRMED,
    )
    html = _text(client.get(response.headers["Location"]))
    assert "Votre rendez-vous est réservé." in html
    assert _number_shown(html) == "RDV202612020001"
    assert "Mercredi 2 décembre 2026" in html
    assert "09:30" in html and "Confirmé" in html
    assert agenda.branch.name in html and agenda.service.name_fr in html
    assert 'href="/appointments/RDV202612020001.ics"' in html
    assert "<svg" in html and "booking-qr" in html


@pytest.mark.parametrize(
    "day,hhmm,message",
    [
        (1, "11:00", "Réservez au moins 2 h à l'avance."),
        (2, "09:10", "Cette heure n'est pas proposée"),
        (2, "12:00", "Cette heure n'est pas proposée"),
        (5, "10:00", "Cette heure n'est pas proposée"),
    ],
)
def test_book_refusals_show_the_times_again(
    client, db, agenda, customer, day, hhmm, message
):
    response = _book(client, agenda.service, day, hhmm)
    assert response.status_code == 409
    html = _text(response)
    assert message in html and 'role="alert"' in html
    assert "Prendre rendez-vous" in html
    assert _count(db) == 0


def test_book_a_full_time_says_it_is_full(client, db, agenda, customer, make_user):
    for _ in range(2):
        ops.book_appointment(make_user(), agenda.service, at(2, 9, 30))
    response = _book(client, agenda.service, 2, "09:30")
    assert response.status_code == 409
    html = _text(response)
    assert "Ce créneau est complet. Choisissez une autre heure." in html
    assert 'value="09:30"' not in html and 'value="10:00"' in html
    assert _count(db) == 2


def test_book_too_far_ahead_is_refused(client, db, agenda, customer):
    response = client.post(
        f"/appointments/book/{agenda.service.id}/2027-01-05", data={"time": "09:00"}
    )
    assert response.status_code == 409
    assert "au plus 30 jours à l'avance" in _text(response)
    assert _count(db) == 0


def test_book_a_fourth_appointment_the_same_day_is_refused(
    client, db, agenda, customer
):
    for hhmm in ("09:00", "10:00", "11:00"):
        assert _book(client, agenda.service, 2, hhmm).status_code == 303
    response = _book(client, agenda.service, 2, "11:30")
    assert response.status_code == 409
    assert "Vous avez déjà 3 rendez-vous ce jour-là" in _text(response)
    assert _count(db) == 3


@pytest.mark.parametrize(
    "data", [{}, {"time": ""}, {"time": "9h30"}, {"time": "25:00"}]
)
def test_book_without_a_proper_time_is_422(client, db, agenda, customer, data):
    response = client.post(_day(agenda.service, 2), data=data)
    assert response.status_code == 422
    assert "Choisissez une heure dans la liste." in _text(response)
    assert _count(db) == 0


def test_book_with_a_deposit_says_when_to_pay(client, db, agenda, customer):
    planning.set_booking_settings(
        agenda.service, requires_deposit=True, deposit_fcfa=2000, payment_minutes=30
    )
    times = _text(client.get(_day(agenda.service, 2)))
    assert "acompte de 2\u202f000 FCFA" in times
    response = _book(client, agenda.service, 2, "09:30")
    html = _text(client.get(response.headers["Location"]))
    assert "Acompte à régler" in html
    assert "Un acompte de 2\u202f000 FCFA est à régler avant 10:30" in html
    # Not yet paid, not yet checkable: no check-in code to show at the door.
    assert "booking-qr" not in html and "m'enregistrer" not in html


def test_a_service_without_appointments_is_404(client, db, agenda, customer):
    walk_in = agenda.walk_in
    assert client.get(_calendar(walk_in)).status_code == 404
    assert client.get(_day(walk_in, 2)).status_code == 404
    assert _book(client, walk_in, 2, "09:30").status_code == 404
    assert client.get("/appointments/book/999999").status_code == 404
    agenda.branch.is_active = False
    db.session.commit()
    assert client.get(_calendar(agenda.service)).status_code == 404
    assert _count(db) == 0


# --- access --------------------------------------------------------------------------------


def test_anonymous_goes_to_login_and_comes_back(client, db, agenda, booked):
    response = client.get(_calendar(agenda.service))
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/auth/login?next=/appointments/book/{agenda.service.id}"
    )
    post = _book(client, agenda.service, 2, "10:00")
    assert post.headers["Location"] == (
        f"/auth/login?next=/appointments/book/{agenda.service.id}/2026-12-02"
    )
    for path in (
        "/appointments/",
        f"/appointments/{booked.number}",
        f"/appointments/{booked.number}.ics",
        f"/appointments/{booked.number}/move",
    ):
        assert client.get(path).headers["Location"].startswith("/auth/login?next=")
    assert client.post(f"/appointments/{booked.number}/cancel").status_code == 303
    assert _count(db) == 1 and booked.status is AppointmentStatus.CONFIRMED


def test_anonymous_calendar_login_returns_to_the_calendar(client, agenda):
    login = client.get(_calendar(agenda.service) + "?month=2026-12")
    back = client.post(
        login.headers["Location"],
        data={"email": agenda.customer.email, "password": "correct-horse-42"},
    )
    assert back.headers["Location"] == (
        f"/appointments/book/{agenda.service.id}?month=2026-12"
    )


def test_unverified_customer_is_sent_back_with_a_message(client, db, agenda, customer):
    customer.email_verified_at = None
    db.session.commit()
    for response in (
        client.get(_calendar(agenda.service)),
        _book(client, agenda.service, 2, "09:30"),
    ):
        assert response.status_code == 303
        assert response.headers["Location"] == f"/branches/{agenda.branch.id}"
    page = _text(client.get(f"/branches/{agenda.branch.id}"))
    assert "Vérifiez d'abord votre adresse e-mail pour prendre rendez-vous." in page
    assert _count(db) == 0


def test_another_customers_appointment_is_not_found(
    client, db, agenda, auth, booked, make_user
):
    auth.login(make_user())
    number = booked.number
    for path in (
        f"/appointments/{number}",
        f"/appointments/{number}.ics",
        f"/appointments/{number}/move",
        f"/appointments/{number}/move/2026-12-03",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/appointments/{number}/cancel").status_code == 404
    moved = client.post(
        f"/appointments/{number}/move/2026-12-03", data={"time": "10:00"}
    )
    assert moved.status_code == 404
    # The number, not "RDV": three letters turn up in CSRF tokens now and then.
    mine = _text(client.get("/appointments/"))
    assert number not in mine and "Aucun rendez-vous à venir" in mine
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED and _count(db) == 1


def test_staff_book_as_customers_and_see_only_their_own(
    client, db, agenda, auth, booked
):
    auth.login(agenda.agent)
    response = _book(client, agenda.service, 3, "10:00")
    assert response.status_code == 303
    mine = db.session.scalar(
        select(Appointment).where(Appointment.customer_id == agenda.agent.id)
    )
    assert response.headers["Location"] == f"/appointments/{mine.number}"
    assert client.get(f"/appointments/{booked.number}").status_code == 404


# --- one appointment ---------------------------------------------------------------------


def test_appointment_page_has_the_qr_code_of_its_check_in_link(
    client, agenda, customer, booked
):
    html = _text(client.get(f"/appointments/{booked.number}"))
    link = "http://localhost" + check_in_path(booked)
    assert f'href="{link}"' in html
    assert re.search(r'<svg[^>]*class="qr booking-qr"', html)
    assert "Je suis arrivé(e) : m'enregistrer" in html
    assert "jusqu'au 2 décembre à 07:30" in html
    assert "Déplacer le rendez-vous" in html and "Annuler le rendez-vous" in html


def test_appointment_ics_is_a_calendar_file(client, agenda, customer, booked):
    response = client.get(f"/appointments/{booked.number}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{booked.number}.ics"'
    )
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:{booked.number}@smartqueue" in body
    assert "DTSTART:20261202T093000Z" in body


def test_cancel_frees_the_place(client, db, agenda, customer, booked):
    response = client.post(f"/appointments/{booked.number}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/appointments/{booked.number}"
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CANCELLED
    assert booked.cancelled_by_id == customer.id
    html = _text(client.get(response.headers["Location"]))
    assert "Votre rendez-vous est annulé." in html and "Annulé" in html
    assert "booking-qr" not in html and "Annuler le rendez-vous" not in html
    again = client.post(f"/appointments/{booked.number}/cancel")
    assert again.status_code == 409
    assert "Ce rendez-vous ne peut plus être annulé." in _text(again)


def test_cancel_less_than_2_hours_before_is_refused(
    client, db, agenda, customer, booked, frozen
):
    frozen.set(at(2, 8))
    response = client.post(f"/appointments/{booked.number}/cancel")
    assert response.status_code == 409
    assert "Un rendez-vous s'annule au plus tard 2 h avant l'heure." in _text(response)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_move_through_calendar_and_times_to_the_new_appointment(
    client, db, agenda, customer, booked
):
    old = booked.number
    calendar = _text(client.get(f"/appointments/{old}/move"))
    assert "Déplacer mon rendez-vous" in calendar
    assert "Rendez-vous actuel : mercredi 2 décembre à 09:30" in calendar
    assert f'href="/appointments/{old}">Le garder' in calendar
    assert f'href="/appointments/{old}/move/2026-12-03"' in calendar
    times = _text(client.get(f"/appointments/{old}/move/2026-12-02"))
    assert 'value="09:30"' not in times and 'value="10:00"' in times
    assert "Déplacer à cette heure" in times
    response = client.post(
        f"/appointments/{old}/move/2026-12-03", data={"time": "11:00"}
    )
    assert response.status_code == 303
    new = db.session.scalar(
        select(Appointment).where(Appointment.rescheduled_from_id == booked.id)
    )
    assert response.headers["Location"] == f"/appointments/{new.number}"
    assert new.starts_at == at(3, 11)
    html = _text(client.get(response.headers["Location"]))
    assert "Votre rendez-vous est déplacé : voici le nouveau." in html
    assert "Jeudi 3 décembre 2026" in html and "11:00" in html
    assert f'href="/appointments/{old}"' in html  # "replaces"
    moved = _text(client.get(f"/appointments/{old}"))
    assert "Ce rendez-vous a été déplacé." in moved and "Déplacé" in moved
    assert f'href="/appointments/{new.number}"' in moved
    assert "booking-qr" not in moved and "Déplacer le rendez-vous" not in moved
    assert ".ics" not in moved
    assert client.get(f"/appointments/{old}/move").status_code == 404


def test_move_refusals_show_the_cores_message(
    client, db, agenda, customer, booked, frozen, make_user
):
    for _ in range(2):
        ops.book_appointment(make_user(), agenda.service, at(3, 10))
    full = client.post(
        f"/appointments/{booked.number}/move/2026-12-03", data={"time": "10:00"}
    )
    assert full.status_code == 409 and "Ce créneau est complet" in _text(full)
    frozen.set(at(2, 8))
    late = client.post(
        f"/appointments/{booked.number}/move/2026-12-03", data={"time": "11:00"}
    )
    assert late.status_code == 409
    assert "Un rendez-vous se déplace au plus tard 2 h avant l'heure." in _text(late)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED and _count(db) == 3


# --- my appointments ---------------------------------------------------------------------


def test_my_appointments_lists_upcoming_and_past(client, db, agenda, customer, booked):
    later = ops.book_appointment(customer, agenda.service, at(4, 11))
    ops.cancel_appointment(later, by=customer)
    html = _text(client.get("/appointments/"))
    upcoming, past = html.split("Passés, annulés ou déplacés")
    assert f'href="/appointments/{booked.number}"' in upcoming
    assert later.number not in upcoming
    assert f'href="/appointments/{later.number}"' in past and "Annulé" in past
    assert 'href="/appointments/"' in html  # the "Mes rendez-vous" menu link


def test_my_appointments_empty(client, agenda, customer):
    html = _text(client.get("/appointments/"))
    assert "Aucun rendez-vous à venir." in html
    assert "Passés, annulés ou déplacés" not in html


def test_branch_page_offers_booking_for_services_taking_appointments(client, agenda):
    html = _text(client.get(f"/branches/{agenda.branch.id}"))
    assert f'href="/appointments/book/{agenda.service.id}"' in html
    assert f'href="/appointments/book/{agenda.walk_in.id}"' not in html


# --- the check-in link -------------------------------------------------------------------


def test_check_in_by_link_needs_no_sign_in_and_gives_a_ticket(
    client, db, agenda, booked, frozen
):
    frozen.set(at(2, 9))
    page = client.get(check_in_path(booked))
    assert page.status_code == 200
    html = _text(page)
    assert _number_shown(html) == booked.number and "Je suis arrivé(e)" in html
    response = client.post(check_in_path(booked))
    assert response.status_code == 303
    db.session.refresh(booked)
    ticket = db.session.get(Ticket, booked.ticket_id)
    assert response.headers["Location"] == f"/t/{ticket.token}"
    assert booked.status is AppointmentStatus.CHECKED_IN
    assert (ticket.channel, ticket.status, ticket.appointment_at) == (
        Channel.WEB,
        TicketStatus.WAITING,
        at(2, 9, 30),
    )
    assert ticket.service_id == agenda.service.id
    assert client.get(response.headers["Location"]).status_code == 200
    # Again: already checked in, with the way to its ticket.
    shown = _text(client.get(check_in_path(booked)))
    assert (
        f'href="/t/{ticket.token}"' in shown
        and "Je suis arrivé(e)</button>" not in (shown)
    )
    again = client.post(check_in_path(booked))
    assert again.status_code == 409
    assert f"Vous êtes déjà enregistré : ticket {ticket.code}." in _text(again)
    assert f'href="/t/{ticket.token}"' in _text(again)
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


@pytest.mark.parametrize(
    "moment,message",
    [
        (at(1, 10), "Ce rendez-vous est prévu le 02/12/2026."),
        (at(2, 8), "Enregistrement possible à partir de 08:30."),
    ],
)
def test_check_in_refusals_show_the_message(
    client, db, agenda, booked, frozen, moment, message
):
    frozen.set(moment)
    response = client.post(check_in_path(booked))
    assert response.status_code == 409
    assert message in _text(response)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_check_in_of_a_cancelled_appointment_is_refused(client, db, agenda, booked):
    ops.cancel_appointment(booked, by=agenda.customer)
    html = _text(client.get(check_in_path(booked)))
    assert "Annulé" in html and "Je suis arrivé(e)</button>" not in html
    response = client.post(check_in_path(booked))
    assert response.status_code == 409
    assert "Ce rendez-vous a été annulé." in _text(response)


WRONG_TOKENS = ["", "?token=", "?token=wrong", "?token=%00%ff", "?token=" + "x" * 5000]


def test_check_in_with_a_wrong_token_is_404(client, db, agenda, booked):
    for query in WRONG_TOKENS:
        path = f"/appointments/{booked.number}/check-in{query}"
        # A control character in a link is refused before anything is looked up.
        expected = 400 if "%00" in query else 404
        assert client.get(path).status_code == expected, query
        assert client.post(path).status_code == expected, query
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_check_in_with_another_appointments_token_is_404(
    client, db, agenda, booked, make_user
):
    other = ops.book_appointment(make_user(), agenda.service, at(2, 10))
    path = f"/appointments/{booked.number}/check-in?token={other.check_in_token}"
    assert client.get(path).status_code == 404


# --- garbage -------------------------------------------------------------------------------


GARBAGE_PATHS = [
    "/appointments/book/{s}/2026-13-45",
    "/appointments/book/{s}/2026-12-2",
    "/appointments/book/{s}/tomorrow",
    "/appointments/book/{s}/2026-11-30",  # the past
    "/appointments/book/{s}/2027-03-01",  # beyond the window
    "/appointments/book/{s}/9999-12-31",
    "/appointments/book/{s}?month=2026-13",
    "/appointments/book/{s}?month=0000-01",
    "/appointments/book/{s}?month=december",
    "/appointments/book/99999999999999",
    "/appointments/nothing",
    "/appointments/RDV999912310001",
    "/appointments/%00.ics",
    "/appointments/x/move/2026-12-03",
    "/appointments/x/check-in?token=x",
]


def test_garbage_in_urls_is_404(client, agenda, customer):
    for path in GARBAGE_PATHS:
        assert client.get(path.format(s=agenda.service.id)).status_code == 404, path


GARBAGE_POSTS = [
    ("2026-02-30", "10:00"),
    ("0001-01-01", "10:00"),
    ("2026-12-02", "<script>"),
    ("2026-12-02", "10:00:00"),
]


def test_garbage_posts_are_4xx_and_write_nothing(client, db, agenda, customer, booked):
    for day, hhmm in GARBAGE_POSTS:
        for path in (
            f"/appointments/book/{agenda.service.id}/{day}",
            f"/appointments/{booked.number}/move/{day}",
        ):
            response = client.post(path, data={"time": hhmm})
            assert 400 <= response.status_code < 500, (path, response.status_code)
    assert _count(db) == 1
