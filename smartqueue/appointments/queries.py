"""Reads of appointments: availability for the booking calendar, lists for staff and customers."""

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.secrets import same_hash
from ..extensions import db
from ..models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentSettings,
    AppointmentStatus,
    Branch,
    BranchClosure,
    Service,
    SlotTemplate,
    User,
)
from .slots import DayAvailability, Slot, at, grid

# --- settings and templates ------------------------------------------------------------------


def get_settings(service: Service) -> AppointmentSettings:
    """The service's booking settings (defaults, unsaved, if it has none)."""
    found = db.session.get(AppointmentSettings, service.id)
    if found is not None:
        return found
    defaults = {
        name: column.default.arg
        for name, column in AppointmentSettings.__table__.columns.items()
        if column.default is not None
    }
    return AppointmentSettings(service_id=service.id, **defaults)


def list_slot_templates(service: Service) -> list[SlotTemplate]:
    """A service's weekly slot templates, by weekday then start."""
    return list(
        db.session.scalars(
            select(SlotTemplate)
            .where(SlotTemplate.service_id == service.id)
            .order_by(SlotTemplate.weekday, SlotTemplate.start_time)
        )
    )


def list_branch_slot_templates(branch: Branch) -> list[SlotTemplate]:
    """Every slot template of a branch (services loaded), by service, weekday, start."""
    return list(
        db.session.scalars(
            select(SlotTemplate)
            .where(SlotTemplate.branch_id == branch.id)
            .options(selectinload(SlotTemplate.service))
            .order_by(
                SlotTemplate.service_id, SlotTemplate.weekday, SlotTemplate.start_time
            )
        )
    )


# --- availability ----------------------------------------------------------------------------


def holding(now: datetime):
    """SQL condition: the appointment takes a place in its slot (an unpaid one only until
    its payment time runs out, even before expire_unpaid() has passed)."""
    return or_(
        and_(
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.status != AppointmentStatus.PENDING_PAYMENT,
        ),
        and_(
            Appointment.status == AppointmentStatus.PENDING_PAYMENT,
            Appointment.payment_due_by > now,
        ),
    )


