"""What each event tells whom: the notices of a ticket, an appointment, a queue paused or
closed, a branch's urgent message. Run by the jobs the engine enqueued (jobs/notices.py),
each in one unit of work: the "told" mark and the messages are written together, so a
notice is written once however many times its job runs.
"""

from sqlalchemy import select, update

from .. import clock
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentSettings,
    AppointmentStatus,
    Broadcast,
    NotificationKind,
    Payment,
    PaymentStatus,
    QueueStatus,
    Service,
    Ticket,
    TicketStatus,
    TravelPlan,
    User,
)
from ..queueing.queries import count_ahead, estimate_wait
from ..travel.modes import TravelMode
from ..work import begin_write
from . import links, texts
from .recipients import Holder, appointment_holder
from .writing import Notice, write

K = NotificationKind

# Ticket notices told once, and the column that says so.
TOLD_ONCE = {
    K.TICKET_NEAR: Ticket.near_notified_at,
    K.TICKET_CALLED: Ticket.called_notified_at,
}
EMAIL_TEMPLATES = {
    K.TICKET_NEAR: "ticket_near",
    K.TICKET_CALLED: "ticket_called",
    K.TICKET_FINISHED: "ticket_finished",
    K.LEAVE_NOW: "leave_now",
    K.APPOINTMENT_CONFIRMED: "appointment_booked",
    K.APPOINTMENT_MOVED: "appointment_booked",
    K.APPOINTMENT_CANCELLED: "appointment_cancelled",
    K.APPOINTMENT_REMINDER: "appointment_reminder",
}
REMINDER_COLUMNS = {
    "24h": Appointment.reminder_24h_sent_at,
    "2h": Appointment.reminder_2h_sent_at,
}


def has_contact(ticket: Ticket) -> bool:
    """Whether anyone can be told about this ticket (the engine asks before enqueuing)."""
    return bool(ticket.customer_id or ticket.contact_email or ticket.contact_phone)


def ticket_holders(tickets: list[Ticket]) -> list[Holder]:
    """The holders of many tickets, their accounts read in one query."""
    user_ids = {t.customer_id for t in tickets if t.customer_id}
    users = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    holders = []
    for ticket in tickets:
        user = users.get(ticket.customer_id)
        verified = user.email if user and user.is_active and user.is_verified else None
        holders.append(
            Holder(
                user_id=ticket.customer_id,
                email=ticket.contact_email or verified,
                phone=ticket.contact_phone or (user.phone if user else None),
                locale=ticket.locale,
            )
        )
    return holders


def _ticket_notice(ticket: Ticket, kind: NotificationKind, event: str, **extra):
    holder = ticket_holders([ticket])[0]
    context = texts.ticket_context(ticket, **extra)
    email_context = {"ticket": ticket}
    return Notice(
        holder=holder,
        event=event,
        context=context,
        ticket_id=ticket.id,
        branch_id=ticket.branch_id,
        organization_id=ticket.branch.organization_id,
        link=links.ticket_page(ticket.token),
        email_template=EMAIL_TEMPLATES.get(kind),
        email_context=email_context,
    )


def tell_ticket(ticket_id: int, kind: NotificationKind) -> int:
    """Write a ticket's notice of `kind` (issued, near, called, cancelled), once, if
    still true; how many messages."""
    begin_write(db.session)
    ticket = db.session.get(
        Ticket, ticket_id, with_for_update=True, populate_existing=True
    )
    still = {
        K.TICKET_ISSUED: (TicketStatus.WAITING, TicketStatus.CALLED),
        K.TICKET_NEAR: (TicketStatus.WAITING,),
        K.TICKET_CALLED: (TicketStatus.CALLED,),
        K.TICKET_CANCELLED: (TicketStatus.CANCELLED,),
        K.TICKET_FINISHED: (TicketStatus.SERVED,),
    }[kind]
    if ticket is None or ticket.status not in still:
        db.session.commit()
        return 0
    told = TOLD_ONCE.get(kind)
    if told is not None:
        if getattr(ticket, told.key) is not None:
            db.session.commit()
            return 0
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values({told: clock.now()})
        )
    extra = {}
    if kind in (K.TICKET_ISSUED, K.TICKET_NEAR):
        ahead = count_ahead(ticket)
        extra = {
            "ahead": ahead,
            "minutes": estimate_wait(ticket.service, ahead).minutes,
        }
    if kind is K.TICKET_FINISHED:  # thanks, and where to rate the visit
        extra = {"link": links.ticket_rating(ticket.token)}
    notice = _ticket_notice(ticket, kind, f"ticket:{ticket_id}:{kind.value}", **extra)
    if kind is K.TICKET_FINISHED:
        notice.link = extra["link"]
    written = write(kind, [notice])
    db.session.commit()
    return len(written)


