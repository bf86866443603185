"""A hand-computed day at one branch (Tuesday 1 December 2026): tickets, appointments,
ratings and a trip written with known times, so every figure can be checked by hand."""

from datetime import timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Commune,
    Ticket,
    TicketRating,
    TicketStatus,
)
from tests.conftest import at

_numbers = count(1)


@pytest.fixture
def make_ticket(db):
    """Factory: make_ticket(service, arrived, called=None, serving=None, finished=None,
    status=..., channel=..., counter=None, agent=None, told=(minutes, low, high),
    transferred_from=None, day=None) -> Ticket, written as given (no operation)."""

    def make(
        service,
        arrived,
        called=None,
        serving=None,
        finished=None,
        status=TicketStatus.WAITING,
        channel=Channel.KIOSK,
        counter=None,
        agent=None,
        told=(None, None, None),
        transferred_from=None,
        day=None,
    ):
        number = next(_numbers)
        ticket = Ticket(
            token=f"tok{number:029d}",
            branch_id=service.branch_id,
            service_id=service.id,
            day=day or arrived.date(),
            number=None if transferred_from else number,
            code=f"{service.prefix}{number:03d}",
            status=status,
            channel=channel,
            rank_key=float(number),
            arrived_at=arrived,
            called_at=called,
            serving_at=serving,
            finished_at=finished,
            counter_id=counter.id if counter else None,
            agent_id=agent.id if agent else None,
            transferred_from_id=transferred_from.id if transferred_from else None,
            told_minutes=told[0],
            told_low=told[1],
            told_high=told[2],
        )
        db.session.add(ticket)
        db.session.commit()
        return ticket

    return make


@pytest.fixture
def rate(db):
    """rate(ticket, stars): a customer's rating of a ticket, as the rating form keeps it."""

    def give(ticket, stars, created_at=None):
        rating = TicketRating(
            ticket_id=ticket.id,
            service_id=ticket.service_id,
            branch_id=ticket.branch_id,
            agent_id=ticket.agent_id,
            day=ticket.day,
            rating=stars,
        )
        if created_at is not None:
            rating.created_at = created_at
        db.session.add(rating)
        db.session.commit()
        return rating

    return give


@pytest.fixture
def make_appointment(db):
    """make_appointment(service, starts_at, status) -> Appointment."""

    def make(service, starts_at, status):
        number = next(_numbers)
        appointment = Appointment(
            number=f"RDV{number:012d}",
            check_in_token=f"chk{number:040d}",
            branch_id=service.branch_id,
            service_id=service.id,
            day=starts_at.date(),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            status=status,
        )
        db.session.add(appointment)
        db.session.commit()
        return appointment

    return make


@pytest.fixture
def tuesday(db, frozen, make_hall, make_user, make_ticket, rate, make_appointment):
    """The hand-computed Tuesday (see tests/analytics/test_facts.py for its figures):
    services A (target 15 min) and B (target 10), counters 1 and 2, two agents."""
    hall = make_hall(
        services=[("A", "Ouverture de compte"), ("B", "Dépôt et retrait")],
        counters={1: "AB", 2: "AB"},
        org="Banque Test",
    )
    hall.b.target_wait_minutes = 10
    db.session.commit()
    first, second = hall.agent, make_user(role="agent", branch=hall.branch)
    one, two = hall.counters[1], hall.counters[2]
    a, b = hall.a, hall.b
    served, s = TicketStatus.SERVED, SimpleNamespace
    t = s()
    t.t1 = make_ticket(a, at(1, 8, 0), at(1, 8, 5), at(1, 8, 6), at(1, 8, 16),
                       served, Channel.KIOSK, one, first, (4, 3, 6))  # fmt: skip
    t.t2 = make_ticket(a, at(1, 8, 10), at(1, 8, 30), at(1, 8, 31), at(1, 8, 51),
                       served, Channel.MOBILE, one, first, (10, 8, 12))  # fmt: skip
    t.t3 = make_ticket(a, at(1, 8, 20), at(1, 8, 55), None, at(1, 8, 58),
                       TicketStatus.NO_SHOW, Channel.SMS, one, first)  # fmt: skip
    t.t4 = make_ticket(a, at(1, 9, 0), status=TicketStatus.CANCELLED,
                       channel=Channel.WEB)  # fmt: skip
    t.t5 = make_ticket(a, at(1, 9, 5), at(1, 10, 30), None, at(1, 10, 32),
                       TicketStatus.TRANSFERRED, Channel.KIOSK, one, first)  # fmt: skip
    t.t6 = make_ticket(b, at(1, 9, 5), at(1, 10, 40), at(1, 10, 41), at(1, 10, 45),
                       served, Channel.COUNTER, two, second,
                       transferred_from=t.t5)  # fmt: skip
    t.t7 = make_ticket(b, at(1, 9, 30), at(1, 9, 35), at(1, 9, 35, 30),
                       at(1, 9, 40, 30), served, Channel.PHONE, two, second,
                       (5, 4, 7))  # fmt: skip
    t.t8 = make_ticket(b, at(1, 16, 59), status=TicketStatus.EXPIRED)
    rate(t.t1, 5)
    rate(t.t2, 3)
    make_appointment(a, at(1, 9, 0), AppointmentStatus.COMPLETED)
    make_appointment(a, at(1, 9, 30), AppointmentStatus.NO_SHOW)
    make_appointment(a, at(1, 10, 0), AppointmentStatus.CANCELLED)
    plateau = db.session.scalar(select(Commune).where(Commune.name == "Plateau"))
    t.t1.origin_commune_id = plateau.id  # set with its trip, kept after it
    db.session.commit()
    hall.tickets, hall.first, hall.second, hall.plateau = t, first, second, plateau
    return hall
