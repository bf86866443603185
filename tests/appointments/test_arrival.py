"""Check-in into the queue, late arrivals, no-shows, following the ticket, the .ics file."""

from datetime import date

import pytest

from smartqueue.appointments import arrival, planning
from smartqueue.appointments import operations as ops
from smartqueue.appointments.errors import CheckInRefused, IllegalMove, TooLate
from smartqueue.appointments.ics import appointment_ics
from smartqueue.models import AppointmentStatus, Channel, TicketStatus
from smartqueue.queueing import operations as queue

from .conftest import at


@pytest.fixture
def booked(db, agenda):
    """The customer's appointment on Wednesday 2 December at 09:30."""
    return ops.book_appointment(agenda.customer, agenda.service, at(2, 9, 30))


def test_check_in_puts_a_ticket_in_the_queue_served_at_its_time(
    db, backend, agenda, booked, frozen
):
    frozen.set(at(2, 9))
    walk_in = queue.issue_ticket(agenda.service, channel=Channel.KIOSK)
    frozen.set(at(2, 9, 10))
    queue.issue_ticket(agenda.service, channel=Channel.KIOSK)  # arrives before it too
    frozen.set(at(2, 9, 20))
    checked = arrival.check_in(booked, channel=Channel.KIOSK)
    ticket = checked.ticket
    assert checked.status is AppointmentStatus.CHECKED_IN
    assert checked.checked_in_at == at(2, 9, 20) and not checked.is_late_arrival
    assert ticket.service_id == agenda.service.id and ticket.channel is Channel.KIOSK
    assert ticket.appointment_at == at(2, 9, 30)
    assert ticket.customer_id == agenda.customer.id
    assert queue.call_next(agenda.counter, by=agenda.agent).id == walk_in.id  # not yet
    queue.finish(walk_in, by=agenda.agent)
    frozen.set(at(2, 9, 30))
    assert queue.call_next(agenda.counter, by=agenda.agent).id == ticket.id  # its time


def test_check_in_follows_the_ticket_to_the_end(db, backend, agenda, booked, frozen):
    frozen.set(at(2, 9, 25))
    ticket = arrival.check_in(booked, channel=Channel.COUNTER, by=agenda.agent).ticket
    assert booked.checked_in_by_id == agenda.agent.id
    frozen.set(at(2, 9, 30))
    queue.call_next(agenda.counter, by=agenda.agent)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.IN_PROGRESS
    queue.finish(ticket, by=agenda.agent)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.COMPLETED
    assert booked.finished_at == at(2, 9, 30)


def test_check_in_missed_call_makes_a_no_show(db, backend, agenda, booked, frozen):
    frozen.set(at(2, 9, 25))
    ticket = arrival.check_in(booked, channel=Channel.KIOSK).ticket
    frozen.set(at(2, 9, 30))
    queue.call_next(agenda.counter, by=agenda.agent)
    for _ in range(3):
        queue.recall(ticket, by=agenda.agent)
    queue.mark_no_show(ticket, by=agenda.agent)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.NO_SHOW


def test_check_in_late_is_a_normal_arrival(db, backend, agenda, booked, frozen):
    frozen.set(at(2, 9, 40))
    walk_in = queue.issue_ticket(agenda.service, channel=Channel.KIOSK)
    frozen.set(at(2, 9, 46))  # 16 min late: past the 15 min grace period
    late = arrival.check_in(booked, channel=Channel.KIOSK)
    assert late.is_late_arrival and late.ticket.appointment_at is None
    assert queue.call_next(agenda.counter, by=agenda.agent).id == walk_in.id


def test_check_in_within_the_grace_period_keeps_the_appointment(
    db, backend, agenda, booked, frozen
):
    planning.set_booking_settings(agenda.service, grace_minutes=30)
    frozen.set(at(2, 9, 40))
    walk_in = queue.issue_ticket(agenda.service, channel=Channel.KIOSK)
    frozen.set(at(2, 9, 55))
    ticket = arrival.check_in(booked, channel=Channel.MOBILE).ticket
    assert ticket.appointment_at == at(2, 9, 30)
    assert queue.call_next(agenda.counter, by=agenda.agent).id == ticket.id
    assert walk_in.status is TicketStatus.WAITING


