"""Appointment test helpers: a branch open around the clock, for tests that run on the
real clock (separate processes do not share a frozen one), and the check-in link."""

from datetime import time

from smartqueue.appointments import planning
from smartqueue.appointments.slots import SlotSpec
from smartqueue.extensions import db
from smartqueue.models import OpeningHours

ALL_DAY = (time(0), time(23, 59, 59))


def open_all_week(branch, service, slot_minutes=30, capacity=2):
    """Open the branch 00:00-23:59:59 every day; slots of `service` from 00:00 to 23:30."""
    for hours in branch.opening_hours:
        hours.opens_at, hours.closes_at = ALL_DAY
    have = {h.weekday for h in branch.opening_hours}
    for day in set(range(7)) - have:
        branch.opening_hours.append(
            OpeningHours(weekday=day, opens_at=ALL_DAY[0], closes_at=ALL_DAY[1])
        )
    service.accepts_appointments = True
    db.session.commit()
    planning.set_slot_templates(
        service,
        [
            SlotSpec(day, time(0), time(23, 30), slot_minutes, capacity)
            for day in range(7)
        ],
    )


def check_in_path(appointment) -> str:
    """The customer's own check-in link (the payload of the check-in QR code), written out
    here rather than built by the app, so that the tests pin what customers are given."""
    return f"/appointments/{appointment.number}/check-in?token={appointment.check_in_token}"
