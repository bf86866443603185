"""The payer's pages: choosing how to pay (an appointment's deposit, a VIP or express
ticket's fee), the page the provider sends them back to, "my payments" and receipts.

Only the signed-in payer's own payments: a reference that is someone else's is not
found (404). A payment is created once per form key (a double submit is one payment),
started with its provider outside any transaction by the core, and the payer goes to
the provider's checkout page (Free Money: a prompt on their phone). What the provider
says arrives by its callback (hooks.py), before or after the payer comes back: the
return page reads the payment's status, refreshes itself while it is open, and asks the
provider once when the callback is late.
"""

import re
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...accounts.phones import format_phone
from ...appointments import queries as appointment_queries
from ...extensions import db
from ...models import (
    Appointment,
    AppointmentStatus,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    QueueType,
    Service,
    Ticket,
)
from ...orgs import queries as orgs
from ...payments import fees, operations, queries
from ...payments.errors import PaymentError
from ...payments.providers import online_methods
from ...queueing import queries as queueing_queries
from ..labels import LABELS
from ..safety import acting_user
from . import bp
from .forms import CHOOSE_A_METHOD, PayForm, new_payment_key
from .hooks import notify_url

METHOD_NAMES = {method: LABELS[method] for method in PaymentMethod}
STATUS_WORDS = {
    PaymentStatus.PENDING: _l("En attente de votre paiement"),
    PaymentStatus.PROCESSING: _l("En cours de traitement"),
    PaymentStatus.COMPLETED: _l("Payé"),
    PaymentStatus.FAILED: _l("Échoué"),
    PaymentStatus.CANCELLED: _l("Annulé"),
    PaymentStatus.EXPIRED: _l("Expiré"),
    PaymentStatus.REFUNDED: _l("Remboursé"),
}
PURPOSE_WORDS = {
    PaymentPurpose.TICKET_FEE: _l("Ticket prioritaire"),
    PaymentPurpose.APPOINTMENT_FEE: _l("Acompte de rendez-vous garanti"),
    PaymentPurpose.SERVICE_FEE: _l("Frais de service"),
    PaymentPurpose.SUBSCRIPTION_FEE: _l("Facture d'abonnement"),
    PaymentPurpose.PENALTY_FEE: _l("Pénalité"),
}
QUEUE_NAMES = {QueueType.VIP: _l("Ticket VIP"), QueueType.EXPRESS: _l("Ticket express")}
REFERENCE = re.compile(r"^PAY-[0-9A-F]{12}$")


@bp.app_template_global()
def payment_words():
    """What the payment templates name: statuses, methods, purposes."""
    return {"status": STATUS_WORDS, "method": METHOD_NAMES, "purpose": PURPOSE_WORDS}


# --- access --------------------------------------------------------------------------------


def signed_in(view):
    """The payer's pages are about their account: anyone else signs in first (a form
    posted while signed out comes back to the page it was on)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            flash(str(current_app.login_manager.login_message), "info")
            back = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=back or request.path), 303)
        return view(*args, **kwargs)

    return guarded


def mine(reference: str) -> Payment:
    """One of the signed-in payer's payments; anyone else's is not found."""
    if not REFERENCE.match(reference):
        abort(404)
    return queries.get_payer_payment(reference, current_user.id) or abort(404)


# --- what the payer may choose -------------------------------------------------------------


@dataclass
class Choice:
    """The box of buttons: what is paid, how much, and one button per method."""

    title: str
    amount_fcfa: int
    action: str
    methods: list[PaymentMethod]
    form: PayForm
    error: str | None = None
    open_payment: Payment | None = None  # one already started: where it stands
    note: str | None = None  # what happens without payment


def _choice(
    title: str,
    amount: int,
    action: str,
    form=None,
    error=None,
    open_payment=None,
    note=None,
) -> Choice:
    form = form or PayForm(formdata=None)
    if not form.key.data:
        form.key.data = new_payment_key()
    if not form.phone.data and current_user.phone:
        form.phone.data = format_phone(current_user.phone)
    # The page holding this form sends the payer to the provider's checkout page: its
    # Content-Security-Policy must let the form's redirect leave the site.
    g.payment_form_shown = True
    return Choice(
        title, amount, action, online_methods(), form, error, open_payment, note
    )


def deposit_choice(appointment: Appointment, form=None, error=None) -> Choice | None:
    """The deposit box of a pending_payment appointment's page (None otherwise)."""
    if (
        appointment.status is not AppointmentStatus.PENDING_PAYMENT
        or not appointment.deposit_fcfa
    ):
        return None
    due = appointment.payment_due_by
    title = _(
        "Acompte : %(amount)s à régler avant %(time)s",
        amount=_fcfa(appointment.deposit_fcfa),
        time=_dakar_time(due) if due else "",
    )
    return _choice(
        title,
        appointment.deposit_fcfa,
        url_for("payments.pay_deposit", number=appointment.number),
        form,
        error,
        open_payment=_open_payment(appointment_id=appointment.id),
        note=_("Sans paiement à temps, ce rendez-vous sera annulé."),
    )


