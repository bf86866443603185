"""A customer's notification preferences: which kinds on which channels, quiet hours,
and the channels an unsubscribe link or a STOP turned off (turned back on here)."""

from datetime import time

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ...errors import DomainError
from ...models import DeliveryChannel
from ...notifications import kinds, queries
from ...notifications import operations as notifications
from ..forms import EmptyForm
from ..safety import acting_user
from . import bp

GROUP_LABELS = {
    "ticket": _l(
        "Mon ticket : pris, bientôt mon tour, annulé, file en pause ou fermée"
    ),
    "turn": _l("C'est mon tour, et l'heure de partir"),
    "appointment": _l("Mes rendez-vous : confirmés, déplacés, annulés"),
    "reminder": _l("Rappels de rendez-vous"),
    "urgent": _l("Messages urgents de l'agence"),
    "payment": _l("Mes paiements : reçus et remboursements"),
}
CHANNEL_LABELS = {
    DeliveryChannel.IN_APP: _l("Sur le site"),
    DeliveryChannel.PUSH: _l("Push"),
    DeliveryChannel.SMS: _l("SMS"),
    DeliveryChannel.EMAIL: _l("E-mail"),
}
NEVER_HELD_NOTE = _l(
    "« C'est votre tour » et « partez maintenant » passent toujours, même la nuit."
)


def _time(value: str | None) -> time | None:
    try:
        hours, minutes = (value or "").split(":")[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _page(error: str | None = None, status: int = 200):
    me = acting_user()
    page = render_template(
        "notifications/preferences.html",
        preferences=queries.get_preferences(me),
        groups=kinds.GROUPS,
        channels=kinds.CHANNELS,
        group_labels=GROUP_LABELS,
        channel_labels=CHANNEL_LABELS,
        muted_key=kinds.muted_key,
        never_held_note=NEVER_HELD_NOTE,
        form=EmptyForm(),
        error=error,
        sms_enabled=current_app.config.get("SMS_ENABLED"),
        push_enabled=current_app.config.get("PUSH_ENABLED"),
        has_phone=bool(me.phone),
    )
    return page, status


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "GET":
        return _page()
    form = EmptyForm()
    if not form.validate_on_submit():
        return _page(_("La page a expiré : réessayez."), 400)
    start = _time(request.form.get("quiet_start"))
    end = _time(request.form.get("quiet_end"))
    if start is None or end is None:
        return _page(_("Heures invalides (ex. 22:00)."), 422)
    wanted = set(request.form.getlist("on"))
    every = {kinds.muted_key(g, c) for g in kinds.GROUPS for c in kinds.CHANNELS}
    try:
        notifications.set_preferences(
            acting_user(),
            muted=every - wanted,
            quiet_enabled=bool(request.form.get("quiet_enabled")),
            quiet_start=start,
            quiet_end=end,
        )
    except DomainError as refused:
        return _page(str(refused.message), 422)
    flash(_("Préférences enregistrées."), "success")
    return redirect(url_for("notifications.preferences"), 303)


@bp.post("/notifications/preferences/resume/<channel>")
@login_required
def resume_channel(channel: str):
    """Turn back on a channel an unsubscribe link or a STOP turned off."""
    me = acting_user()
    addresses = {"email": me.email.lower(), "sms": me.phone}
    if channel not in addresses or not addresses[channel]:
        return _page(_("Canal inconnu."), 404)
    if EmptyForm().validate_on_submit():
        notifications.opt_in(DeliveryChannel(channel), addresses[channel])
        flash(_("C'est repris."), "success")
    return redirect(url_for("notifications.preferences"), 303)
