"""Links a message carries that work without signing in: unsubscribe (an email's
footer) and a reminder's one-tap answers. Each link holds a signed token; GET shows
what it will do and a single button, POST does it (mail scanners follow links: a GET
must never cancel an appointment or unsubscribe anyone)."""

from flask import abort, render_template, request
from flask_babel import gettext as _

from ...appointments import operations as appointments
from ...appointments.queries import get_appointment_by_number
from ...errors import DomainError
from ...notifications import links
from ...notifications import operations as notifications
from ..forms import EmptyForm
from . import bp

ANSWERS = ("coming", "cancel")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    said = links.read_unsubscribe_token(token)
    if said is None:
        abort(404)
    channel, address = said
    form = EmptyForm()
    done = False
    if request.method == "POST" and form.validate_on_submit():
        notifications.opt_out(channel, address)
        done = True
    return render_template(
        "notifications/unsubscribe.html",
        address=address,
        channel=channel,
        form=form,
        done=done,
    )


@bp.route("/r/<token>/<answer>", methods=["GET", "POST"])
def answer_appointment(token: str, answer: str):
    number = links.read_answer_token(token)
    appointment = get_appointment_by_number(number) if number else None
    if appointment is None or answer not in ANSWERS:
        abort(404)
    form = EmptyForm()
    error = None
    done = False
    if request.method == "POST" and form.validate_on_submit():
        try:
            appointments.answer_reminder(appointment, coming=answer == "coming")
            done = True
        except DomainError as refused:
            error = str(refused.message)
    page = render_template(
        "notifications/answer.html",
        appointment=appointment,
        answer=answer,
        form=form,
        done=done,
        error=error,
        title=_("Votre rendez-vous"),
    )
    return page, 409 if error else 200
