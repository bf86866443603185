"""Today's appointments of a branch, for its agents and managers: check in, mark absent.

The branch named by the URL was checked by `access.check_access` (it is `g.branch`). Each
row is one partial with a stable id: an htmx action gets its row back (with the core's
refusal, 409/422, or what it did); without scripts a POST redirects back to the page.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import clock
from ...appointments import arrival, queries
from ...errors import DomainError
from ...models import (
    UPCOMING_STATUSES,
    Appointment,
    AppointmentStatus,
    Channel,
    Service,
)
from ...payments import operations as payments
from ..filters import fcfa
from ..forms import EmptyForm
from ..htmx import is_htmx
from ..safety import acting_user, parse_id
from . import bp

ARRIVED = (
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
)


@dataclass(frozen=True)
class Row:
    """One appointment as the agent sees it."""

    appointment: Appointment
    late_minutes: int  # minutes past its time without arriving (0: not late)
    grace_minutes: int

    @property
    def is_late(self) -> bool:
        return self.late_minutes > 0

    @property
    def past_grace(self) -> bool:
        """Now it may be marked absent (and a check-in joins as a normal arrival)."""
        return self.late_minutes > self.grace_minutes


@dataclass(frozen=True)
class Day:
    date: date
    rows: list[Row]
    services: list[Service]  # what the list may be filtered by
    service: Service | None  # the filter in use

    def _count(self, statuses) -> int:
        return sum(row.appointment.status in statuses for row in self.rows)

    @property
    def upcoming(self) -> int:
        return self._count(UPCOMING_STATUSES)

    @property
    def arrived(self) -> int:
        return self._count(ARRIVED)

    @property
    def missed(self) -> int:
        return self._count((AppointmentStatus.NO_SHOW,))


def _rows(appointments: list[Appointment]) -> list[Row]:
    now = clock.now()
    graces: dict[int, int] = {}
    rows = []
    for appointment in appointments:
        if appointment.service_id not in graces:
            settings = queries.get_settings(appointment.service)
            graces[appointment.service_id] = settings.grace_minutes
        rows.append(
            Row(appointment, _late(appointment, now), graces[appointment.service_id])
        )
    return rows


def _late(appointment: Appointment, now: datetime) -> int:
    if not appointment.is_upcoming or now <= appointment.starts_at:
        return 0
    return max(1, int((now - appointment.starts_at).total_seconds()) // 60)


def get_day(service_id: int | None = None) -> Day:
    """Today's appointments of `g.branch` (of one of its services, if given), by time."""
    branch = g.branch
    services = [s for s in branch.services if s.is_active and s.accepts_appointments]
    service = next((s for s in branch.services if s.id == service_id), None)
    today = clock.today()
    appointments = queries.list_branch_appointments(branch, today, service=service)
    for appointment in appointments:  # a service no longer taking bookings, still today
        if appointment.service not in services and service is None:
            services.append(appointment.service)
    if service is not None and service not in services:
        services.append(service)
    return Day(today, _rows(appointments), services, service)


# --- views -----------------------------------------------------------------------------------


@bp.get("/branches/<int:branch_id>/appointments")
def appointments(branch_id: int):
    day = get_day(parse_id(request.args.get("service")))
    if is_htmx():  # the list refreshing itself
        return render_template("agent/_appointment_list.html", day=day)
    return render_template("agent/appointments.html", day=day, branch=g.branch)


@bp.post("/branches/<int:branch_id>/appointments/<int:appointment_id>/check-in")
def check_in_appointment(branch_id: int, appointment_id: int):
    def check_in(appointment: Appointment) -> str:
        appointment = arrival.check_in(
            appointment, channel=Channel.COUNTER, by=acting_user()
        )
        code = appointment.ticket.code
        if appointment.is_late_arrival:
            return _(
                "Ticket %(code)s créé. Arrivé en retard : servi dans l'ordre d'arrivée.",
                code=code,
            )
        return _("Ticket %(code)s créé.", code=code)

    return _act(appointment_id, check_in)


@bp.post("/branches/<int:branch_id>/appointments/<int:appointment_id>/no-show")
def appointment_no_show(branch_id: int, appointment_id: int):
    def no_show(appointment: Appointment) -> str:
        arrival.mark_appointment_no_show(appointment, by=acting_user())
        return _("Rendez-vous %(number)s marqué absent.", number=appointment.number)

    return _act(appointment_id, no_show)


@bp.post("/branches/<int:branch_id>/appointments/<int:appointment_id>/cash-deposit")
def take_cash_deposit(branch_id: int, appointment_id: int):
    def take_cash(appointment: Appointment) -> str:
        payment = payments.record_cash(appointment, by=acting_user())
        return _(
            "Acompte de %(amount)s reçu en espèces (reçu %(reference)s).",
            amount=fcfa(payment.amount_fcfa),
            reference=payment.reference,
        )

    return _act(appointment_id, take_cash)


def _act(appointment_id: int, operation):
    """Load the branch's appointment, run one operation, answer with its row or a redirect."""
    appointment = _appointment(appointment_id)
    if not EmptyForm().validate_on_submit():
        message = _("Le formulaire a expiré. Rechargez la page et réessayez.")
        return _answer(appointment_id, error=message, status=422)
    try:
        notice = operation(appointment)
    except DomainError as error:
        status = 422 if error.field else 409
        return _answer(appointment_id, error=str(error.message), status=status)
    if is_htmx():
        return _answer(appointment_id, notice=notice)
    flash(notice, "success")
    return redirect(_back(appointment_id), code=303)


def _appointment(appointment_id: int) -> Appointment:
    appointment = queries.get_appointment(appointment_id)
    if appointment is None or appointment.branch_id != g.branch.id:
        abort(404)
    return appointment


def _answer(appointment_id: int, *, error=None, notice=None, status=200):
    """The appointment's row and the day's numbers (htmx), or the page with the message
    on that row."""
    day = get_day(parse_id(request.args.get("service")))
    if is_htmx():
        row = next((r for r in day.rows if r.appointment.id == appointment_id), None)
        html = render_template(
            "agent/_appointment_update.html",
            day=day,
            row=row or _rows([_appointment(appointment_id)])[0],
            error=error,
            notice=notice,
        )
        return html, status
    if all(row.appointment.id != appointment_id for row in day.rows):
        flash(error, "error")  # not on today's list: the page has no row to show it on
        return redirect(_back(), code=303)
    html = render_template(
        "agent/appointments.html",
        day=day,
        branch=g.branch,
        messages={appointment_id: (error, notice)},
    )
    return html, status


def _back(appointment_id: int | None = None) -> str:
    return url_for(
        "agent.appointments",
        branch_id=g.branch.id,
        service=parse_id(request.args.get("service")),
        _anchor=f"appointment-{appointment_id}" if appointment_id else None,
    )
