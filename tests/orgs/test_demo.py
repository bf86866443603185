"""The demo data `make run` loads: safe to load twice, and every screen can be tried."""

from datetime import time

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import queries as appointments
from smartqueue.demo import seed_demo
from smartqueue.models import Branch, DeviceKind, Organization, Service, User
from smartqueue.queueing.devices import device_branch_id
from tests.conftest import at


def test_demo_loads_twice_and_offers_bookable_times(db, backend, frozen):
    seed_demo()
    seed_demo()  # idempotent: nothing doubled

    assert db.session.scalar(select(func.count(Organization.id))) == 3
    assert (
        db.session.scalar(
            select(func.count(User.id)).where(User.email == "agent@demo.sn")
        )
        == 1
    )
    plateau = db.session.scalar(select(Branch).where(Branch.name == "Agence Plateau"))
    assert device_branch_id("demo-kiosk-plateau", DeviceKind.KIOSK) == plateau.id
    assert device_branch_id("demo-board-plateau", DeviceKind.BOARD) == plateau.id
    bookable = db.session.scalar(
        select(Service).where(
            Service.branch_id == plateau.id, Service.accepts_appointments.is_(True)
        )
    )
    days = appointments.list_available_days(bookable)
    assert sum(1 for day in days if day.free) >= 20  # the weekdays of the coming month


def test_the_demo_branch_is_open_at_any_hour_and_the_others_keep_office_hours(
    db, backend, frozen
):

    from smartqueue.demo import ALWAYS_OPEN
    from smartqueue.models import OpeningHours
    from smartqueue.queueing.rules import branch_states

    seed_demo()
    plateau = db.session.scalar(select(Branch).where(Branch.name == ALWAYS_OPEN))
    fann = db.session.scalar(select(Branch).where(Branch.name == "Site de Fann"))
    # A demo database seeded before this change: office hours on the Plateau too.
    db.session.execute(
        OpeningHours.__table__.update()
        .where(OpeningHours.branch_id == plateau.id)
        .values(opens_at=time(8), closes_at=time(17))
    )
    db.session.commit()
    seed_demo()  # `make run` re-runs it
    db.session.expire_all()

    sunday_3h, tuesday_14h = at(6, 3), at(1, 14)
    states = branch_states([plateau.id, fann.id], sunday_3h)
    assert states[plateau.id].open
    assert not states[fann.id].open
    assert str(states[fann.id].label) == "Fermé · ouvre demain à 08:00"
    states = branch_states([plateau.id, fann.id], tuesday_14h)
    assert states[plateau.id].open and states[fann.id].open
    assert len(plateau.opening_hours) == 7


def test_demo_services_are_named_in_wolof_and_english_also_in_an_older_demo(
    db, backend
):
    from smartqueue.models import Service

    seed_demo()
    services = db.session.scalars(select(Service)).all()
    # 3 bank branches x 4, hospital 4, prefecture 3, and the Plateau's paying VIP line
    assert len(services) == 5 * 4 - 1 + 1
    assert all(s.name_wo and s.name_en for s in services)
    deposit = next(s for s in services if s.name_fr == "Dépôt et retrait")
    assert deposit.name_for("wo") == "Dugal ak génne xaalis"
    # A demo database seeded before the names, where a manager has named one since.
    db.session.execute(Service.__table__.update().values(name_wo=None, name_en=None))
    db.session.execute(
        Service.__table__.update()
        .where(Service.id == deposit.id)
        .values(name_wo="Xaalis", name_fr="Dépôt et retrait")
    )
    db.session.commit()
    seed_demo()  # `make run` re-runs it
    db.session.expire_all()
    assert all(s.name_wo and s.name_en for s in services)
    assert deposit.name_wo == "Xaalis"  # the manager's name is kept
    assert deposit.name_en == "Deposits and withdrawals"


def test_demo_has_something_to_pay_and_last_months_invoices(db, backend, frozen):
    from smartqueue.models import AppointmentSettings, Invoice, QueueType, Service
    from smartqueue.payments.fees import ticket_fee

    seed_demo()
    seed_demo()

    vip = db.session.scalar(select(Service).where(Service.prefix == "V"))
    assert vip.branch.name == "Agence Plateau"
    assert ticket_fee(vip.queue.type) == 1000 and vip.queue.type is QueueType.VIP
    assert vip in next(c for c in vip.branch.counters if c.number == 1).services
    consultation = db.session.scalar(
        select(Service).where(Service.name_fr == "Consultation générale")
    )
    settings = db.session.get(AppointmentSettings, consultation.id)
    assert (settings.requires_deposit, settings.deposit_fcfa) == (True, 2000)
    # November 2026, for the three organizations (Business 50 000, Starter 15 000 x 2).
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.number)).all()
    assert [i.number for i in invoices] == [
        "FACT-202611-001",
        "FACT-202611-002",
        "FACT-202611-003",
    ]
    assert sorted(i.total_fcfa for i in invoices) == [15_000, 15_000, 50_000]