def tell_leave_now(ticket_id: int) -> int:
    """Write "leave now" for a waiting ticket whose trip said so (travel jobs)."""
    begin_write(db.session)
    ticket = db.session.get(Ticket, ticket_id)
    plan = db.session.scalar(
        select(TravelPlan).where(TravelPlan.ticket_id == ticket_id)
    )
    if (
        ticket is None
        or plan is None
        or ticket.status is not TicketStatus.WAITING
        or plan.told_at is None
    ):
        db.session.commit()
        return 0
    notice = _ticket_notice(
        ticket,
        K.LEAVE_NOW,
        # Told again when the departure slips earlier: each telling is its own event.
        f"ticket:{ticket_id}:leave_now:{plan.told_leave_at:%Y%m%dT%H%M%S}",
        minutes=plan.travel_minutes or 0,
    )
    notice.email_context.update(plan=plan, mode=TravelMode(plan.mode))
    written = write(K.LEAVE_NOW, [notice])
    db.session.commit()
    return len(written)


def tell_departure(appointment_id: int) -> int:
    """Write "leave now" for a confirmed appointment whose departure came (travel jobs)."""
    begin_write(db.session)
    appointment = db.session.get(Appointment, appointment_id)
    plan = db.session.scalar(
        select(TravelPlan).where(TravelPlan.appointment_id == appointment_id)
    )
    if (
        appointment is None
        or plan is None
        or plan.told_at is None
        or appointment.status is not AppointmentStatus.CONFIRMED
        or appointment.starts_at <= clock.now()
    ):
        db.session.commit()
        return 0
    notice = _appointment_notice(
        appointment,
        K.LEAVE_NOW,
        f"appointment:{appointment_id}:leave_now",
        plan=plan,
        mode=TravelMode(plan.mode),
    )
    if notice is not None:
        notice.email_template = "leave_now_appointment"
        notice.email_context["time"] = notice.context["time"]
        notice.context.update(code=appointment.number, minutes=plan.travel_minutes or 0)
    written = write(K.LEAVE_NOW, [notice] if notice else [])
    db.session.commit()
    return len(written)


def _appointment_notice(
    appointment: Appointment, notice_kind: NotificationKind, event: str, **email_extra
) -> Notice | None:
    holder = appointment_holder(appointment)
    if holder is None:
        return None
    context = texts.appointment_context(appointment, holder.locale)
    when = {"date": context["date"], "time": context["time"]}
    return Notice(
        holder=holder,
        event=event,
        context=context,
        appointment_id=appointment.id,
        branch_id=appointment.branch_id,
        organization_id=appointment.branch.organization_id,
        link=links.external("booking.appointment", number=appointment.number),
        email_template=EMAIL_TEMPLATES.get(notice_kind),
        email_context={
            "appointment": appointment,
            "when": when,
            "grace": _grace_minutes(appointment.service_id),
            **email_extra,
        },
    )


def _grace_minutes(service_id: int) -> int:
    # Not appointments.queries.get_settings: importing the appointments package pulls
    # the queue engine in, which imports the notices (a cycle).
    settings = db.session.get(AppointmentSettings, service_id)
    if settings is not None:
        return settings.grace_minutes
    return AppointmentSettings.__table__.c.grace_minutes.default.arg


def tell_appointment(appointment_id: int, kind: NotificationKind) -> int:
    """Write an appointment's confirmation, move or cancellation notice, if still true."""
    begin_write(db.session)
    appointment = db.session.get(Appointment, appointment_id)
    wanted = (
        AppointmentStatus.CANCELLED
        if kind is K.APPOINTMENT_CANCELLED
        else AppointmentStatus.CONFIRMED
    )
    if appointment is None or appointment.status is not wanted:
        db.session.commit()
        return 0
    if kind is K.APPOINTMENT_CONFIRMED and appointment.rescheduled_from_id:
        kind = K.APPOINTMENT_MOVED
    email_kind = "cancelled" if kind is K.APPOINTMENT_CANCELLED else "booked"
    notice = _appointment_notice(
        appointment,
        kind,
        f"appointment:{appointment_id}:{kind.value}",
        kind=email_kind,
    )
    written = write(kind, [notice] if notice else [])
    db.session.commit()
    return len(written)


PAYMENT_STATUS_TOLD = {
    K.PAYMENT_RECEIVED: PaymentStatus.COMPLETED,
    K.PAYMENT_REFUNDED: PaymentStatus.REFUNDED,
}


