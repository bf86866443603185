"""A reminder's one-tap answers: its links open a page with one button (a mail scanner's
GET changes nothing), "I am coming" is noted, "cancel it" frees the slot at once, even
within the 2 hours the customer's own cancel refuses; a forged link finds nothing."""

import re

import pytest
from sqlalchemy import select

from smartqueue.appointments import operations as ops
from smartqueue.appointments import queries
from smartqueue.jobs import reminders
from smartqueue.models import AppointmentStatus, Notification, NotificationKind
from smartqueue.notifications import links
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _answer_paths(db, mailbox, appointment) -> dict:
    """The reminder email's two links, as paths."""
    [mail] = [
        m
        for m in mailbox.messages(appointment.customer.email)
        if "Rappel" in m["Subject"]
    ]
    body = mail.get_body(("plain",)).get_content()
    found = dict(
        (answer, path)
        for path, answer in re.findall(
            r"https?://[^/\s]+(/r/\S+/(coming|cancel))", body
        )
    )
    assert set(found) == {"coming", "cancel"}, body
    return found


def test_the_2h_reminder_answered_cancel_frees_the_slot_at_once(
    client, db, backend, agenda, frozen, mailbox
):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    frozen.set(at(3, 7))  # 2 h before: the customer's own cancel is refused by now
    assert reminders.send_due_reminders() == 1
    written = db.session.scalars(
        select(Notification.channel).where(
            Notification.appointment_id == booked.id,
            Notification.kind == NotificationKind.APPOINTMENT_REMINDER,
        )
    ).all()
    assert "email" in {c.value for c in written}
    paths = _answer_paths(db, mailbox, booked)

    page = client.get(paths["cancel"])  # what a scanner would fetch
    assert page.status_code == 200 and "J'annule ce rendez-vous" in page.text
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CONFIRMED

    done = client.post(paths["cancel"])
    assert done.status_code == 200 and "la place est libérée" in done.text
    db.session.refresh(booked)
    assert booked.status is AppointmentStatus.CANCELLED
    assert booked.cancel_reason == "réponse au rappel"
    # Back on sale: another customer books that very time.
    free = queries.list_available_times(agenda.service, at(3, 9).date())
    assert at(3, 9) in {slot.starts_at for slot in free}
    again = client.post(paths["coming"])
    assert again.status_code == 409  # nothing left to answer


def test_the_24h_reminder_answered_coming_is_noted(
    client, db, backend, agenda, frozen, mailbox
):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    frozen.set(at(2, 9))
    assert reminders.send_due_reminders() == 1
    paths = _answer_paths(db, mailbox, booked)

    assert client.post(paths["coming"]).status_code == 200
    db.session.refresh(booked)
    assert booked.customer_confirmed_at == at(2, 9)
    assert booked.status is AppointmentStatus.CONFIRMED


def test_a_forged_or_unknown_answer_link_finds_nothing(client, db, backend, agenda):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    token = links.answer_token(booked.number)
    assert client.get(f"/r/{token}x/coming").status_code == 404
    assert client.get(f"/r/{token}/maybe").status_code == 404
    assert client.get(f"/r/{links.answer_token('RDV000')}/coming").status_code == 404
