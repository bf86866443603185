"""Customer appointment pages: book a service's time (calendar, times, confirm), my
appointments, one appointment (.ics, QR code, cancel, move), and the own check-in link."""

import re
from dataclasses import dataclass
from datetime import date

from babel.dates import get_day_names
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...appointments import arrival, operations, queries
from ...appointments.ics import appointment_ics
from ...appointments.slots import at
from ...errors import DomainError
from ...extensions import db, limiter
from ...models import Appointment, AppointmentStatus, Channel, Service
from ...orgs import queries as orgs
from ...travel import operations as travel_operations
from ...travel import queries as travel_queries
from ..forms import EmptyForm
from ..htmx import page_or_fragment
from ..limits import appointment_link
from ..payments.pages import appointment_payments, deposit_choice
from ..qr import qr_svg
from ..safety import acting_user
from ..travel_form import ORIGIN_CHANGES, set_origin, travel_page
from .calendar import month_of_window
from .forms import PICK_A_TIME, TimeForm

bp = Blueprint("booking", __name__, url_prefix="/appointments")

# The check-in link is not about an account: its unguessable token IS the access, as a
# ticket's token is (the customer may open it on any phone, signed in or not).
BY_TOKEN = {"booking.check_in"}
# Booking a new appointment needs a verified e-mail address, as taking a ticket does.
NEW_BOOKING = {"booking.calendar", "booking.times"}


@bp.before_request
def _access():
    """The one access rule of this blueprint: the signed-in customer's own appointments
    (others' are 404 in the views), the check-in link by its token."""
    if request.endpoint in BY_TOKEN:
        return None
    if not current_user.is_authenticated:
        flash(str(current_app.login_manager.login_message), "info")
        back = (
            request.full_path.rstrip("?") if request.method == "GET" else request.path
        )
        return redirect(url_for("auth.login", next=back), 303)
    if request.endpoint in NEW_BOOKING and not current_user.is_verified:
        service = _bookable_service(request.view_args["service_id"])
        flash(
            _("Vérifiez d'abord votre adresse e-mail pour prendre rendez-vous."),
            "error",
        )
        return redirect(url_for("public.branch", branch_id=service.branch_id), 303)
    return None


# --- loading -------------------------------------------------------------------------------


def _bookable_service(service_id: int) -> Service:
    """A service customers may book, in a branch open to the public (else 404)."""
    service = db.session.get(Service, service_id)
    if (
        service is None
        or not service.is_active
        or not (service.accepts_appointments or service.requires_appointment)
        or orgs.get_public_branch(service.branch_id) is None
    ):
        abort(404)
    return service


def _mine(number: str) -> Appointment:
    """One of the signed-in customer's appointments; anyone else's is not found."""
    return queries.get_customer_appointment(current_user, number) or abort(404)


DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text) if DAY.match(text) else abort(404)
    except ValueError:
        abort(404)


def _month_arg() -> date | None:
    text = request.args.get("month")
    if text is None:
        return None
    match = MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        abort(404)
    return date(int(match.group(1)), int(match.group(2)), 1)


# --- choosing a day and a time (booking, or moving an appointment) --------------------------


@dataclass(frozen=True)
class Flow:
    """Booking a new appointment of `service`, or moving `moving`: the same pages."""

    service: Service
    moving: Appointment | None = None

    def calendar_url(self, month: date | None = None) -> str:
        args = {"month": f"{month:%Y-%m}"} if month else {}
        if self.moving:
            return url_for("booking.move", number=self.moving.number, **args)
        return url_for("booking.calendar", service_id=self.service.id, **args)

    def day_url(self, day: date) -> str:
        if self.moving:
            return url_for("booking.move_times", number=self.moving.number, day=day)
        return url_for("booking.times", service_id=self.service.id, day=day)


def _weekdays() -> list[str]:
    names = get_day_names("abbreviated", locale=get_locale() or "fr")
    return [names[i] for i in range(7)]


def _calendar_page(flow: Flow):
    month = month_of_window(flow.service, _month_arg())
    return page_or_fragment(
        "booking/calendar.html",
        "booking/_calendar.html",
        flow=flow,
        month=month,
        weekdays=_weekdays(),
    )


def _times_page(flow: Flow, day: date, form: TimeForm, error: str | None = None):
    times = [
        slot
        for slot in queries.list_available_times(flow.service, day)
        if not (flow.moving and slot.starts_at == flow.moving.starts_at)
    ]
    return render_template(
        "booking/times.html",
        flow=flow,
        day=day,
        times=times,
        settings=queries.get_settings(flow.service),
        form=form,
        error=error,
    )


def _choose_time(flow: Flow, day: date, operation, done: str):
    """GET: the day's free times. POST: `operation(starts_at)`, then the appointment it
    gives; a refusal shows the times again with the core's message (nothing written)."""
    form = TimeForm()
    if request.method == "GET":
        _, last = queries.booking_window(queries.get_settings(flow.service))
        if not clock.today() <= day <= last:
            abort(404)
        return _times_page(flow, day, form)
    if not form.validate():
        error = (form.time.errors or [PICK_A_TIME])[0]
        return _times_page(flow, day, form, error=str(error)), 422
    try:
        appointment = operation(at(day, form.chosen))
    except DomainError as refused:
        return _times_page(flow, day, form, error=str(refused.message)), 409
    flash(done, "success")
    return redirect(url_for("booking.appointment", number=appointment.number), 303)