def appointment_payments(appointment: Appointment) -> list[Payment]:
    """The signed-in payer's payments for an appointment (its page lists them)."""
    return queries.list_appointment_payments(appointment.id, current_user.id)


@bp.app_template_global()
def ticket_payment(ticket: Ticket) -> Payment | None:
    """The fee its holder paid for this ticket, shown on the ticket's page to them only
    (the page itself is open to whoever holds its link)."""
    if not current_user.is_authenticated or ticket.customer_id != current_user.id:
        return None
    return queries.get_ticket_payment(ticket.id, current_user.id)


def _open_payment(**where) -> Payment | None:
    return queries.get_open_payment(current_user.id, **where)


def _fcfa(amount: int) -> str:
    return current_app.jinja_env.filters["fcfa"](amount)


def _dakar_time(moment) -> str:
    return current_app.jinja_env.filters["dakar_time"](moment, "HH:mm")


# --- paying --------------------------------------------------------------------------------


def _methods_by_value() -> dict[str, PaymentMethod]:
    return {method.value: method for method in online_methods()}


def _pay(create, refused_page):
    """The form's POST: check its shape, create the payment once per key (`create`:
    method, E.164 phone, key -> payment), start it, send the payer on. Every refusal is
    the choice again with a message (`refused_page(form, error, status)`)."""
    form = PayForm()
    if not form.validate():
        errors = [e for field in form for e in field.errors]
        return refused_page(form, str(errors[0] if errors else CHOOSE_A_METHOD), 422)
    method = _methods_by_value().get(form.method.data)
    if method is None:
        return refused_page(
            form, _("Ce moyen de paiement n'est pas disponible ici."), 422
        )
    if method is PaymentMethod.FREE_MONEY and not form.payer_phone:
        form.phone.errors = [_("Indiquez le numéro Free Money qui va payer.")]
        return refused_page(form, form.phone.errors[0], 422)
    key = f"web:{current_user.id}:{form.key.data}"
    try:
        payment = create(method, form.payer_phone, key)
        payment = operations.start_payment(
            payment,
            return_url=url_for(
                "payments.payment", reference=payment.reference, _external=True
            ),
            cancel_url=url_for(
                "payments.cancelled", reference=payment.reference, _external=True
            ),
            notify_url=notify_url(payment),
        )
    except PaymentError as refusal:
        # A new key: the refused payment is closed, another try is another payment.
        return refused_page(PayForm(formdata=None), str(refusal.message), 409)
    if payment.is_open and payment.checkout_url:
        return redirect(payment.checkout_url, 303)
    # Free Money (confirm on the phone), or a second submit of a closed payment.
    return redirect(url_for("payments.payment", reference=payment.reference), 303)


def _my_appointment(number: str) -> Appointment:
    return appointment_queries.get_customer_appointment(current_user, number) or abort(
        404
    )


def _deposit_page(appointment: Appointment, form=None, error=None, status=200):
    choice = deposit_choice(appointment, form, error)
    if choice is None:  # paid, cancelled or lapsed meanwhile: its page says which
        if error:
            flash(error, "info")
        return redirect(url_for("booking.appointment", number=appointment.number), 303)
    return render_template(
        "payments/choose.html",
        choice=choice,
        appointment=appointment,
        back_url=url_for("booking.appointment", number=appointment.number),
    ), status


