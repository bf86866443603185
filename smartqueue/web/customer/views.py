"""Customer pages: take a ticket remotely, the live ticket page, my tickets."""

from dataclasses import dataclass

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

from ...analytics import ratings
from ...errors import DomainError
from ...extensions import limiter
from ...models import Channel, QueueStatus, Service, Ticket
from ...models.travel import LIVE_TICKET_STATUSES
from ...orgs import queries as orgs
from ...payments.fees import ticket_fee
from ...queueing import operations, queries
from ...screens.ticket import ticket_context
from ...travel import operations as travel_operations
from ...travel import queries as travel_queries
from ..htmx import is_htmx, page_or_fragment
from ..limits import ticket_link
from ..safety import acting_user
from ..travel_form import ORIGIN_CHANGES, set_origin, travel_page
from .forms import RatingForm

bp = Blueprint("customer", __name__)

# Taking a ticket remotely and "my tickets" are about a verified account. A ticket's page,
# its socket and its buttons are not: the unguessable token IS the access. Whoever holds the
# link (or the QR code printed by the kiosk for a walk-in who has no account) may follow,
# cancel or step back that ticket, as they could by handing the paper ticket to someone.
ACCOUNT_ONLY = {"customer.take_ticket", "customer.my_tickets"}


@bp.before_request
def _access():
    """The one access rule of this blueprint (see ACCOUNT_ONLY)."""
    if request.endpoint not in ACCOUNT_ONLY:
        return None
    if request.endpoint == "customer.my_tickets":
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return None
    branch_page = url_for("public.branch", branch_id=request.view_args["branch_id"])
    if not current_user.is_authenticated:
        flash(str(current_app.login_manager.login_message), "info")
        return _go(url_for("auth.login", next=branch_page))
    if not current_user.is_verified:
        flash(
            _("Vérifiez d'abord votre adresse e-mail pour prendre un ticket."),
            "error",
        )
        return _go(branch_page)
    return None


def _go(url: str):
    """Redirect a plain form post (303) or an htmx request (HX-Redirect: a full page load)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


# --- the branch page ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueLine:
    """One service of a branch as a customer sees it before taking a ticket."""

    service: Service
    waiting: int
    estimate: queries.WaitEstimate | None
    is_open: bool
    mine: Ticket | None
    fee_fcfa: int = 0  # a VIP or express ticket is paid first (payments.ticket_fee)


def queue_lines(branch) -> list[QueueLine]:
    """The branch page's services with their waiting count, wait estimate and the
    signed-in customer's own active ticket (public.branch renders the branch itself)."""
    waiting = queries.count_waiting_by_service(branch.id)
    mine = {}
    if current_user.is_authenticated:
        tickets = queries.list_customer_tickets(current_user.id)
        mine = {t.service_id: t for t in reversed(tickets) if t.is_active}
    return [
        QueueLine(
            service=s,
            waiting=waiting.get(s.id, 0),
            estimate=queries.estimate_wait(s, waiting.get(s.id, 0)),
            is_open=s.queue is None or s.queue.status is QueueStatus.ACTIVE,
            mine=mine.get(s.id),
            fee_fcfa=_fee(s),
        )
        for s in branch.services
        if s.is_active
    ]


def _fee(service: Service) -> int:
    """What a ticket of this service costs (0: free)."""
    return ticket_fee(service.queue.type) if service.queue else 0


def _channel() -> Channel:
    """Phones say "Mobi" (most) or "Android" (some tablets) in their User-Agent."""
    agent = request.user_agent.string
    return Channel.MOBILE if "Mobi" in agent or "Android" in agent else Channel.WEB


@bp.post("/branches/<int:branch_id>/services/<int:service_id>/ticket")
def take_ticket(branch_id: int, service_id: int):
    branch = orgs.get_public_branch(branch_id) or abort(404)
    service = next((s for s in branch.services if s.id == service_id), None)
    if service is None:
        abort(404)
    if _fee(service):  # no free ticket in a paying queue: the ticket comes with payment
        return _go(url_for("payments.ticket_fee", service_id=service.id))
    try:
        ticket = operations.issue_ticket(
            service,
            channel=_channel(),
            customer=acting_user(),
            locale=str(get_locale() or "fr"),
        )
    except DomainError as error:
        if is_htmx():
            return render_template(
                "customer/_take_ticket.html",
                line=QueueLine(service, 0, None, True, None),
                error=error.message,
            ), 409
        flash(str(error.message), "error")
        return redirect(url_for("public.branch", branch_id=branch_id), 303)
    return _go(url_for("customer.ticket", token=ticket.token))


# --- the live ticket page ----------------------------------------------------------------


def _ticket_or_404(token: str) -> Ticket:
    return queries.get_ticket_by_token(token) or abort(404)


@bp.get("/t/<token>")
def ticket(token: str):
    ticket = _ticket_or_404(token)
    return page_or_fragment(
        "customer/ticket.html", "customer/_ticket.html", **ticket_context(ticket)
    )


