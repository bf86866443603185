"""Booking, the limits it keeps, deposits and their lapse, cancelling and moving."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from smartqueue.appointments import operations as ops
from smartqueue.appointments import planning, queries
from smartqueue.appointments.errors import (
    IllegalMove,
    LimitReached,
    NotBookable,
    SlotFull,
    SlotUnavailable,
    TooLate,
)
from smartqueue.models import Appointment, AppointmentStatus, BranchClosure

from .conftest import at


def _subjects(mailbox, to):
    return [str(m["Subject"]) for m in mailbox.messages(to)]


def test_book_appointment_confirms_and_mails_the_customer(db, backend, agenda, mailbox):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(2, 9, 30))
    assert booked.status is AppointmentStatus.CONFIRMED
    assert booked.number == "RDV202612020001"
    assert (booked.day, booked.starts_at, booked.ends_at) == (
        date(2026, 12, 2),
        at(2, 9, 30),
        at(2, 10),
    )
    assert booked.branch_id == agenda.branch.id and booked.confirmed_at == at(1, 10)
    assert len(booked.check_in_token) >= 40
    [subject] = _subjects(mailbox, agenda.customer.email)
    assert subject.startswith(
        "Rendez-vous confirmé le mercredi 2 décembre 2026 à 09:30"
    )
    body = mailbox.messages()[0].get_body(preferencelist=("plain",)).get_content()
    assert "RDV202612020001" in body and agenda.branch.name in body


def test_book_appointment_numbers_follow_the_appointment_day(db, backend, agenda):
    numbers = [
        ops.book_appointment(agenda.customer, agenda.service, at(2, 9)).number,
        ops.book_appointment(agenda.agent, agenda.service, at(2, 9)).number,
        ops.book_appointment(agenda.customer, agenda.service, at(3, 11)).number,
    ]
    assert numbers == ["RDV202612020001", "RDV202612020002", "RDV202612030001"]


NOT_BOOKABLE = [
    (at(2, 9, 10), "pas proposée"),  # off the grid
    (at(2, 12), "pas proposée"),  # after the template's end
    (at(2, 8, 30), "pas proposée"),  # before its start
    (at(5, 9), "pas proposée"),  # Saturday: open, but no template
    (at(6, 9), "fermée"),  # Sunday: branch closed
    (at(1, 11, 30), "au moins 2 h"),  # today, inside the minimum notice
    (at(1, 9), "au moins 2 h"),  # in the past
    (datetime(2027, 1, 1, 9), "liste"),  # naive datetime
    (at(2, 9) + timedelta(days=30), "30 jours"),  # Jan 1st: too far
]


def test_book_appointment_refuses_times_that_are_not_bookable(db, backend, agenda):
    for starts_at, message in NOT_BOOKABLE:
        with pytest.raises(SlotUnavailable, match=message):
            ops.book_appointment(agenda.customer, agenda.service, starts_at)
    assert db.session.scalar(select(Appointment)) is None


def test_book_appointment_refuses_a_closure_day(db, backend, agenda):
    db.session.add(BranchClosure(branch_id=agenda.branch.id, date=date(2026, 12, 2)))
    db.session.commit()
    with pytest.raises(SlotUnavailable, match="fermée ce jour-là"):
        ops.book_appointment(agenda.customer, agenda.service, at(2, 9))


def test_book_appointment_refuses_services_without_appointments(db, backend, agenda):
    agenda.service.accepts_appointments = False
    db.session.commit()
    with pytest.raises(NotBookable):
        ops.book_appointment(agenda.customer, agenda.service, at(2, 9))


def test_book_appointment_never_fills_a_slot_past_its_capacity(
    db, backend, agenda, make_user
):
    for _ in range(2):
        ops.book_appointment(make_user(), agenda.service, at(2, 10))
    with pytest.raises(SlotFull, match="Ce créneau est complet"):
        ops.book_appointment(agenda.customer, agenda.service, at(2, 10))
    assert queries.count_booked(agenda.service.id, at(2, 10)) == 2


def test_book_appointment_allows_three_a_day_per_customer(db, backend, agenda):
    for hour in (9, 10, 11):
        ops.book_appointment(agenda.customer, agenda.service, at(2, hour))
    with pytest.raises(LimitReached, match="3 rendez-vous"):
        ops.book_appointment(agenda.customer, agenda.service, at(2, 11, 30))
    ops.book_appointment(agenda.customer, agenda.service, at(3, 9))  # another day
    held = queries.list_customer_holdings(agenda.customer.id, date(2026, 12, 2))
    assert len(held) == 3


def test_book_appointment_refuses_two_at_the_same_time(db, backend, agenda):
    ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    with pytest.raises(LimitReached, match="à cette heure-là"):
        ops.book_appointment(agenda.customer, agenda.service, at(2, 9))


# --- deposits --------------------------------------------------------------------------------


@pytest.fixture
def deposit(db, agenda):
    """Service A now requires a 2 000 FCFA deposit, paid within 30 minutes."""
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    return agenda


def test_deposit_booking_waits_for_payment_and_holds_the_slot(
    db, backend, deposit, make_user, mailbox
):
    first = ops.book_appointment(deposit.customer, deposit.service, at(2, 9))
    assert first.status is AppointmentStatus.PENDING_PAYMENT
    assert first.deposit_fcfa == 2000 and first.confirmed_at is None
    assert first.payment_due_by == at(1, 10, 30)
    assert mailbox.messages() == []  # confirmed only once paid
    ops.book_appointment(make_user(), deposit.service, at(2, 9))
    with pytest.raises(SlotFull):
        ops.book_appointment(make_user(), deposit.service, at(2, 9))


def test_deposit_lapse_frees_the_slot_then_expire_unpaid_cancels(
    db, backend, deposit, frozen, make_user, mailbox
):
    unpaid = ops.book_appointment(deposit.customer, deposit.service, at(2, 9))
    ops.confirm_payment(ops.book_appointment(make_user(), deposit.service, at(2, 9)))
    frozen.tick(minutes=30)  # payment time over: its place is free at once ...
    late_comer = ops.book_appointment(make_user(), deposit.service, at(2, 9))
    assert late_comer.status is AppointmentStatus.PENDING_PAYMENT
    assert ops.expire_unpaid() == 1  # ... and the job cancels it
    assert ops.expire_unpaid() == 0
    db.session.refresh(unpaid)
    assert unpaid.status is AppointmentStatus.CANCELLED
    assert unpaid.cancel_reason == ops.LAPSED_REASON
    assert _subjects(mailbox, deposit.customer.email) == [
        f"Rendez-vous annulé : {unpaid.number}"
    ]


def test_confirm_payment_confirms_exactly_once(db, backend, deposit, mailbox):
    booked = ops.book_appointment(deposit.customer, deposit.service, at(2, 9))
    confirmed = ops.confirm_payment(booked)
    assert confirmed.status is AppointmentStatus.CONFIRMED
    assert confirmed.confirmed_at is not None
    again = ops.confirm_payment(booked)  # a replayed callback changes nothing
    assert again.id == booked.id and again.status is AppointmentStatus.CONFIRMED
    assert len(_subjects(mailbox, deposit.customer.email)) == 1


def test_confirm_payment_after_the_lapse_takes_the_place_if_still_free(
    db, backend, deposit, frozen, make_user
):
    late = ops.book_appointment(deposit.customer, deposit.service, at(2, 9))
    taken = ops.book_appointment(make_user(), deposit.service, at(2, 10))
    frozen.tick(minutes=31)
    assert ops.confirm_payment(late).status is AppointmentStatus.CONFIRMED
    for _ in range(2):
        ops.book_appointment(make_user(), deposit.service, at(2, 10))  # place went
    with pytest.raises(SlotFull):
        ops.confirm_payment(taken)
    assert ops.expire_unpaid() == 1  # the refused one
    with pytest.raises(TooLate, match="rembours"):
        ops.confirm_payment(taken)


def test_confirm_payment_follows_a_moved_appointment(db, backend, deposit):
    booked = ops.book_appointment(deposit.customer, deposit.service, at(2, 9))
    moved = ops.reschedule_appointment(booked, at(3, 9))
    assert moved.status is AppointmentStatus.PENDING_PAYMENT
    assert moved.payment_due_by == booked.payment_due_by
    confirmed = ops.confirm_payment(booked)
    assert confirmed.id == moved.id and confirmed.status is AppointmentStatus.CONFIRMED


# --- cancel and reschedule -------------------------------------------------------------------


def test_cancel_appointment_until_two_hours_before(
    db, backend, agenda, frozen, make_user, mailbox
):
    early = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    late = ops.book_appointment(agenda.customer, agenda.service, at(2, 10))
    frozen.set(at(2, 7))  # exactly 2 h before the first
    cancelled = ops.cancel_appointment(early, by=agenda.customer)
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancelled_by_id == agenda.customer.id
    frozen.set(at(2, 8, 1))
    with pytest.raises(TooLate, match="2 h"):
        ops.cancel_appointment(late, by=agenda.customer)
    assert db.session.get(Appointment, late.id).status is AppointmentStatus.CONFIRMED
    staff = ops.cancel_appointment(late, by=agenda.agent, as_staff=True, reason="Panne")
    assert (
        staff.status is AppointmentStatus.CANCELLED and staff.cancel_reason == "Panne"
    )
    with pytest.raises(IllegalMove):
        ops.cancel_appointment(late, by=agenda.agent, as_staff=True)
    assert sum("annulé" in s for s in _subjects(mailbox, agenda.customer.email)) == 2


def test_cancel_appointment_frees_its_place(db, backend, agenda, make_user):
    ops.book_appointment(make_user(), agenda.service, at(2, 9))
    mine = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    ops.cancel_appointment(mine, by=agenda.customer)
    assert ops.book_appointment(make_user(), agenda.service, at(2, 9))


def test_reschedule_appointment_moves_it_to_a_new_one(
    db, backend, agenda, make_user, mailbox
):
    old = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    new = ops.reschedule_appointment(old, at(3, 11), by=agenda.customer)
    db.session.refresh(old)
    assert old.status is AppointmentStatus.RESCHEDULED
    assert new.status is AppointmentStatus.CONFIRMED
    assert new.rescheduled_from_id == old.id and new.number == "RDV202612030001"
    assert new.check_in_token != old.check_in_token
    assert queries.get_rescheduled_to(old).id == new.id
    assert queries.count_booked(agenda.service.id, at(2, 9)) == 0
    assert _subjects(mailbox, agenda.customer.email)[-1].startswith(
        "Rendez-vous déplacé au jeudi 3 décembre 2026 à 11:00"
    )
    with pytest.raises(IllegalMove):
        ops.reschedule_appointment(old, at(3, 9))


def test_reschedule_appointment_refusals_leave_it_as_it_was(
    db, backend, agenda, frozen, make_user
):
    mine = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    for _ in range(2):
        ops.book_appointment(make_user(), agenda.service, at(2, 10))
    with pytest.raises(SlotFull):
        ops.reschedule_appointment(mine, at(2, 10))
    with pytest.raises(SlotUnavailable):
        ops.reschedule_appointment(mine, at(2, 9))  # the same time
    with pytest.raises(SlotUnavailable):
        ops.reschedule_appointment(mine, at(2, 9, 5))
    frozen.set(at(2, 7, 30))
    with pytest.raises(TooLate, match="2 h"):
        ops.reschedule_appointment(mine, at(2, 11))
    db.session.refresh(mine)
    assert mine.status is AppointmentStatus.CONFIRMED
    assert (
        db.session.scalar(
            select(Appointment).where(Appointment.rescheduled_from_id == mine.id)
        )
        is None
    )


def test_reschedule_appointment_within_the_day_keeps_the_daily_limit(
    db, backend, agenda
):
    booked = [
        ops.book_appointment(agenda.customer, agenda.service, at(2, h))
        for h in (9, 10, 11)
    ]
    moved = ops.reschedule_appointment(booked[0], at(2, 11, 30))  # still three
    assert moved.day == date(2026, 12, 2)
    assert len(queries.list_customer_holdings(agenda.customer.id, moved.day)) == 3


# --- reads -----------------------------------------------------------------------------------


def test_get_appointment_by_number_accepts_what_people_type(db, backend, agenda):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    for typed in ("RDV202612020001", "rdv 20261202-0001", " 202612020001 "):
        assert queries.get_appointment_by_number(typed).id == booked.id
    assert queries.get_appointment_by_number("RDV2026") is None
    assert queries.get_appointment_by_number("") is None
    assert queries.get_customer_appointment(agenda.agent, booked.number) is None
    assert (
        queries.get_customer_appointment(agenda.customer, booked.number).id == booked.id
    )
    found = queries.get_appointment_for_check_in(booked.number, booked.check_in_token)
    assert found.id == booked.id
    assert queries.get_appointment_for_check_in(booked.number, "guess") is None


def test_list_customer_and_branch_appointments(db, backend, agenda, frozen):
    first = ops.book_appointment(agenda.customer, agenda.service, at(3, 9))
    second = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    gone = ops.book_appointment(agenda.customer, agenda.service, at(4, 9))
    ops.cancel_appointment(gone, by=agenda.customer)
    upcoming = queries.list_customer_appointments(agenda.customer, upcoming=True)
    assert [a.id for a in upcoming] == [second.id, first.id]
    past = queries.list_customer_appointments(agenda.customer, upcoming=False)
    assert [a.id for a in past] == [gone.id]
    assert len(queries.list_customer_appointments(agenda.customer)) == 3
    week = queries.list_branch_appointments(agenda.branch, date(2026, 11, 30), days=7)
    assert [a.id for a in week] == [second.id, first.id, gone.id]
    today = queries.list_branch_appointments(agenda.branch, date(2026, 12, 2))
    assert [a.id for a in today] == [second.id]
