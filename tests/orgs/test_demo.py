"""The demo data `make run` loads: safe to load twice, and every screen can be tried."""

from datetime import time

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
    assert len(services) == 5 * 4 - 1  # 3 bank branches x 4, hospital 4, prefecture 3
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