@bp.post("/t/<token>/cancel")
def cancel_ticket(token: str):
    return _act(token, operations.cancel_ticket)


@bp.post("/t/<token>/pass")
def let_others_pass(token: str):
    return _act(token, operations.let_others_pass)


def _act(token: str, operation):
    """A button of the ticket page: the move, then the ticket as it now is; a refusal shows
    the engine's message in the ticket (409)."""
    ticket = _ticket_or_404(token)
    holder = acting_user() if current_user.is_authenticated else None
    try:
        operation(ticket, by=holder)
    except DomainError as error:
        ticket = _ticket_or_404(token)
        return page_or_fragment(
            "customer/ticket.html",
            "customer/_ticket.html",
            **ticket_context(ticket, error=error.message),
        ), 409
    if is_htmx():
        return render_template(
            "customer/_ticket.html", **ticket_context(_ticket_or_404(token))
        )
    return redirect(url_for("customer.ticket", token=token), 303)


@bp.post("/t/<token>/rating")
def rate(token: str):
    """A served visit's rating, once (post/redirect/get; htmx swaps the ticket). A
    refusal shows its French message in the ticket: by the form (422) or above (409)."""
    _ticket_or_404(token)
    form = RatingForm()
    try:
        if not form.validate():  # control characters in the comment
            field = "comment" if form.comment.errors else None
            raise DomainError(next(iter(form.errors.values()))[0], field=field)
        ratings.rate_ticket(
            token, form.rating.data, form.comment.data, str(get_locale() or "fr")
        )
    except DomainError as error:
        ticket = _ticket_or_404(token)
        if error.field:
            shown = dict(
                rating_error=error.message,
                rating_error_field=error.field,
                rating_value=form.rating.data,
                rating_comment=form.comment.data,
            )
        else:
            shown = dict(error=error.message)
        return page_or_fragment(
            "customer/ticket.html",
            "customer/_ticket.html",
            **ticket_context(ticket, **shown),
        ), 422 if error.field else 409
    if is_htmx():
        return render_template(
            "customer/_ticket.html", **ticket_context(_ticket_or_404(token))
        )
    return redirect(
        url_for("customer.ticket", token=token, _anchor="ticket-rating"), 303
    )


# --- how long to come (issue 9) ------------------------------------------------------------


def _ticket_travel_page(ticket: Ticket, error=None, status: int = 200):
    return travel_page(
        ticket.branch,
        _("le ticket %(code)s", code=ticket.code),
        url_for("customer.set_travel", token=ticket.token),
        url_for("customer.ticket", token=ticket.token),
        error,
        status,
    )


@bp.get("/t/<token>/travel")
def travel(token: str):
    """Where the holder comes from and how: a page of its own (the live ticket page
    reloads itself every 20 s with scripts off, which would lose a half-filled form)."""
    ticket = _ticket_or_404(token)
    if ticket.status.value not in LIVE_TICKET_STATUSES:
        return redirect(url_for("customer.ticket", token=token), 303)
    return _ticket_travel_page(ticket)


@bp.post("/t/<token>/travel")
@limiter.limit(ORIGIN_CHANGES, key_func=ticket_link)
def set_travel(token: str):
    """A position (the browser's, rounded by the operation) or a place from the list,
    and a mode; the trip is computed by a job, and the ticket page shows it."""
    try:
        set_origin(travel_operations.set_ticket_origin, _ticket_or_404(token))
    except DomainError as error:
        return _ticket_travel_page(_ticket_or_404(token), error.message, 422)
    return redirect(url_for("customer.ticket", token=token), 303)


@bp.post("/t/<token>/travel/forget")
def forget_travel(token: str):
    """The holder takes their position back: erased now, not at the ticket's end."""
    travel_operations.forget_ticket_origin(_ticket_or_404(token))
    if is_htmx():
        return render_template(
            "customer/_ticket.html", **ticket_context(_ticket_or_404(token))
        )
    return redirect(url_for("customer.ticket", token=token), 303)


@bp.post("/t/<token>/travel/later")
def move_back_for_travel(token: str):
    """One tap: step back to the place whose wait matches the trip (never on its own:
    the holder asks for it), so they are neither called on the road nor kept waiting."""

    def move_back(ticket, by):
        trip = travel_queries.ticket_trip_view(ticket)
        if trip is None or trip.place_for_arrival is None:
            raise DomainError(_("Votre place convient déjà à votre trajet."))
        return operations.let_others_pass(
            ticket, by=by, places=trip.place_for_arrival - trip.ahead
        )

    return _act(token, move_back)


# --- my tickets --------------------------------------------------------------------------


@bp.get("/my/tickets")
def my_tickets():
    tickets = queries.list_customer_tickets(current_user.id)
    return render_template("customer/my_tickets.html", tickets=tickets)
