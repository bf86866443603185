"""Manage area: a branch's urgent message (to everyone waiting and on its board), and the
messages it could not send.

An urgent message is written at once and fanned out by a job: the page answers before a
single SMS is written (notifications.operations.broadcast_message)."""

from datetime import datetime, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import clock
from ...errors import DomainError
from ...models import NotificationKind, NotificationStatus
from ...notifications import gsm, texts
from ...notifications import operations as notifications
from ...notifications import queries as notification_queries
from ..htmx import is_htmx
from ..safety import acting_user, parse_id
from . import bp
from .common import refuse, status
from .forms import BroadcastForm, EndBroadcastForm

# The failures page looks this far back (the notification rows are kept longer).
FAILURES_SINCE = timedelta(days=7)
STATUS_ORDER = (
    NotificationStatus.QUEUED,
    NotificationStatus.SENT,
    NotificationStatus.DELIVERED,
    NotificationStatus.FAILED,
    NotificationStatus.NOT_SENT,
)


def this_month() -> tuple[datetime, datetime]:
    """The current month in Dakar, as [start, end) moments: an invoice's period."""
    today = clock.today()
    start = datetime(today.year, today.month, 1, tzinfo=clock.DAKAR)
    following = datetime(
        today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=clock.DAKAR
    )
    return start, following


def organization_sms_usage(org_id: int) -> notification_queries.SmsUsage:
    """The organization page's line: the SMS sent this month, their parts and cost."""
    return notification_queries.sms_usage(org_id, *this_month())


def masked(recipient: str) -> str:
    """An address as the failures page shows it: enough for a manager to recognize a
    customer who says "I got nothing" (the last digits, an email's first letter and
    domain), not a list of numbers to copy."""
    if recipient.startswith("+") and len(recipient) > 6:
        return f"{recipient[:4]} … {recipient[-2:]}"
    if "@" in recipient:
        name, domain = recipient.rsplit("@", 1)
        return f"{name[:1]}…@{domain}"
    return recipient  # "user:<id>", "push:<id>": no address to hide


def sms_count(branch, text: str) -> dict:
    """What an urgent message costs as an SMS: the characters typed (spaces folded as
    the operation stores them) and the parts of the SMS a holder receives, the branch's
    name in front, folded to GSM-7 as the gateways send it."""
    message = " ".join((text or "").split())
    sms = texts.words(
        NotificationKind.URGENT, "fr", branch=texts.cut(branch.name), message=message
    ).text
    encoding, parts = gsm.segments(gsm.to_gsm7(sms))
    return {
        "chars": len(message),
        "parts": parts,
        "unicode": encoding == "ucs2",
        "too_long": len(message) > notifications.BROADCAST_MAX,
        "limit": notifications.BROADCAST_MAX,
    }


def _messages_page(form: BroadcastForm):
    branch = g.branch
    broadcasts = notification_queries.list_broadcasts(branch.id)
    active = notification_queries.get_active_broadcast(branch.id)
    return render_template(
        "manage/branch_messages.html",
        branch=branch,
        form=form,
        end_form=EndBroadcastForm(formdata=None),
        broadcasts=[(b, sms_count(branch, b.text)) for b in broadcasts],
        active=active,
        count=sms_count(branch, form.text.data or ""),
        now=clock.now(),
    )


@bp.route("/branches/<int:branch_id>/messages", methods=["GET", "POST"])
def branch_messages(branch_id: int):
    """Post an urgent message; to the form's own htmx request (as the manager types),
    the count of characters and SMS."""
    if request.method == "GET" and is_htmx():
        return render_template(
            "manage/_message_count.html",
            count=sms_count(g.branch, request.args.get("text", "")),
        )
    form = BroadcastForm()
    if form.validate_on_submit():
        try:
            broadcast = notifications.broadcast_message(
                g.branch, form.text.data, by=acting_user()
            )
        except DomainError as error:
            refuse(form, error)
        else:
            count = sms_count(g.branch, broadcast.text)
            flash(
                _(
                    "Message publié sur l’écran de la salle ; il part maintenant à "
                    "chaque personne qui attend (%(parts)s SMS par personne jointe "
                    "par SMS).",
                    parts=count["parts"],
                ),
                "success",
            )
            return redirect(url_for("manage.branch_messages", branch_id=branch_id))
    return _messages_page(form), status(form)


@bp.post("/branches/<int:branch_id>/messages/end")
def end_branch_message(branch_id: int):
    """Take the message the page showed off the board (what was sent stays sent)."""
    form = EndBroadcastForm()
    if form.validate_on_submit():
        active = notification_queries.get_active_broadcast(branch_id)
        if active is not None and active.id == parse_id(form.broadcast_id.data):
            notifications.end_broadcast(active, by=acting_user())
            flash(_("Message retiré de l’écran."), "success")
        else:  # ended meanwhile, replaced by a newer one, or another branch's
            flash(_("Ce message n’est plus à l’écran : la liste est à jour."), "info")
    return redirect(url_for("manage.branch_messages", branch_id=branch_id))


@bp.get("/branches/<int:branch_id>/notifications")
def branch_notifications(branch_id: int):
    """The branch's messages of the last 7 days by status, and those that failed or
    could not be sent, with the reason."""
    since = clock.now() - FAILURES_SINCE
    counts = notification_queries.count_branch_messages(branch_id, since)
    return render_template(
        "manage/branch_notifications.html",
        branch=g.branch,
        counts=[(s, counts.get(s.value, 0)) for s in STATUS_ORDER],
        failures=notification_queries.list_branch_failures(branch_id, since),
        masked=masked,
    )
