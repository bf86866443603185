"""Appointment fixtures: a frozen clock, a branch whose service takes appointments."""

from datetime import datetime, time, timezone

import pytest

from smartqueue.appointments import planning
from smartqueue.appointments.slots import SlotSpec
from smartqueue.models import CounterStatus, Strategy


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December `day` 2026 at hour:minute in Dakar (= UTC)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def agenda(db, frozen, make_branch, make_service, make_counter, make_user):
    """A branch open Mon-Sat 08:00-17:00 whose service A (appointment_first) takes
    appointments Mon-Fri 09:00-12:00, 30-minute slots for 2 people; a counter, an agent
    and a customer."""

    class Agenda:
        branch = make_branch()
        service = make_service(branch, "A", strategy=Strategy.APPOINTMENT_FIRST)
        walk_in = make_service(branch, "B", "Dépôt et retrait")
        counter = make_counter(branch, 1, [service])
        agent = make_user(role="agent", branch=branch)
        customer = make_user(full_name="Awa Diop")

    Agenda.service.accepts_appointments = True
    Agenda.counter.status = CounterStatus.OPEN
    db.session.commit()
    planning.set_slot_templates(
        Agenda.service,
        [SlotSpec(day, time(9), time(12), 30, 2) for day in range(5)],
    )
    return Agenda
