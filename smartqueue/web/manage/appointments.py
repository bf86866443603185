"""Manage area: a service's weekly slots and booking settings, the branch's week of
appointments."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import (
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ... import clock
from ...appointments import planning, queries
from ...appointments.slots import Slot, SlotSpec
from ...errors import DomainError
from ...models import Appointment, AppointmentStatus, Branch, Service
from ..htmx import page_or_fragment
from ..labels import WEEKDAYS
from . import bp
from .common import refuse
from .forms import BookingSettingsForm, DeleteSlotTemplateForm, SlotTemplateForm

# The statuses the week's legend explains, in the order of an appointment's life.
LEGEND = [
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.PENDING_PAYMENT,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
]
# --- a service's slots and booking settings ---------------------------------------------------


def _service_page(template_form=None, settings_form=None):
    """The slots page; a form given here was submitted (and refused)."""
    if settings_form is None:
        settings_form = BookingSettingsForm(formdata=None)
        settings_form.load(queries.get_settings(g.service))
    template_form = template_form or SlotTemplateForm(formdata=None, weekdays=WEEKDAYS)
    refused = template_form.errors or settings_form.errors
    return render_template(
        "manage/appointments_service.html",
        branch=g.branch,
        service=g.service,
        templates=queries.list_slot_templates(g.service),
        template_form=template_form,
        settings_form=settings_form,
    ), (422 if refused else 200)


def _to_slots():
    return redirect(url_for("manage.slot_templates", service_id=g.service.id))


@bp.route("/services/<int:service_id>/slots", methods=["GET", "POST"])
def slot_templates(service_id: int):
    form = SlotTemplateForm(weekdays=WEEKDAYS)
    if form.validate_on_submit():
        spec = SlotSpec(
            form.weekday.data,
            form.start_time.data,
            form.end_time.data,
            form.slot_minutes.data,
            form.capacity.data,
        )
        try:
            planning.add_slot_template(g.service, spec)
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Plage de rendez-vous ajoutée."), "success")
            return _to_slots()
    return _service_page(template_form=form)


@bp.post("/services/<int:service_id>/slots/delete")
def delete_slot_template(service_id: int):
    form = DeleteSlotTemplateForm()
    if not form.validate_on_submit():
        abort(400)
    template = next(
        (
            t
            for t in queries.list_slot_templates(g.service)
            if t.id == form.template_id.data
        ),
        None,
    )
    if template is None:
        abort(404)
    planning.delete_slot_template(template)
    flash(_("Plage supprimée. Les rendez-vous déjà pris sont gardés."), "success")
    return _to_slots()


@bp.post("/services/<int:service_id>/booking-settings")
def booking_settings(service_id: int):
    form = BookingSettingsForm()
    if form.validate_on_submit():
        try:
            planning.set_booking_settings(g.service, **form.values())
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Réglages de réservation enregistrés."), "success")
            return _to_slots()
    return _service_page(settings_form=form)


# --- the branch's week ------------------------------------------------------------------------


@dataclass
class Entry:
    """What one service has at one time of one day: its slot (if on the grid) and bookings."""

    service: Service
    slot: Slot | None = None
    appointments: list[Appointment] = field(default_factory=list)


@dataclass
class Day:
    date: date
    is_today: bool
    is_past: bool
    closed: str | None  # why the branch is closed that day, or None


@dataclass
class Week:
    monday: date
    days: list[Day]
    rows: list[tuple[time, list[list[Entry]]]]  # a time, then each day's entries
    services: list[Service]
    booked: int  # appointments that hold a place (not cancelled)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def _monday(typed: str | None) -> tuple[date, bool]:
    """The Monday of the week asked for (any day of it will do), or of this week when the
    parameter is missing or not a date; the flag says it was not understood."""
    this_week = clock.today() - timedelta(days=clock.today().weekday())
    if not typed:
        return this_week, False
    try:
        day = date.fromisoformat(typed.strip())
    except ValueError:
        return this_week, True
    if abs((day - this_week).days) > 3660:  # ten years either way is a typo
        return this_week, True
    return day - timedelta(days=day.weekday()), False


def _closed(branch: Branch, day: date, closures: dict) -> str | None:
    if day in closures:
        return closures[day].reason or _("Fermeture exceptionnelle")
    return None if branch.hours_on(day.weekday()) else _("Fermé")


def _week(branch: Branch, monday: date) -> Week:
    """The week's grid: each slot start time of a bookable service, with its bookings."""
    today = clock.today()
    dates = [monday + timedelta(days=n) for n in range(7)]
    closures = {c.date: c for c in branch.closures if monday <= c.date <= dates[-1]}
    services = sorted(
        {
            t.service
            for t in queries.list_branch_slot_templates(branch)
            if t.service.accepts_appointments or t.service.requires_appointment
        },
        key=lambda s: (s.prefix, s.id),
    )
    cells: dict[tuple[date, time], dict[int, Entry]] = defaultdict(dict)
    for service in services:
        for day, slots in queries.list_slots_between(
            service, dates[0], dates[-1]
        ).items():
            for slot in slots:
                cells[day, slot.local_start.time()][service.id] = Entry(service, slot)
    appointments = queries.list_branch_appointments(branch, monday, 7)
    for appointment in appointments:
        start = clock.local(appointment.starts_at)
        entries = cells[start.date(), start.time()]
        entry = entries.setdefault(appointment.service_id, Entry(appointment.service))
        entry.appointments.append(appointment)
    rows = [
        (
            moment,
            [
                sorted(
                    cells.get((day, moment), {}).values(),
                    key=lambda e: (e.service.prefix, e.service.id),
                )
                for day in dates
            ],
        )
        for moment in sorted({moment for _day, moment in cells})
    ]
    days = [Day(d, d == today, d < today, _closed(branch, d, closures)) for d in dates]
    booked = sum(a.status is not AppointmentStatus.CANCELLED for a in appointments)
    return Week(monday, days, rows, services, booked)


@bp.get("/branches/<int:branch_id>/appointments")
def branch_appointments(branch_id: int):
    monday, not_understood = _monday(request.args.get("week"))
    response = make_response(
        page_or_fragment(
            "manage/appointments_week.html",
            "manage/_appointments_week.html",
            branch=g.branch,
            week=_week(g.branch, monday),
            week_not_understood=not_understood,
            legend=LEGEND,
            today_url=url_for("agent.appointments", branch_id=branch_id),
        )
    )
    response.vary.add("HX-Request")
    return response