def count_booked(
    service_id: int, starts_at: datetime, *, exclude_id: int | None = None
) -> int:
    """Places taken in one slot of a service."""
    query = select(func.count(Appointment.id)).where(
        Appointment.service_id == service_id,
        Appointment.starts_at == starts_at,
        holding(clock.now()),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return db.session.scalar(query)


def _booked_between(service_id: int, start: datetime, end: datetime) -> dict:
    rows = db.session.execute(
        select(Appointment.starts_at, func.count(Appointment.id))
        .where(
            Appointment.service_id == service_id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            holding(clock.now()),
        )
        .group_by(Appointment.starts_at)
    )
    return {starts_at: n for starts_at, n in rows}


def _closed_days(branch_id: int, first: date, last: date) -> set[date]:
    return set(
        db.session.scalars(
            select(BranchClosure.date).where(
                BranchClosure.branch_id == branch_id,
                BranchClosure.date >= first,
                BranchClosure.date <= last,
            )
        )
    )


def _grid_between(service: Service, first: date, last: date) -> dict[date, list[Slot]]:
    """Slots per day from first to last (inclusive), with the places already taken."""
    templates = list_slot_templates(service)
    branch = service.branch
    closed = _closed_days(branch.id, first, last)
    after = last + timedelta(days=1)
    booked = _booked_between(service.id, at(first, time(0)), at(after, time(0)))
    days: dict[date, list[Slot]] = {}
    day = first
    while day <= last:
        hours = branch.hours_on(day.weekday())
        if day in closed or hours is None:
            days[day] = []
        else:
            days[day] = [
                Slot(s.starts_at, s.ends_at, s.capacity, booked.get(s.starts_at, 0))
                for s in grid(templates, day, hours.opens_at, hours.closes_today)
            ]
        day += timedelta(days=1)
    return days


def booking_window(settings: AppointmentSettings) -> tuple[datetime, date]:
    """The earliest bookable instant (min notice) and the last bookable date (max advance)."""
    now = clock.now()
    earliest = now + timedelta(minutes=settings.min_notice_minutes)
    return earliest, clock.today() + timedelta(days=settings.max_advance_days)


def list_slots(service: Service, day: date) -> list[Slot]:
    """Every slot of a service on a day with its places taken (staff view: no notice rule)."""
    return _grid_between(service, day, day)[day]


def list_slots_between(
    service: Service, first: date, last: date
) -> dict[date, list[Slot]]:
    """`list_slots` for each day from first to last, read in one go (a week's calendar)."""
    return _grid_between(service, first, last)


def list_available_times(service: Service, day: date) -> list[Slot]:
    """The slots a customer can book on a day: with room, after the minimum notice, and
    within the maximum advance."""
    earliest, last = booking_window(get_settings(service))
    if day > last or day < clock.today():
        return []
    return [s for s in list_slots(service, day) if s.free and s.starts_at >= earliest]


def list_available_days(
    service: Service, from_date: date | None = None, days: int | None = None
) -> list[DayAvailability]:
    """The booking calendar: each day from `from_date` (today) for `days` days (up to the
    maximum advance), with the places left at bookable times (0 = full or closed)."""
    settings = get_settings(service)
    earliest, last = booking_window(settings)
    first = max(from_date or clock.today(), clock.today())
    end = first + timedelta(days=(days or settings.max_advance_days + 1) - 1)
    if end < first:
        return []
    calendar = []
    for day, slots in _grid_between(service, first, end).items():
        bookable = [s for s in slots if s.starts_at >= earliest and day <= last]
        calendar.append(
            DayAvailability(
                day,
                free=sum(s.free for s in bookable),
                capacity=sum(s.capacity for s in bookable),
            )
        )
    return calendar


# --- appointments ----------------------------------------------------------------------------

_NUMBER = re.compile(r"^(?:RDV)?(\d{12,})$")


def normalize_number(typed: str) -> str | None:
    """'rdv 2026-1201 0007' -> 'RDV202612010007' (None if it cannot be a number)."""
    compact = re.sub(r"[\s\-./]", "", (typed or "")).upper()
    match = _NUMBER.match(compact)
    return f"RDV{match.group(1)}" if match else None


def _loaded():
    return select(Appointment).options(
        selectinload(Appointment.service),
        selectinload(Appointment.branch),
        selectinload(Appointment.customer),
        selectinload(Appointment.ticket),
    )


def get_appointment(appointment_id: int) -> Appointment | None:
    """An appointment by id (staff pages, jobs)."""
    return db.session.get(Appointment, appointment_id)


def get_appointment_by_number(
    typed: str, branch: Branch | None = None
) -> Appointment | None:
    """An appointment by its number as typed at a kiosk (spaces, dashes, no 'RDV' accepted);
    limited to `branch` when given."""
    number = normalize_number(typed)
    if number is None:
        return None
    query = _loaded().where(Appointment.number == number)
    if branch is not None:
        query = query.where(Appointment.branch_id == branch.id)
    return db.session.scalar(query)


def get_appointment_for_check_in(number: str, token: str) -> Appointment | None:
    """The appointment a customer's own check-in link points to (None if the token is wrong)."""
    appointment = get_appointment_by_number(number)
    if appointment is None or not same_hash(appointment.check_in_token, token or ""):
        return None
    return appointment


def get_customer_appointment(customer: User, number: str) -> Appointment | None:
    """One of this customer's appointments by number (None if not theirs)."""
    appointment = get_appointment_by_number(number)
    if appointment is None or appointment.customer_id != customer.id:
        return None
    return appointment


def get_ticket_appointment(ticket_id: int) -> Appointment | None:
    """The appointment a ticket was checked in for (late arrivals too, whose ticket has no
    appointment time), with its customer."""
    return db.session.scalar(
        select(Appointment)
        .where(Appointment.ticket_id == ticket_id)
        .options(selectinload(Appointment.customer))
    )


def get_rescheduled_to(appointment: Appointment) -> Appointment | None:
    """The appointment that replaced a moved one."""
    return db.session.scalar(
        select(Appointment).where(Appointment.rescheduled_from_id == appointment.id)
    )


def list_customer_appointments(
    customer: User, *, upcoming: bool | None = None
) -> list[Appointment]:
    """A customer's appointments ("My appointments"): upcoming first by time, or past
    (newest first), or all (newest first) when `upcoming` is None."""
    query = _loaded().where(Appointment.customer_id == customer.id)
    now = clock.now()
    if upcoming:
        return list(
            db.session.scalars(
                query.where(
                    Appointment.ends_at > now,
                    Appointment.status.not_in(
                        (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED)
                    ),
                ).order_by(Appointment.starts_at, Appointment.id)
            )
        )
    if upcoming is False:
        query = query.where(
            or_(
                Appointment.ends_at <= now,
                Appointment.status.in_(
                    (AppointmentStatus.CANCELLED, AppointmentStatus.RESCHEDULED)
                ),
            )
        )
    return list(
        db.session.scalars(query.order_by(Appointment.starts_at.desc(), Appointment.id))
    )


def list_branch_appointments(
    branch: Branch,
    day: date | None = None,
    days: int = 1,
    *,
    service: Service | None = None,
    include_moved: bool = False,
) -> list[Appointment]:
    """A branch's appointments from `day` (today) for `days` days, by time: today's list
    for agents (days=1), the manager's week (days=7). Moved ones are left out unless asked."""
    first = day or clock.today()
    query = _loaded().where(
        Appointment.branch_id == branch.id,
        Appointment.day >= first,
        Appointment.day < first + timedelta(days=days),
    )
    if service is not None:
        query = query.where(Appointment.service_id == service.id)
    if not include_moved:
        query = query.where(Appointment.status != AppointmentStatus.RESCHEDULED)
    return list(
        db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id))
    )


def list_customer_holdings(
    customer_id: int, day: date, exclude_id: int | None = None
) -> list[Appointment]:
    """Appointments a customer holds on a (Dakar) day: what the daily limit counts."""
    query = select(Appointment).where(
        Appointment.customer_id == customer_id,
        Appointment.day == day,
        holding(clock.now()),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return list(db.session.scalars(query))
