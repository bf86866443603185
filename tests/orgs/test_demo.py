"""The demo data `make run` loads: safe to load twice, and every screen can be tried."""

from sqlalchemy import func, select

from smartqueue.appointments import queries as appointments
from smartqueue.demo import seed_demo
from smartqueue.models import Branch, DeviceKind, Organization, Service, User
from smartqueue.queueing.devices import device_branch_id


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