def test_check_in_refuses_the_wrong_day_or_too_early(db, backend, booked, frozen):
    for moment, message in [
        (at(1, 10), "prévu le 02/12/2026"),
        (at(2, 8, 29), "à partir de 08:30"),
        (at(3, 9, 30), "prévu le 02/12/2026"),
    ]:
        frozen.set(moment)
        with pytest.raises(CheckInRefused, match=message):
            arrival.check_in(booked, channel=Channel.KIOSK)
    assert booked.status is AppointmentStatus.CONFIRMED and booked.ticket_id is None


def test_check_in_refuses_twice_and_unconfirmed_ones(
    db, backend, agenda, booked, frozen, make_user
):
    frozen.set(at(2, 9))
    ticket = arrival.check_in(booked, channel=Channel.KIOSK).ticket
    with pytest.raises(CheckInRefused, match=f"déjà enregistré : ticket {ticket.code}"):
        arrival.check_in(booked, channel=Channel.COUNTER, by=agenda.agent)
    frozen.set(at(1, 10))
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    unpaid = ops.book_appointment(make_user(), agenda.service, at(2, 11))
    cancelled = ops.book_appointment(make_user(), agenda.service, at(2, 11))
    ops.cancel_appointment(cancelled)
    frozen.set(at(2, 10, 45))
    with pytest.raises(CheckInRefused, match="acompte"):
        arrival.check_in(unpaid, channel=Channel.KIOSK)
    with pytest.raises(CheckInRefused, match="annulé"):
        arrival.check_in(cancelled, channel=Channel.KIOSK)


def test_check_in_refused_by_the_queue_leaves_the_appointment_as_it_was(
    db, backend, agenda, booked, frozen
):
    from smartqueue.models import QueueStatus

    agenda.service.queue.status = QueueStatus.PAUSED
    db.session.commit()
    frozen.set(at(2, 9, 30))
    with pytest.raises(Exception, match="fermée"):
        arrival.check_in(booked, channel=Channel.KIOSK)
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED and booked.ticket_id is None


def test_mark_no_shows_at_the_end_of_the_day(db, backend, agenda, booked, frozen):
    came = ops.book_appointment(agenda.agent, agenda.service, at(2, 9, 30))
    frozen.set(at(2, 9, 30))
    arrival.check_in(came, channel=Channel.KIOSK)
    frozen.set(at(2, 16, 59))
    assert arrival.mark_no_shows() == 0  # still open: a late customer may come
    frozen.set(at(2, 17))
    assert arrival.mark_no_shows() == 1
    assert arrival.mark_no_shows() == 0
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.NO_SHOW
    assert came.status is AppointmentStatus.CHECKED_IN


def test_mark_no_shows_of_a_past_day_at_once(db, backend, agenda, booked, frozen):
    frozen.set(at(3, 8))  # the next morning (the job did not run last evening)
    assert arrival.mark_no_shows(date(2026, 12, 2)) == 1
    assert booked.status is AppointmentStatus.NO_SHOW


def test_mark_appointment_no_show_by_staff_after_the_grace_period(
    db, backend, agenda, booked, frozen
):
    frozen.set(at(2, 9, 45))
    with pytest.raises(TooLate, match="15 min"):
        arrival.mark_appointment_no_show(booked, by=agenda.agent)
    frozen.set(at(2, 9, 46))
    missed = arrival.mark_appointment_no_show(booked, by=agenda.agent)
    assert missed.status is AppointmentStatus.NO_SHOW
    with pytest.raises(IllegalMove):
        arrival.mark_appointment_no_show(booked, by=agenda.agent)
    with pytest.raises(CheckInRefused, match="manqué"):
        arrival.check_in(booked, channel=Channel.KIOSK)


def test_appointment_ics_is_an_rfc5545_event(db, backend, agenda, booked):
    agenda.branch.address = "Avenue Léopold Sédar Senghor, Plateau; Dakar"
    db.session.commit()
    text = appointment_ics(booked)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2:] == ["END:VCALENDAR", ""]
    assert "\n" not in text.replace("\r\n", "")
    assert f"UID:{booked.number}@smartqueue" in lines
    assert "DTSTART:20261202T093000Z" in lines and "DTEND:20261202T100000Z" in lines
    assert "DTSTAMP:20261201T100000Z" in lines and "STATUS:CONFIRMED" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "Léopold Sédar Senghor\\, Plateau\\; Dakar" in unfolded
    ops.cancel_appointment(booked)
    assert "STATUS:CANCELLED" in appointment_ics(booked)
