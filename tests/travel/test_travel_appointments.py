"""An appointment's trip (issue 9): departure = start - travel - margin, sent as its own
reminder once; the origin erased however the appointment ends. SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from smartqueue import travel
from smartqueue.appointments import arrival
from smartqueue.appointments import operations as appointments
from smartqueue.extensions import db as _db
from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import AppointmentStatus, Channel, TravelPlan
from smartqueue.travel import operations as trips
from smartqueue.travel.queries import appointment_trip_view
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

NEAR_PLATEAU = (14.68012, -17.44049)  # on foot, 23 min + a 10 min margin
WALK = {"position": NEAR_PLATEAU, "mode": travel.TravelMode.WALKING}
DEPARTURE = "Partez maintenant pour votre rendez-vous"


@pytest.fixture
def booked(db, agenda):
    """The customer's appointment on Wednesday 2 December at 09:30, with an origin."""
    appointment = appointments.book_appointment(
        agenda.customer, agenda.service, at(2, 9, 30)
    )
    trips.set_appointment_origin(appointment, **WALK)
    return appointment


def _plans():
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(TravelPlan))


def _departure_mails(mailbox, agenda):
    return [
        m
        for m in mailbox.messages(agenda.customer.email)
        if DEPARTURE in str(m["Subject"])
    ]


def test_travel_appointments_the_departure_is_sent_once_when_due(
    db, backend, agenda, booked, frozen, mailbox
):
    view = appointment_trip_view(booked)
    assert (view.travel_minutes, view.margin_minutes) == (23, 10)
    assert view.leave_at == at(2, 8, 57) and not view.leave_now

    frozen.set(at(2, 8, 56))
    assert travel_jobs.send_due_departures() == 0
    frozen.set(at(2, 8, 57))
    assert travel_jobs.send_due_departures() == 1
    [mail] = _departure_mails(mailbox, agenda)
    assert "09:30" in str(mail["Subject"])
    assert appointment_trip_view(booked).leave_now

    frozen.set(at(2, 8, 58))
    assert travel_jobs.send_due_departures() == 0  # once
    travel_jobs.recompute_trips()  # the 5-minute job leaves a told one alone
    assert len(_departure_mails(mailbox, agenda)) == 1


def test_travel_appointments_an_origin_set_after_the_departure_tells_at_once(
    db, backend, agenda, frozen, mailbox
):
    frozen.set(at(2, 8))
    booked = appointments.book_appointment(agenda.customer, agenda.service, at(2, 11))
    frozen.set(at(2, 10, 30))  # past 10:27, the departure on foot
    trips.set_appointment_origin(booked, **WALK)
    assert len(_departure_mails(mailbox, agenda)) == 1
    assert travel_jobs.send_due_departures() == 0


def _check_in(agenda, booked, frozen):
    frozen.set(at(2, 9, 25))
    arrival.check_in(booked, channel=Channel.KIOSK)


def _reschedule(agenda, booked, frozen):
    appointments.reschedule_appointment(booked, at(3, 10), by=agenda.customer)


def _no_show(agenda, booked, frozen):
    frozen.set(at(2, 17, 30))  # after closing
    assert arrival.mark_no_shows(at(2, 0).date()) >= 1


ENDINGS = {
    "cancelled": lambda a, b, f: appointments.cancel_appointment(b, by=a.customer),
    "checked_in": _check_in,
    "rescheduled": _reschedule,
    "no_show": _no_show,
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_travel_appointments_the_origin_is_erased_when_the_appointment_ends(
    db, backend, agenda, booked, frozen, ending
):
    assert _plans() == 1
    ENDINGS[ending](agenda, booked, frozen)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus(ending)
    assert _plans() == 0


def test_travel_appointments_a_past_appointment_takes_no_origin(
    db, backend, agenda, frozen
):
    appointment = appointments.book_appointment(
        agenda.customer, agenda.service, at(2, 9, 30)
    )
    frozen.set(at(2, 9, 31))
    with pytest.raises(trips.TripNotWanted):
        trips.set_appointment_origin(appointment, **WALK)
    assert _plans() == 0


def test_travel_appointments_the_sweep_erases_an_origin_two_hours_after_the_start(
    db, backend, agenda, booked, frozen
):
    """Still "confirmed" (the day's no-show job runs after closing), but the holder has
    come or not: the position is not kept for it."""
    frozen.set(at(2, 9, 30) + timedelta(hours=2, minutes=-1))
    assert travel_jobs.erase_ended_trips() == 0
    frozen.tick(minutes=1)
    assert travel_jobs.erase_ended_trips() == 1
    assert _plans() == 0