@bp.get("/payments/deposit/<number>")
@signed_in
def deposit(number: str):
    return _deposit_page(_my_appointment(number))


@bp.post("/payments/deposit/<number>")
@signed_in
def pay_deposit(number: str):
    appointment = _my_appointment(number)
    payer = acting_user()
    return _pay(
        lambda method, phone, key: operations.pay_deposit(
            appointment,
            method=method,
            payer=payer,
            payer_phone=phone,
            idempotency_key=key,
        ),
        lambda form, error, status: _deposit_page(
            _my_appointment(number), form, error, status
        ),
    )


# --- a VIP or express ticket's fee ----------------------------------------------------------


def _paying_service(service_id: int) -> tuple[Service, int]:
    """A service of a public branch whose tickets cost a fee (else 404)."""
    service = db.session.get(Service, service_id)
    if (
        service is None
        or not service.is_active
        or service.queue is None
        or orgs.get_public_branch(service.branch_id) is None
    ):
        abort(404)
    fee = fees.ticket_fee(service.queue.type)
    return (service, fee) if fee else abort(404)


def _ticket_fee_page(service: Service, fee: int, form=None, error=None, status=200):
    title = _(
        "%(kind)s : %(amount)s", kind=QUEUE_NAMES[service.queue.type], amount=_fcfa(fee)
    )
    choice = _choice(
        title,
        fee,
        url_for("payments.ticket_fee", service_id=service.id),
        form,
        error,
        open_payment=_open_payment(service_id=service.id, ticket_id=None),
    )
    return render_template(
        "payments/choose.html",
        choice=choice,
        service=service,
        back_url=url_for("public.branch", branch_id=service.branch_id),
    ), status


def _active_ticket(service: Service) -> Ticket | None:
    return next(
        (
            ticket
            for ticket in queueing_queries.list_customer_tickets(current_user.id)
            if ticket.service_id == service.id and ticket.is_active
        ),
        None,
    )


@bp.route("/payments/ticket/<int:service_id>", methods=["GET", "POST"])
@signed_in
def ticket_fee(service_id: int):
    """The take-ticket form of a paying queue leads here: the ticket is made when the
    payment completes (payments/fulfilment.py), never before."""
    service, fee = _paying_service(service_id)
    if not current_user.is_verified:
        flash(
            _("Vérifiez d'abord votre adresse e-mail pour prendre un ticket."), "error"
        )
        return redirect(url_for("public.branch", branch_id=service.branch_id), 303)
    held = _active_ticket(service)
    if held is not None:  # paying would make no second ticket, only a refund
        flash(_("Vous avez déjà un ticket en cours dans cette file."), "info")
        return redirect(url_for("customer.ticket", token=held.token), 303)
    if request.method == "GET":
        return _ticket_fee_page(service, fee)
    payer = acting_user()
    return _pay(
        lambda method, phone, key: operations.pay_ticket_fee(
            service,
            method=method,
            payer=payer,
            payer_phone=phone,
            idempotency_key=key,
            locale=str(get_locale() or "fr"),
        ),
        lambda form, error, status: _ticket_fee_page(service, fee, form, error, status),
    )


# --- the checkout's way out ------------------------------------------------------------------


@bp.after_app_request
def _let_the_form_reach_the_checkout(response):
    """A page with the payment form posts to this site, which answers with a redirect
    to the provider's checkout page: browsers check that redirect against the page's
    form-action, 'self' elsewhere. Widened on these pages only, to HTTPS and to the
    configured providers' own addresses (the simulator's, outside production)."""
    if not g.get("payment_form_shown"):
        return response
    policy = response.headers.get("Content-Security-Policy")
    if not policy or "form-action 'self'" not in policy:
        return response
    allowed = ["'self'", "https:"]
    for name in ("WAVE_API_URL", "ORANGE_MONEY_API_URL", "FREE_MONEY_API_URL"):
        parts = urlsplit(current_app.config.get(name) or "")
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
        if parts.scheme == "http" and origin not in allowed:
            allowed.append(origin)
    response.headers["Content-Security-Policy"] = policy.replace(
        "form-action 'self'", "form-action " + " ".join(allowed)
    )
    return response
