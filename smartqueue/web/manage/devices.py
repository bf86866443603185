"""Manage area: a branch's display boards and kiosks: paired by the code a screen shows,
or opened by a secret link; each with its last contact."""

from datetime import datetime

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ... import clock
from ...errors import DomainError
from ...extensions import limiter
from ...models import DeviceKind
from ...queueing import devices as device_ops
from ...queueing import pairing as pairing_ops
from ..devices.links import device_link
from ..forms import REQUIRED, EmptyForm, Form
from ..labels import choices
from ..limits import client_address
from ..safety import acting_user
from . import bp
from .common import refuse, status

KIND_HINT = _l(
    "Écran d’affichage : la télévision de la salle d’attente. "
    "Borne : l’écran tactile où l’on prend un ticket."
)


class DeviceForm(Form):
    kind = SelectField(_l("Type"), choices=choices(DeviceKind), coerce=DeviceKind)
    name = StringField(
        _l("Nom"),
        validators=[DataRequired(message=REQUIRED), Length(max=60)],
        render_kw={"placeholder": _l("Salle d’attente, entrée...")},
    )


class PairForm(DeviceForm):
    """Fields prefixed `pair-` (the link form on the same page has a kind and a name)."""

    code = StringField(
        _l("Code affiché sur l’appareil"),
        validators=[DataRequired(message=REQUIRED), Length(max=20)],
        render_kw={
            "placeholder": "K7M 4QX",
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="pair", **kwargs)


# --- last contact, as the list says it --------------------------------------------------


def _when(moment: datetime, now: datetime) -> str:
    """14:02 today, else the date too (Dakar is UTC+0 all year: the UTC date is Dakar's)."""
    if moment.date() == now.date():
        return format_time(moment, "short")
    return format_datetime(moment, "short")


def _ago(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return _("à l’instant")
    if minutes < 60:
        return _("il y a %(num)d min", num=minutes)
    if minutes < 48 * 60:
        return _("il y a %(num)d h", num=minutes // 60)
    days = minutes // (24 * 60)
    return ngettext("il y a %(num)d jour", "il y a %(num)d jours", days)


def _shown(code: str | None) -> str:
    """A code from a link (a scanned QR code), as the form shows it: 'K7M 4QX'."""
    code = pairing_ops.normalize_code(code)[:20]
    return (
        pairing_ops.format_code(code) if len(code) == pairing_ops.CODE_LENGTH else code
    )


def _page(form=None, pair_form=None, created=None, code=None):
    return render_template(
        "manage/devices.html",
        form=form or DeviceForm(formdata=None),
        pair_form=pair_form or PairForm(formdata=None, code=code),
        created=created,
        branch=g.branch,
        devices=device_ops.list_devices(g.branch.id),
        now=clock.now(),
        when=_when,
        ago=_ago,
        kind_hint=KIND_HINT,
        short_address=Markup("<strong>%s</strong>")
        % url_for("devices.short", _external=True),
    )


@bp.route("/branches/<int:branch_id>/devices", methods=["GET", "POST"])
def devices(branch_id: int):
    form, created = DeviceForm(), None
    if form.validate_on_submit():
        try:
            device, token = device_ops.create_device(
                g.branch, form.kind.data, form.name.data, by=acting_user()
            )
        except DomainError as error:
            refuse(form, error)
        else:
            # The token is shown this once (only its hash is kept): no redirect to lose it.
            created = (device, device_link(device.kind, token))
            form = None
    code = _shown(request.args.get("code")) if request.method == "GET" else None
    response = make_response(
        _page(form, created=created, code=code),
        201 if created else status(form) if form else 200,
    )
    if created:
        response.headers["Cache-Control"] = "no-store"
    return response


# --- pairing by code ---------------------------------------------------------------------


def _claimer() -> str:
    """A manager's wrong codes count against them (and, widely, their address)."""
    if current_user.is_authenticated:
        return f"claim-user:{current_user.id}"
    return "claim-addr:" + client_address()


def _wrong_code(response) -> bool:
    return response.status_code == 422


@bp.post("/branches/<int:branch_id>/devices/pair")
@limiter.limit("10 per 15 minutes", key_func=_claimer, deduct_when=_wrong_code)
@limiter.limit(
    "100 per 15 minutes",
    key_func=lambda: "claim-addr:" + client_address(),
    deduct_when=_wrong_code,
)
def claim_device(branch_id: int):
    form = PairForm()
    if form.validate_on_submit():
        try:
            device = pairing_ops.claim_pairing(
                g.branch,
                form.code.data,
                form.kind.data,
                form.name.data,
                by=acting_user(),
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(
                _(
                    "« %(name)s » est associé : l’appareil ouvre son écran "
                    "dans quelques secondes.",
                    name=device.name,
                ),
                "success",
            )
            return redirect(url_for("manage.devices", branch_id=branch_id), 303)
    return _page(pair_form=form), 422


@bp.get("/devices/pair")
def pair_device():
    """Where a screen's QR code leads (a phone, most often): the pairing form with the
    code filled in, or first the choice of branch for someone who manages several."""
    code = pairing_ops.normalize_code(request.args.get("code", ""))[:20]
    branches = pairing_ops.list_branches_to_pair(current_user)
    return render_template(
        "manage/pair_device.html",
        code=code,
        branches=branches,
        pair_form=PairForm(formdata=None, code=_shown(code)),
        kind_hint=KIND_HINT,
    )


@bp.post("/devices/<int:device_id>/revoke")
def revoke_device(device_id: int):
    branch_id = g.branch.id
    if EmptyForm().validate_on_submit() and g.device.is_active:
        device_ops.revoke_device(g.device, by=acting_user())
        flash(
            _(
                "Lien de « %(name)s » révoqué : il ne fonctionne plus.",
                name=g.device.name,
            ),
            "success",
        )
    return redirect(url_for("manage.devices", branch_id=branch_id))
