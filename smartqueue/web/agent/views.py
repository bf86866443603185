"""The counter screen: choose a counter, then call, recall, serve, transfer, pause, close.

Every button is a POST form: without scripts it redirects back to the screen (post/redirect/
get); with htmx it gets the screen's regions back as out-of-band swaps. A refused move shows
the engine's message in the panel: 409 for a move the state forbids, 422 for bad input.
"""

from collections.abc import Callable

from flask import flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...errors import DomainError
from ...models import CounterStatus, Service, Ticket
from ...queueing import operations, queries
from ...queueing.errors import IllegalMove
from ...screens.counter import (
    get_counter_screen,
    list_counter_branches,
    render_update,
)
from ...screens.sockets import socket_path
from ..forms import Form
from ..htmx import is_htmx
from ..safety import acting_user
from . import appointments as _appointments  # noqa: F401  (its routes, on bp)
from . import bp
from .forms import CallTicketForm, TicketActionForm, TransferForm

__all__ = ["bp"]


@bp.get("/")
def counters():
    return render_template(
        "agent/counters.html", branches=list_counter_branches(g.branch_ids)
    )


@bp.get("/counters/<int:counter_id>")
def counter(counter_id: int):
    return _screen()


@bp.post("/counters/<int:counter_id>/open")
def open_counter(counter_id: int):
    return _act(lambda form: _set_status(CounterStatus.OPEN))


@bp.post("/counters/<int:counter_id>/pause")
def pause_counter(counter_id: int):
    return _act(lambda form: _set_status(CounterStatus.PAUSED))


@bp.post("/counters/<int:counter_id>/close")
def close_counter(counter_id: int):
    return _act(lambda form: _set_status(CounterStatus.CLOSED))


@bp.post("/counters/<int:counter_id>/take-over")
def take_over(counter_id: int):
    return _act(lambda form: operations.take_over_counter(g.counter, by=acting_user()))


@bp.post("/counters/<int:counter_id>/call-ticket")
def call_ticket(counter_id: int):
    def call(form):
        operations.call_out_of_turn(
            g.counter, form.waiting.data, reason=form.reason.data, by=acting_user()
        )

    return _act(call, CallTicketForm())


@bp.post("/counters/<int:counter_id>/call")
def call_next(counter_id: int):
    def call(form):
        if operations.call_next(g.counter, by=acting_user()) is None:
            return _("Personne n'attend pour les services de ce guichet.")

    return _act(call)


@bp.post("/counters/<int:counter_id>/recall")
def recall(counter_id: int):
    return _act(lambda form: operations.recall(_current(form), by=acting_user()))


@bp.post("/counters/<int:counter_id>/start")
def start(counter_id: int):
    return _act(lambda form: operations.start_serving(_current(form), by=acting_user()))


@bp.post("/counters/<int:counter_id>/finish")
def finish(counter_id: int):
    return _act(lambda form: operations.finish(_current(form), by=acting_user()))


@bp.post("/counters/<int:counter_id>/no-show")
def no_show(counter_id: int):
    return _act(lambda form: operations.mark_no_show(_current(form), by=acting_user()))


@bp.post("/counters/<int:counter_id>/transfer")
def transfer(counter_id: int):
    def move(form):
        target = _service(form.service_id.data)  # one of the choices: the form checked
        new = operations.transfer(_current(form), target, by=acting_user())
        # Said to the agent, who tells the customer: their paper stays right.
        return _(
            "%(code)s attend maintenant à « %(service)s », sous le même numéro.",
            code=new.code,
            service=target.name_for(str(get_locale() or "fr")),
        )

    services = [s for s in g.counter.branch.services if s.is_active]
    return _act(move, TransferForm(services))


# --- the common shape of an action ---------------------------------------------------------


def _act(operation: Callable, form: Form | None = None):
    """Validate, run one operation, answer: redirect, or the regions (with any message)."""
    form = form or TicketActionForm()
    if not form.validate_on_submit():
        errors = [str(e) for messages in form.errors.values() for e in messages]
        return _screen(error=errors[0] if errors else None, status=422)
    try:
        notice = operation(form)
    except DomainError as error:
        return _screen(error=str(error.message), status=422 if error.field else 409)
    if is_htmx():
        return _screen(notice=notice if isinstance(notice, str) else None)
    if isinstance(notice, str):
        flash(notice, "info")
    return redirect(url_for("agent.counter", counter_id=g.counter.id), code=303)


def _screen(error: str | None = None, notice: str | None = None, status: int = 200):
    screen = get_counter_screen(g.counter, acting_user().id)
    if is_htmx():
        html = render_update(screen, error=error, notice=notice)
    else:
        html = render_template(
            "agent/counter.html",
            screen=screen,
            error=error,
            notice=notice,
            oob=False,
            socket_path=socket_path(
                "counter_socket.counter_socket",
                counter_id=g.counter.id,
                panel=screen.panel_version,
            ),
        )
    return html, status


def _set_status(status: CounterStatus) -> None:
    operations.set_counter_status(g.counter, status, by=acting_user())


def _current(form: TicketActionForm) -> Ticket:
    """The ticket at this counter, which must be the one the screen showed (if it said)."""
    ticket = queries.get_current_ticket(g.counter)
    if ticket is None and g.counter.agent_id not in (None, acting_user().id):
        # Taken over: say so rather than "no ticket" (the engine checks it again).
        operations.check_holder(g.counter, acting_user())
    if ticket is None:
        raise IllegalMove(_l("Aucun ticket en cours à ce guichet."))
    if form.ticket_id is not None and form.ticket_id != ticket.id:
        raise IllegalMove(_l("L'écran n'était plus à jour : voici le ticket en cours."))
    return ticket


def _service(service_id: int) -> Service:
    return next(s for s in g.counter.branch.services if s.id == service_id)
