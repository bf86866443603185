"""An agent takes a guaranteed appointment's deposit in cash at the counter: a completed
cash payment, the appointment confirmed with it, once; who may."""

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as booking
from smartqueue.appointments import planning
from smartqueue.extensions import db as _db
from smartqueue.models import (
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests.conftest import at
from tests.web.test_agent import BRANCH_STAFF_ACCESS
from tests.web.test_agent_appointments import (
    HTMX,
    action_url,
    reload,
    text,
)
from tests.web.test_agent_appointments import day as day  # noqa: F401 (a fixture)


@pytest.fixture
def unpaid(db, day, frozen):
    """Awa's appointment today at 11:00, booked after the service began to require a
    2 000 FCFA deposit: pending_payment."""
    planning.set_booking_settings(
        day.service, requires_deposit=True, payment_minutes=24 * 60
    )
    frozen.set(at(1, 8))  # with the notice the rules ask, still payable now
    appointment = booking.book_appointment(
        day.users["customer"], day.service, at(1, 11)
    )
    frozen.set(at(1, 10))
    assert appointment.status is AppointmentStatus.PENDING_PAYMENT
    return appointment


def payments_of(appointment) -> list[Payment]:
    return _db.session.scalars(
        select(Payment).where(Payment.appointment_id == appointment.id)
    ).all()


def test_cash_deposit_confirms_the_appointment_once(client, auth, day, unpaid):
    auth.login(day.users["agent"])
    url = action_url(day, unpaid, "cash-deposit")

    first = client.post(url, headers=HTMX)
    second = client.post(url, headers=HTMX)

    assert first.status_code == 200
    assert "Acompte de 2\u202f000 FCFA reçu en espèces" in text(first)
    # A second press (a double click) gives the same receipt, not a second payment.
    assert second.status_code == 200 and text(first) == text(second)
    assert reload(unpaid).status is AppointmentStatus.CONFIRMED
    [payment] = payments_of(unpaid)
    assert (payment.method, payment.status, payment.amount_fcfa) == (
        PaymentMethod.CASH,
        PaymentStatus.COMPLETED,
        2000,
    )
    assert payment.recorded_by_id == day.users["agent"].id
    assert payment.fulfilled_at is not None and payment.fulfilment_error is None


def test_cash_deposit_button_shows_only_for_an_unpaid_appointment(
    client, auth, day, unpaid
):
    auth.login(day.users["agent"])
    page = text(client.get(f"/agent/branches/{day.branch.id}/appointments"))
    assert page.count("Acompte reçu en espèces (2\u202f000 FCFA)") == 1


def test_cash_deposit_of_a_confirmed_appointment_is_refused(client, auth, day):
    auth.login(day.users["agent"])
    response = client.post(action_url(day, day.awa, "cash-deposit"), headers=HTMX)
    assert response.status_code == 409
    assert "Ce rendez-vous n'attend pas de paiement." in text(response)
    assert payments_of(day.awa) == []


@pytest.mark.parametrize("role, allowed", BRANCH_STAFF_ACCESS)
def test_cash_deposit_is_for_the_staff_of_the_branch(
    client, auth, day, unpaid, role, allowed
):
    auth.login(day.users[role])
    response = client.post(action_url(day, unpaid, "cash-deposit"), headers=HTMX)
    assert (response.status_code != 403) is allowed
    count = _db.session.scalar(select(func.count()).select_from(Payment))
    assert count == (1 if allowed else 0)
    assert (reload(unpaid).status is AppointmentStatus.CONFIRMED) is allowed