def tell_payment(payment_id: int, kind: NotificationKind) -> int:
    """Write a payment's receipt or refund notice to its payer, if still true."""
    begin_write(db.session)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status is not PAYMENT_STATUS_TOLD[kind]:
        db.session.commit()
        return 0
    payer = payment.payer
    if payer is not None and payer.is_active:
        holder = Holder(payer.id, payer.email, payer.phone, payment.locale)
    elif payment.payer_phone:
        holder = Holder(None, None, payment.payer_phone, payment.locale)
    else:
        db.session.commit()
        return 0
    notice = Notice(
        holder=holder,
        event=f"payment:{payment_id}:{kind.value}",
        context=texts.payment_context(payment),
        organization_id=payment.organization_id,
        branch_id=payment.branch_id,
        link=links.external("payments.payment", reference=payment.reference),
    )
    written = write(kind, [notice])
    db.session.commit()
    return len(written)


def tell_reminder(appointment_id: int, which: str) -> int:
    """Write the 24 h or 2 h reminder of a confirmed appointment once, with its one-tap
    answers (I am coming / cancel it; OUI or NON by SMS)."""
    column = REMINDER_COLUMNS[which]
    begin_write(db.session)
    appointment = db.session.get(
        Appointment, appointment_id, with_for_update=True, populate_existing=True
    )
    if (
        appointment is None
        or getattr(appointment, column.key) is not None
        or appointment.status is not AppointmentStatus.CONFIRMED
        or appointment.customer_id is None
        or appointment.starts_at <= clock.now()
    ):
        db.session.commit()
        return 0
    db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment_id)
        .values({column: clock.now()})
    )
    answers = {
        "coming": links.appointment_answer(appointment.number, "coming"),
        "cancel": links.appointment_answer(appointment.number, "cancel"),
    }
    notice = _appointment_notice(
        appointment,
        K.APPOINTMENT_REMINDER,
        f"appointment:{appointment_id}:reminder:{which}",
        kind=which,
        answers=answers,
    )
    if notice is not None:
        notice.context["which"] = which
    written = write(K.APPOINTMENT_REMINDER, [notice] if notice else [])
    db.session.commit()
    return len(written)


def _waiting_with_contact(where) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket)
            .where(
                where,
                Ticket.status.in_((TicketStatus.WAITING, TicketStatus.CALLED)),
            )
            .where(
                (Ticket.customer_id.is_not(None))
                | (Ticket.contact_email.is_not(None))
                | (Ticket.contact_phone.is_not(None))
            )
            .order_by(Ticket.id)
        )
    )


def tell_queue_status(service_id: int, status: str, stamp: str) -> int:
    """Tell everyone waiting in a service's line that it was paused or closed (`stamp`
    names that change: each pause is told once)."""
    kind = {
        QueueStatus.PAUSED.value: K.QUEUE_PAUSED,
        QueueStatus.CLOSED.value: K.QUEUE_CLOSED,
    }.get(status)
    begin_write(db.session)
    service = db.session.get(Service, service_id)
    if kind is None or service is None or service.queue.status.value != status:
        db.session.commit()
        return 0
    tickets = [
        t
        for t in _waiting_with_contact(Ticket.service_id == service_id)
        if t.status is TicketStatus.WAITING
    ]
    notices = [
        Notice(
            holder=holder,
            event=f"queue:{service_id}:{stamp}:{ticket.id}",
            context={
                "code": ticket.code,
                "service": texts.cut(service.name_for(holder.locale)),
                "branch": texts.cut(service.branch.name),
            },
            ticket_id=ticket.id,
            branch_id=service.branch_id,
            organization_id=service.branch.organization_id,
            link=links.ticket_page(ticket.token),
        )
        for ticket, holder in zip(tickets, ticket_holders(tickets), strict=True)
    ]
    written = write(kind, notices)
    db.session.commit()
    return len(written)


def tell_broadcast(broadcast_id: int) -> int:
    """Write a branch's urgent message to every waiting ticket's holder; how many."""
    begin_write(db.session)
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.written_at is not None:
        db.session.commit()
        return 0
    branch = broadcast.branch
    tickets = _waiting_with_contact(Ticket.branch_id == branch.id)
    with links.building():
        link_of = {t.id: links.ticket_page(t.token) for t in tickets}
    context = {"branch": texts.cut(branch.name), "message": broadcast.text}
    notices = [
        Notice(
            holder=holder,
            event=f"broadcast:{broadcast_id}:{ticket.id}",
            context=context,
            ticket_id=ticket.id,
            broadcast_id=broadcast_id,
            branch_id=branch.id,
            organization_id=branch.organization_id,
            link=link_of[ticket.id],
        )
        for ticket, holder in zip(tickets, ticket_holders(tickets), strict=True)
    ]
    written = write(K.URGENT, notices)
    broadcast.tickets_reached = len(tickets)
    broadcast.written_at = clock.now()
    db.session.commit()
    return len(written)
