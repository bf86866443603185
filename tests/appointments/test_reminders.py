"""The 24 h and 2 h reminders (sent once, never for cancelled or moved appointments) and
the periodic housekeeping; the jobs run in this process (no Redis) against the SMTP sink."""

from smartqueue.appointments import operations as ops
from smartqueue.appointments import planning
from smartqueue.jobs import reminders, schedule
from smartqueue.models import AppointmentStatus
from smartqueue.notifications import notices

from .conftest import at


def _reminders(mailbox, to):
    return [str(m["Subject"]) for m in mailbox.messages(to) if "Rappel" in m["Subject"]]


def test_send_due_reminders_sends_each_reminder_once(
    db, backend, agenda, frozen, mailbox
):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    frozen.set(at(2, 8, 59))
    assert reminders.send_due_reminders() == 0
    frozen.set(at(2, 9))  # 24 h before
    assert reminders.send_due_reminders() == 1
    assert reminders.send_due_reminders() == 0
    assert _reminders(mailbox, agenda.customer.email) == [
        "Rappel : rendez-vous le jeudi 3 décembre 2026 à 09:00"
    ]
    frozen.set(at(3, 6, 59))
    assert reminders.send_due_reminders() == 0
    frozen.set(at(3, 7))  # 2 h before
    assert reminders.send_due_reminders() == 1
    frozen.tick(minutes=30)
    assert reminders.send_due_reminders() == 0
    assert _reminders(mailbox, agenda.customer.email)[1:] == [
        "Rappel : votre rendez-vous à 09:00"
    ]
    message = mailbox.messages(agenda.customer.email)[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert booked.number in body and agenda.branch.address in body
    db.session.refresh(booked)
    assert booked.reminder_24h_sent_at == at(2, 9)
    assert booked.reminder_2h_sent_at == at(3, 7)


def test_send_due_reminders_skips_cancelled_and_moved_ones(
    db, backend, agenda, frozen, mailbox
):
    cancelled = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    ops.cancel_appointment(cancelled)
    old = ops.book_appointment(agenda.customer, agenda.service, at(3, 10))
    new = ops.reschedule_appointment(old, at(4, 10))
    frozen.set(at(2, 10))  # 24 h before the cancelled one and the old time
    assert reminders.send_due_reminders() == 0
    frozen.set(at(3, 10))  # 24 h before the new time
    assert reminders.send_due_reminders() == 1
    frozen.set(at(4, 8))
    assert reminders.send_due_reminders() == 1
    assert _reminders(mailbox, agenda.customer.email) == [
        "Rappel : rendez-vous le vendredi 4 décembre 2026 à 10:00",
        "Rappel : votre rendez-vous à 10:00",
    ]
    assert notices.tell_reminder(old.id, "2h") == 0
    assert notices.tell_reminder(new.id, "2h") == 0  # sent already


def test_send_due_reminders_skips_the_24h_one_when_booked_within_24h(
    db, backend, agenda, frozen, mailbox
):
    ops.book_appointment(agenda.customer, agenda.service, at(2, 9))  # 23 h ahead
    assert reminders.send_due_reminders() == 0
    frozen.set(at(2, 7))
    assert reminders.send_due_reminders() == 1
    assert _reminders(mailbox, agenda.customer.email) == [
        "Rappel : votre rendez-vous à 09:00"
    ]


def test_run_appointment_jobs_lapses_marks_and_reminds(
    db, backend, agenda, frozen, make_user
):
    missed = ops.book_appointment(make_user(), agenda.service, at(2, 9))
    ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    unpaid = ops.book_appointment(make_user(), agenda.service, at(3, 11))
    frozen.set(at(2, 17))
    done = schedule.run_appointment_jobs()
    assert done == {"lapsed": 1, "followed": 0, "no_shows": 1, "reminders": 1}
    for appointment in (missed, unpaid):
        db.session.refresh(appointment)
    assert missed.status is AppointmentStatus.NO_SHOW
    assert unpaid.status is AppointmentStatus.CANCELLED
    assert schedule.run_appointment_jobs() == {
        "lapsed": 0,
        "followed": 0,
        "no_shows": 0,
        "reminders": 0,
    }