@pytest.fixture
def emptied_fast(db, backend):
    """Remove the demo's past before the suite's own cleanup: on SQLite, deleting 16 000
    tickets one foreign key check at a time is slow; without the checks, quick."""
    yield
    if backend != "sqlite":
        return  # TRUNCATE ... CASCADE
    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in ("ticket_rating", "travel_plan", "appointment", "ticket"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("PRAGMA foreign_keys = ON")
        raw.commit()
    finally:
        raw.close()


def test_demo_has_five_weeks_of_past_with_its_rollups(
    db, backend, frozen, emptied_fast
):
    """Busy Monday mornings and month ends, ratings, every closed branch-day rolled
    up, and the period report of last month read from those rollups."""
    from datetime import date, timedelta

    from smartqueue.analytics import queries
    from smartqueue.analytics.report import Scope
    from smartqueue.models import RollupRun, Ticket, TicketRating

    seed_demo(history=True)
    tickets = db.session.scalar(select(func.count(Ticket.id)))
    seed_demo(history=True)  # `make run` re-runs it: the past is not doubled
    assert db.session.scalar(select(func.count(Ticket.id))) == tickets

    per_day = dict(
        db.session.execute(
            select(Ticket.day, func.count(Ticket.id)).group_by(Ticket.day)
        ).all()
    )
    today = date(2026, 12, 1)
    # 35 days back, Sundays closed; nothing today (today is live, not made up)
    assert min(per_day) == today - timedelta(days=35)
    assert max(per_day) == today - timedelta(days=1)
    assert len(per_day) == 30
    assert all(day.weekday() != 6 for day in per_day)
    mondays = [n for day, n in per_day.items() if day.weekday() == 0]
    wednesdays = [n for day, n in per_day.items() if day.weekday() == 2]
    assert sum(mondays) / len(mondays) > 1.2 * sum(wednesdays) / len(wednesdays)
    # Monday 30 November is a month end too: the busiest day of all
    assert max(per_day, key=per_day.get) == date(2026, 11, 30)
    arrivals = [
        ticket.arrived_at.hour
        for ticket in db.session.scalars(
            select(Ticket).where(Ticket.day == date(2026, 11, 23))
        )
    ]
    assert arrivals.count(9) > 2 * arrivals.count(15)

    built = set(
        db.session.execute(
            select(RollupRun.day, RollupRun.branch_id).where(RollupRun.tickets > 0)
        ).all()
    )
    active = set(
        db.session.execute(select(Ticket.day, Ticket.branch_id).distinct()).all()
    )
    assert built == active
    # The closed days without a ticket (Sundays) are marked rolled up, empty.
    quiet = db.session.execute(
        select(RollupRun.day).where(RollupRun.tickets == 0)
    ).scalars()
    assert {day.weekday() for day in quiet} == {6}

    bank = db.session.scalar(
        select(Organization).where(Organization.name == "Banque Teranga")
    )
    november = queries.period_report(
        Scope(bank.id), date(2026, 11, 1), date(2026, 11, 30)
    )
    assert november.from_rollups_until == date(2026, 11, 30)
    issued = db.session.scalar(
        select(func.count(Ticket.id))
        .join(Branch, Branch.id == Ticket.branch_id)
        .where(
            Branch.organization_id == bank.id,
            Ticket.day.between(date(2026, 11, 1), date(2026, 11, 30)),
        )
    )
    assert november.totals.issued == issued
    assert 0.8 < november.totals.served / issued < 0.95
    assert november.totals.no_show and november.totals.cancelled
    assert november.totals.wait_p90_minutes > november.totals.wait_mean_minutes
    assert november.totals.told_n and november.totals.appointments_missed
    assert november.totals.rating_n == db.session.scalar(
        select(func.count(TicketRating.ticket_id))
        .join(Branch, Branch.id == TicketRating.branch_id)
        .where(
            Branch.organization_id == bank.id,
            TicketRating.day.between(date(2026, 11, 1), date(2026, 11, 30)),
        )
    )
    assert november.communes and len(november.by_agent) >= 10
