"""Kiosk screens: start -> service (priority) -> contact -> ticket, and start -> appointment
check-in (typed number or scanned QR code) -> ticket. No login: the device link's token,
checked once per request, is the kiosk's authorization.

The token rides in every URL; `url_for("kiosk.…")` adds it by itself (url_defaults).
"""

import functools

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from ... import clock
from ...appointments import arrival
from ...appointments import queries as appointments
from ...errors import DomainError
from ...extensions import db, limiter
from ...models import (
    Appointment,
    Branch,
    Channel,
    DeviceKind,
    Service,
)
from ...queueing import operations, queries, rules
from ...queueing.devices import device_branch_id
from ...queueing.errors import UnknownService
from ...screens.kiosk import seconds_until_change
from ...screens.sockets import socket_path
from ..htmx import page_or_fragment
from ..limits import kiosk_link
from ..qr import qr_svg
from .forms import CheckInForm, ScanForm, TicketForm

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

# Anyone at a kiosk could try to check in someone else's appointment of the day by its
# last 4 digits: unknown numbers typed at a kiosk are limited (a mistype or two is not).
WRONG_NUMBERS = "10 per minute"
# Tickets per kiosk link, at a person's pace: one takes at least ~5 s (service,
# priority, contact), so 60 in 5 minutes is an opening rush at full speed, and 6 in 10 s
# lets a family take theirs one after another. A stuck or scripted kiosk (60 tickets in
# 0.6 s) stops there. Every tap counts, before the ticket: a limit counted after the
# answer would let simultaneous taps all through.
TICKETS = "6 per 10 seconds; 60 per 5 minutes"

LANGUAGES = ("fr", "wo")


@bp.url_value_preprocessor
def _take_token(endpoint, values):
    g.kiosk_token = (values or {}).pop("token", None)


@bp.url_defaults
def _give_token(endpoint, values):
    if "token" not in values and g.get("kiosk_token"):
        values["token"] = g.kiosk_token


@bp.before_request
def _check_device():
    """The only access check: an active kiosk link, else 404 (as if it never existed)."""
    g.branch_id = device_branch_id(g.get("kiosk_token"), DeviceKind.KIOSK)
    if g.branch_id is None:
        abort(404)


def kiosk_branch() -> Branch:
    """The kiosk's branch, loaded when a page needs more than its id."""
    if "branch" not in g:
        g.branch = db.session.get(Branch, g.branch_id)
    return g.branch


@bp.context_processor
def _kiosk_context():
    branch = kiosk_branch() if g.get("branch_id") else None
    return {"branch": branch, "kiosk_lang": kiosk_locale()}


def kiosk_locale() -> str:
    """The kiosk's own language (French until a customer picks Wolof)."""
    lang = session.get("kiosk_locale")
    return lang if lang in LANGUAGES else "fr"


