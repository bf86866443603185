"""Writes of the booking lifecycle: book, pay, lapse, cancel, reschedule. Each function
is one unit of work: lock, check, change, commit, then side effects (mail jobs). A refusal
raises an AppointmentError and leaves nothing behind. Slot templates and settings are in
planning.py; check-in, no-shows and following tickets in arrival.py.

Never overbooked: a booking holds, until it commits, a lock on its slot (PostgreSQL: a
transaction advisory lock per service and start time; SQLite: the write lock every unit of
work takes at BEGIN IMMEDIATE), then counts the places taken. It also holds a lock on the
customer, so that the daily limit holds under simultaneous bookings. Locks are always
taken in the same order (the appointment row, the customer, the slot, the number counter).
"""

from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text, update

from .. import clock
from ..accounts.secrets import new_token
from ..extensions import db
from ..jobs import enqueue, notices
from ..jobs import payments as payment_jobs
from ..models import (
    UPCOMING_STATUSES,
    Appointment,
    AppointmentSettings,
    AppointmentStatus,
    NotificationKind,
    Payment,
    Service,
    User,
)
from ..queueing.numbering import take_next
from ..work import begin_write, unit_of_work
from . import queries
from .errors import (
    IllegalMove,
    LimitReached,
    NotBookable,
    SlotFull,
    SlotUnavailable,
    TooLate,
)
from .slots import Slot, local_day

MAX_PER_CUSTOMER_PER_DAY = 3
CHANGE_LIMIT = timedelta(hours=2)  # cancel or reschedule until 2 h before
LAPSED_REASON = "Acompte non réglé à temps"

# --- helpers ---------------------------------------------------------------------------------


def duration(minutes: int) -> str:
    """90 -> '1 h 30' (for messages)."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _serialize(*keys: str) -> None:
    """PostgreSQL: transaction-scoped advisory locks on these keys, taken in order and
    released at commit or rollback. SQLite needs none: begin_write() serializes writers."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": key},
        )


def _slot_key(service_id: int, starts_at: datetime) -> str:
    return f"sq:slot:{service_id}:{starts_at.astimezone(timezone.utc).isoformat()}"


def _customer_key(customer_id: int) -> str:
    return f"sq:appointments-of:{customer_id}"


def lock_appointment(appointment: Appointment) -> Appointment:
    """Start a unit of work holding the appointment's row lock, with its state fresh."""
    appointment_id = appointment.id
    begin_write(db.session)
    return db.session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _notify(appointment_id: int, kind: str) -> None:
    """The customer's notice ("booked": confirmed or moved; "cancelled"), a job enqueued
    in the unit of work, before its commit."""
    notice = {
        "booked": NotificationKind.APPOINTMENT_CONFIRMED,
        "cancelled": NotificationKind.APPOINTMENT_CANCELLED,
    }[kind]
    enqueue(notices.notify_appointment, appointment_id, notice.value)


# --- booking ---------------------------------------------------------------------------------


def _check_service(service: Service) -> None:
    branch = service.branch
    if not (
        service.is_active and branch.is_active and branch.organization.is_active
    ) or not (service.accepts_appointments or service.requires_appointment):
        raise NotBookable(_l("Ce service ne prend pas de rendez-vous."))


def _bookable_slot(
    service: Service, settings: AppointmentSettings, starts_at: datetime
) -> Slot:
    """The slot starting at `starts_at`, if a customer may book it now (places aside)."""
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        raise SlotUnavailable(_l("Choisissez une heure dans la liste."))
    starts_at = starts_at.astimezone(timezone.utc)
    day = local_day(starts_at)
    earliest, last = queries.booking_window(settings)
    if starts_at < earliest:
        raise SlotUnavailable(
            _l(
                "Réservez au moins %(notice)s à l'avance.",
                notice=duration(settings.min_notice_minutes),
            )
        )
    if day > last:
        raise SlotUnavailable(
            _l(
                "Les rendez-vous se prennent au plus %(n)s jours à l'avance.",
                n=settings.max_advance_days,
            )
        )
    branch = service.branch
    if branch.hours_on(day.weekday()) is None or any(
        c.date == day for c in branch.closures
    ):
        raise SlotUnavailable(_l("L'agence est fermée ce jour-là."))
    slot = next(
        (s for s in queries.list_slots(service, day) if s.starts_at == starts_at), None
    )
    if slot is None:
        raise SlotUnavailable(
            _l("Cette heure n'est pas proposée : choisissez un créneau de la liste.")
        )
    return slot


def _check_customer(customer_id: int, slot: Slot, exclude_id: int | None = None):
    held = queries.list_customer_holdings(
        customer_id, local_day(slot.starts_at), exclude_id
    )
    if len(held) >= MAX_PER_CUSTOMER_PER_DAY:
        raise LimitReached(
            _l(
                "Vous avez déjà %(n)s rendez-vous ce jour-là : c'est le maximum.",
                n=MAX_PER_CUSTOMER_PER_DAY,
            )
        )
    if any(a.starts_at < slot.ends_at and slot.starts_at < a.ends_at for a in held):
        raise LimitReached(_l("Vous avez déjà un rendez-vous à cette heure-là."))