@bp.get("/book/<int:service_id>")
def calendar(service_id: int):
    return _calendar_page(Flow(_bookable_service(service_id)))


@bp.route("/book/<int:service_id>/<day>", methods=["GET", "POST"])
def times(service_id: int, day: str):
    service = _bookable_service(service_id)
    customer = acting_user()
    return _choose_time(
        Flow(service),
        _day(day),
        lambda starts_at: operations.book_appointment(
            customer, service, starts_at, locale=str(get_locale() or "fr")
        ),
        _("Votre rendez-vous est réservé."),
    )


def _movable(number: str) -> Appointment:
    appointment = _mine(number)
    if not appointment.is_upcoming:
        abort(404)  # cancelled, moved, attended: nothing to move (its page says why)
    return appointment


@bp.get("/<number>/move")
def move(number: str):
    appointment = _movable(number)
    return _calendar_page(Flow(appointment.service, appointment))


@bp.route("/<number>/move/<day>", methods=["GET", "POST"])
def move_times(number: str, day: str):
    appointment = _movable(number)
    customer = acting_user()
    return _choose_time(
        Flow(appointment.service, appointment),
        _day(day),
        lambda starts_at: operations.reschedule_appointment(
            appointment, starts_at, by=customer
        ),
        _("Votre rendez-vous est déplacé : voici le nouveau."),
    )


# --- one appointment ---------------------------------------------------------------------


def _appointment_page(appointment: Appointment, error: str | None = None):
    check_in_url = url_for(
        "booking.check_in",
        number=appointment.number,
        token=appointment.check_in_token,
        _external=True,
    )
    moved = appointment.status is AppointmentStatus.RESCHEDULED
    # An unpaid appointment cannot be checked in (arrival.py): no code to show yet.
    checkable = (
        appointment.is_upcoming
        and appointment.status is not AppointmentStatus.PENDING_PAYMENT
    )
    return render_template(
        "booking/appointment.html",
        appointment=appointment,
        moved_to=queries.get_rescheduled_to(appointment) if moved else None,
        check_in_url=check_in_url,
        qr=qr_svg(check_in_url, "qr booking-qr") if checkable else None,
        change_until=appointment.starts_at - operations.CHANGE_LIMIT,
        trip=travel_queries.appointment_trip_view(appointment),
        form=EmptyForm(),
        error=error,
        deposit=deposit_choice(appointment),
        payments=appointment_payments(appointment),
    )


@bp.get("/<number>")
def appointment(number: str):
    return _appointment_page(_mine(number))


@bp.get("/<number>.ics")
def ics(number: str):
    appointment = _mine(number)
    response = make_response(appointment_ics(appointment))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{appointment.number}.ics"'
    )
    return response


@bp.post("/<number>/cancel")
def cancel(number: str):
    appointment = _mine(number)
    try:
        operations.cancel_appointment(appointment, by=acting_user())
    except DomainError as refused:
        return _appointment_page(_mine(number), error=str(refused.message)), 409
    flash(_("Votre rendez-vous est annulé."), "success")
    return redirect(url_for("booking.appointment", number=appointment.number), 303)


# --- when to leave (issue 9) ---------------------------------------------------------------


def _travel_page(appointment: Appointment, error=None, status: int = 200):
    return travel_page(
        appointment.branch,
        _("le rendez-vous %(number)s", number=appointment.number),
        url_for("booking.set_travel", number=appointment.number),
        url_for("booking.appointment", number=appointment.number),
        error,
        status,
    )


@bp.get("/<number>/travel")
def travel(number: str):
    appointment = _mine(number)
    if not appointment.is_upcoming:
        return redirect(url_for("booking.appointment", number=number), 303)
    return _travel_page(appointment)


@bp.post("/<number>/travel")
@limiter.limit(ORIGIN_CHANGES, key_func=appointment_link)
def set_travel(number: str):
    """Departure = start - travel - margin, computed by a job and sent as a reminder."""
    try:
        set_origin(travel_operations.set_appointment_origin, _mine(number))
    except DomainError as error:
        return _travel_page(_mine(number), error.message, 422)
    return redirect(url_for("booking.appointment", number=number), 303)


# --- my appointments ---------------------------------------------------------------------


@bp.get("/")
def my_appointments():
    customer = acting_user()
    return render_template(
        "booking/my_appointments.html",
        upcoming=queries.list_customer_appointments(customer, upcoming=True),
        past=queries.list_customer_appointments(customer, upcoming=False),
    )


# --- the customer's own check-in link (no sign-in: the token is the access) ---------------


def _by_token(number: str) -> Appointment:
    token = request.args.get("token", "")
    return queries.get_appointment_for_check_in(number, token) or abort(404)


@bp.route("/<number>/check-in", methods=["GET", "POST"])
def check_in(number: str):
    appointment = _by_token(number)
    if request.method == "GET":
        return render_template("booking/check_in.html", appointment=appointment)
    try:
        appointment = arrival.check_in(appointment, channel=Channel.WEB)
    except DomainError as refused:
        return render_template(
            "booking/check_in.html",
            appointment=_by_token(number),
            error=str(refused.message),
        ), 409
    return redirect(url_for("customer.ticket", token=appointment.ticket.token), 303)