def in_kiosk_language(view):
    """Render the whole view in the kiosk's language, whatever the browser says."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with force_locale(kiosk_locale()):
            return view(*args, **kwargs)

    return wrapped


def takes_phone() -> bool:
    """A phone number is asked for only where something can be sent to it."""
    return current_app.config.get("SMS_ENABLED", False)


def _service_or_404(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.branch_id != g.branch_id:
        abort(404)
    if not service.is_active:
        abort(404)
    return service


@bp.get("/<token>")
@in_kiosk_language
def start():
    """The services to choose from; to its socket's nudge (an HTMX request), only the
    region that changes with them (the branch's state, the queues, the counts)."""
    branch = kiosk_branch()
    state = rules.branch_states([branch.id])[branch.id]
    waiting = queries.count_waiting_by_service(branch.id)
    active = [s for s in branch.services if s.is_active]
    page = page_or_fragment(
        "kiosk/start.html",
        "kiosk/_offer.html",
        state=state,
        refresh_in=seconds_until_change(branch.id, state),
        socket_path=socket_path("kiosk_socket.live", token=g.kiosk_token),
        services=[
            (s, waiting.get(s.id, 0), queries.estimate_wait(s, waiting.get(s.id, 0)))
            for s in active
        ],
        takes_appointments=any(
            s.accepts_appointments or s.requires_appointment for s in active
        ),
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # live, and the link is a secret
    response.vary.add("HX-Request")
    return response


@bp.post("/<token>/language")
def language():
    """Switch between French and Wolof; anything else (and the idle reset) is French."""
    lang = request.form.get("lang")
    session["kiosk_locale"] = lang if lang in LANGUAGES else "fr"
    return redirect(url_for(".start"), 303)


@bp.get("/<token>/services/<int:service_id>")
@in_kiosk_language
def service(service_id: int):
    """Choose a priority (or learn that this service is by appointment only)."""
    service = _service_or_404(service_id)
    if service.requires_appointment:
        return render_template("kiosk/appointment.html", service=service)
    return render_template("kiosk/priority.html", service=service)


@bp.get("/<token>/services/<int:service_id>/contact")
@in_kiosk_language
def contact(service_id: int):
    service = _service_or_404(service_id)
    priority = "high" if request.args.get("priority") == "high" else "normal"
    form = TicketForm(priority=priority, takes_phone=takes_phone())
    return render_template("kiosk/contact.html", service=service, form=form)


@bp.post("/<token>/services/<int:service_id>/tickets")
@limiter.limit(TICKETS, key_func=kiosk_link)
@in_kiosk_language
def issue(service_id: int):
    # The service is loaded only for a page to show: every kiosk's busiest request is a
    # ticket issued, and the operation reads (and checks) the service itself.
    form = TicketForm(takes_phone=takes_phone())
    if not form.validate():
        service = _service_or_404(service_id)
        return render_template("kiosk/contact.html", service=service, form=form), 422
    try:
        ticket = operations.issue_ticket(
            service_id,
            at_branch=g.branch_id,
            channel=Channel.KIOSK,
            priority=form.priority_value,
            contact_email=form.contact_email,
            contact_phone=form.contact_phone,
            locale=kiosk_locale(),
        )
    except UnknownService:
        abort(404)
    except DomainError as error:
        service = _service_or_404(service_id)
        return render_template(
            "kiosk/refused.html", service=service, message=error.message
        ), 409
    return redirect(url_for(".ticket", ticket_token=ticket.token, print=1), 303)


@bp.get("/<token>/tickets/<ticket_token>")
@in_kiosk_language
def ticket(ticket_token: str):
    ticket = queries.get_ticket_by_token(ticket_token)
    if ticket is None or ticket.branch_id != g.branch_id:
        abort(404)
    return render_template(
        "kiosk/ticket.html",
        ticket=ticket,
        appointment=appointments.get_ticket_appointment(ticket.id),
        estimate=queries.estimate_ticket_wait(ticket),
        qr=qr_svg(url_for("customer.ticket", token=ticket.token, _external=True)),
    )


# --- appointments: check-in -------------------------------------------------------------------


def _check_in_page(form: CheckInForm, status: int = 200):
    today = f"RDV{clock.today():%Y%m%d}"  # what customers may leave out of their number
    return render_template("kiosk/check_in.html", form=form, today=today), status


@bp.get("/<token>/appointments")
@in_kiosk_language
def check_in():
    """Type the appointment number (or scan its QR code, where the kiosk has a camera)."""
    return _check_in_page(CheckInForm(formdata=None))


@bp.errorhandler(429)
def _too_many(error):
    """A limit of this kiosk link, said on its own screen, in its own language."""
    _check_device()  # the limit is checked before the link: an unknown link stays a 404
    with force_locale(kiosk_locale()):
        if request.endpoint == "kiosk.issue":
            message = _("Trop de tickets ont été demandés sur cette borne.")
            lead = _(
                "Aucun ticket n'a été délivré. Patientez quelques secondes, "
                "puis réessayez, ou adressez-vous à l'accueil."
            )
        else:
            message = _("Trop de numéros inconnus ont été tapés sur cette borne.")
            lead = _("Patientez une minute, ou adressez-vous à l'accueil.")
        return render_template(
            "kiosk/refused.html", service=None, message=message, lead=lead
        ), 429


@bp.post("/<token>/appointments")
@limiter.limit(
    WRONG_NUMBERS,
    key_func=kiosk_link,
    deduct_when=lambda response: response.status_code == 404,
)
@in_kiosk_language
def check_in_typed():
    form = CheckInForm()
    if not form.validate():
        return _check_in_page(form, 422)
    appointment = appointments.get_appointment_by_number(
        form.appointment_number, branch=kiosk_branch()
    )
    if appointment is None:  # unknown, or another branch's: the same answer
        form.number.errors.append(
            _("Aucun rendez-vous avec ce numéro dans cette agence.")
        )
        return _check_in_page(form, 404)
    return _arrive(appointment)


@bp.post("/<token>/appointments/scan")
@in_kiosk_language
def check_in_scanned():
    """The camera read a check-in QR code (the customer's own check-in link)."""
    form = ScanForm()
    found = form.validate() and appointments.get_appointment_for_check_in(
        form.number.data, form.token.data
    )
    if not found:
        typed = CheckInForm(formdata=None)
        typed.number.errors = [_("Ce code QR n'est pas reconnu. Tapez votre numéro.")]
        return _check_in_page(typed, 404)
    if found.branch_id != g.branch_id:
        message = _(
            "Ce rendez-vous est prévu dans une autre agence : %(branch)s.",
            branch=found.branch.name,
        )
        return _refused(found, message, 404)
    return _arrive(found)


def _arrive(appointment: Appointment):
    try:
        arrival.check_in(appointment, channel=Channel.KIOSK)
    except DomainError as error:
        return _refused(appointment, error.message, 409)
    return redirect(
        url_for(".ticket", ticket_token=appointment.ticket.token, print=1), 303
    )


def _refused(appointment: Appointment, message, status: int):
    lead = _(
        "Aucun nouveau ticket n'a été délivré. Adressez-vous à l'accueil si besoin."
    )
    return render_template(
        "kiosk/refused.html", service=appointment.service, message=message, lead=lead
    ), status