def _check_room(service_id: int, slot: Slot, exclude_id: int | None = None) -> None:
    taken = queries.count_booked(service_id, slot.starts_at, exclude_id=exclude_id)
    if taken >= slot.capacity:
        raise SlotFull(_l("Ce créneau est complet. Choisissez une autre heure."))


def _next_number(starts_at: datetime) -> str:
    """RDV + the appointment's date + a sequence of that date, across the platform."""
    day = local_day(starts_at)
    return f"RDV{day:%Y%m%d}{take_next('appointment', 0, day):04d}"


def _new_appointment(customer: User, service: Service, slot: Slot, **fields):
    appointment = Appointment(
        number=_next_number(slot.starts_at),
        check_in_token=new_token(),
        customer_id=customer.id,
        branch_id=service.branch_id,
        service_id=service.id,
        day=local_day(slot.starts_at),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        created_at=clock.now(),
        **fields,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


@unit_of_work
def book_appointment(
    customer: User, service: Service, starts_at: datetime, *, locale: str | None = None
) -> Appointment:
    """Book a place in a slot: confirmed at once, or pending_payment (holding the slot until
    payment_due_by) when the service requires a deposit."""
    customer_id, service_id = customer.id, service.id
    begin_write(db.session)
    customer = db.session.get(User, customer_id)
    service = db.session.get(Service, service_id)
    _check_service(service)
    if not customer.is_active:
        raise NotBookable(_l("Ce compte ne peut pas prendre de rendez-vous."))
    settings = queries.get_settings(service)
    slot = _bookable_slot(service, settings, starts_at)
    _serialize(_customer_key(customer_id), _slot_key(service_id, slot.starts_at))
    _check_customer(customer_id, slot)
    _check_room(service_id, slot)
    now = clock.now()
    if settings.requires_deposit:
        paid = dict(
            status=AppointmentStatus.PENDING_PAYMENT,
            deposit_fcfa=settings.deposit_fcfa,
            payment_due_by=min(
                now + timedelta(minutes=settings.payment_minutes), slot.starts_at
            ),
        )
    else:
        paid = dict(status=AppointmentStatus.CONFIRMED, confirmed_at=now)
    appointment = _new_appointment(
        customer, service, slot, locale=locale or customer.locale, **paid
    )
    if appointment.status is AppointmentStatus.CONFIRMED:
        _notify(appointment.id, "booked")
    db.session.commit()
    return appointment


@unit_of_work
def confirm_payment(appointment: Appointment) -> Appointment:
    """THE place where a completed deposit payment confirms its appointment (exactly once:
    an appointment already confirmed is returned as it is). Follows a move to the
    appointment that replaced it. A payment that comes after the lapse is accepted while
    the place is still free; otherwise refused (SlotFull / TooLate) and to be refunded."""
    appointment = lock_appointment(appointment)
    appointment = _confirm_paid(appointment)
    db.session.commit()
    return appointment


def confirm_paid_in_unit_of_work(appointment_id: int) -> Appointment:
    """confirm_payment inside the caller's unit of work (a payment's completion), which
    holds the write lock and commits."""
    appointment = db.session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return _confirm_paid(appointment)


def _confirm_paid(appointment: Appointment) -> Appointment:
    while appointment.status is AppointmentStatus.RESCHEDULED:
        moved_to = db.session.scalar(
            select(Appointment)
            .where(Appointment.rescheduled_from_id == appointment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if moved_to is None:
            break
        appointment = moved_to
    if appointment.status is not AppointmentStatus.PENDING_PAYMENT:
        if appointment.confirmed_at is not None and appointment.status not in (
            AppointmentStatus.CANCELLED,
            AppointmentStatus.RESCHEDULED,
        ):
            return appointment  # already confirmed: a replayed payment changes nothing
        raise TooLate(
            _l("Ce rendez-vous a été annulé : le paiement doit être remboursé.")
        )
    now = clock.now()
    if appointment.starts_at <= now:
        raise TooLate(_l("L'heure de ce rendez-vous est passée."))
    if appointment.payment_due_by and appointment.payment_due_by <= now:
        # Lapsed but not yet cancelled: its place may have gone to someone else.
        _serialize(_slot_key(appointment.service_id, appointment.starts_at))
        slots = queries.list_slots(appointment.service, appointment.day)
        capacity = next(
            (s.capacity for s in slots if s.starts_at == appointment.starts_at), 0
        )
        slot = Slot(appointment.starts_at, appointment.ends_at, capacity)
        _check_room(appointment.service_id, slot, exclude_id=appointment.id)
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    _notify(appointment.id, "booked")
    return appointment


@unit_of_work
def expire_unpaid() -> int:
    """Cancel the pending_payment appointments whose payment time has run out (their
    places are already free to others from that moment); idempotent."""
    begin_write(db.session)
    now = clock.now()
    lapsed = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.status == AppointmentStatus.PENDING_PAYMENT,
            Appointment.payment_due_by <= now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for appointment in lapsed:
        _cancel(appointment, now, reason=LAPSED_REASON)
        _notify(appointment.id, "cancelled")
    db.session.commit()
    return len(lapsed)


# --- the customer's changes ------------------------------------------------------------------


def _cancel(appointment, now, by: User | None = None, reason: str | None = None):
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by_id = by.id if by else None
    appointment.cancel_reason = (reason or "").strip()[:255] or None


def _check_change_allowed(appointment: Appointment, verb: str) -> None:
    if appointment.status not in UPCOMING_STATUSES:
        raise IllegalMove(
            _l("Ce rendez-vous ne peut plus être annulé.")
            if verb == "cancel"
            else _l("Ce rendez-vous ne peut plus être déplacé.")
        )
    if clock.now() > appointment.starts_at - CHANGE_LIMIT:
        limit = duration(int(CHANGE_LIMIT.total_seconds() // 60))
        raise TooLate(
            _l(
                "Un rendez-vous s'annule au plus tard %(limit)s avant l'heure.",
                limit=limit,
            )
            if verb == "cancel"
            else _l(
                "Un rendez-vous se déplace au plus tard %(limit)s avant l'heure.",
                limit=limit,
            )
        )


@unit_of_work
def cancel_appointment(
    appointment: Appointment,
    *,
    by: User | None = None,
    as_staff: bool = False,
    reason: str | None = None,
) -> Appointment:
    """Cancel an appointment not yet attended: the customer until 2 h before, staff
    (`as_staff=True`) at any time before check-in."""
    appointment = lock_appointment(appointment)
    if as_staff:
        if appointment.status not in UPCOMING_STATUSES:
            raise IllegalMove(_l("Ce rendez-vous ne peut plus être annulé."))
    else:
        _check_change_allowed(appointment, "cancel")
    _cancel(appointment, clock.now(), by=by, reason=reason)
    _notify(appointment.id, "cancelled")
    if appointment.deposit_fcfa and appointment.confirmed_at:
        # Within its window (or by the branch): the deposit goes back.
        enqueue(payment_jobs.refund_deposit, appointment.id)
    db.session.commit()
    return appointment


@unit_of_work
def answer_reminder(appointment: Appointment, *, coming: bool) -> Appointment:
    """The customer answered a reminder (a tap, or OUI / NON by SMS): coming is noted;
    not coming cancels it at once, even within the last 2 h, so that its slot is free
    for someone else instead of lost to a no-show."""
    appointment = lock_appointment(appointment)
    if appointment.status is not AppointmentStatus.CONFIRMED or (
        appointment.starts_at <= clock.now()
    ):
        raise IllegalMove(_l("Ce rendez-vous n'attend plus de réponse."))
    if coming:
        appointment.customer_confirmed_at = clock.now()
    else:
        _cancel(
            appointment,
            clock.now(),
            by=appointment.customer,
            reason="réponse au rappel",
        )
        _notify(appointment.id, "cancelled")
        # Told in time, the deposit goes back; in the last 2 h it is kept (the rules).
        if appointment.deposit_fcfa and (
            clock.now() <= appointment.starts_at - CHANGE_LIMIT
        ):
            enqueue(payment_jobs.refund_deposit, appointment.id)
    db.session.commit()
    return appointment


@unit_of_work
def reschedule_appointment(
    appointment: Appointment, new_starts_at: datetime, *, by: User | None = None
) -> Appointment:
    """Move an appointment (until 2 h before) to another bookable time of its service: the
    old one becomes `rescheduled`, a new one (new number, new check-in link, its own
    reminders) keeps its status and payment. Returns the new one."""
    old = lock_appointment(appointment)
    _check_change_allowed(old, "reschedule")
    now = clock.now()
    if (
        old.status is AppointmentStatus.PENDING_PAYMENT
        and old.payment_due_by is not None
        and old.payment_due_by <= now
    ):
        raise TooLate(_l("Le délai de paiement de ce rendez-vous est dépassé."))
    service = old.service
    settings = queries.get_settings(service)
    slot = _bookable_slot(service, settings, new_starts_at)
    if slot.starts_at == old.starts_at:
        raise SlotUnavailable(_l("Choisissez une autre heure que l'actuelle."))
    _serialize(_customer_key(old.customer_id), _slot_key(service.id, slot.starts_at))
    _check_customer(old.customer_id, slot, exclude_id=old.id)
    _check_room(service.id, slot)
    old.status, status = AppointmentStatus.RESCHEDULED, old.status
    new = _new_appointment(
        old.customer,
        service,
        slot,
        status=status,
        locale=old.locale,
        deposit_fcfa=old.deposit_fcfa,
        payment_due_by=old.payment_due_by,
        confirmed_at=old.confirmed_at,
        rescheduled_from_id=old.id,
    )
    if new.status is AppointmentStatus.CONFIRMED:
        _notify(new.id, "booked")
    # Its deposit's payments follow it (a refund, a receipt find them there).
    db.session.execute(
        update(Payment)
        .where(Payment.appointment_id == old.id)
        .values(appointment_id=new.id)
    )
    db.session.commit()
    return new
