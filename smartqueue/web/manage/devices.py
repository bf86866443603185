"""Manage area: a branch's display boards and kiosks, each opened by a secret device link."""

from flask import flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ...errors import DomainError
from ...models import DeviceKind
from ...queueing import devices as device_ops
from ..forms import REQUIRED, EmptyForm, Form
from ..labels import choices
from ..safety import acting_user
from . import bp
from .common import refuse, status

# Where each kind of device opens (the kiosk's screen lives in its own blueprint).
SCREENS = {DeviceKind.BOARD: "board.show", DeviceKind.KIOSK: "kiosk.start"}


class DeviceForm(Form):
    kind = SelectField(_l("Type"), choices=choices(DeviceKind), coerce=DeviceKind)
    name = StringField(
        _l("Nom"),
        validators=[DataRequired(message=REQUIRED), Length(max=60)],
        render_kw={"placeholder": _l("Salle d’attente, entrée...")},
    )


def device_link(kind: DeviceKind, token: str) -> str:
    """The full URL to open on the device."""
    try:
        return url_for(SCREENS[kind], token=token, _external=True)
    except BuildError:  # that screen's blueprint is not registered in this app
        return url_for("public.home", _external=True) + f"{kind.value}/{token}"


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
            form = DeviceForm(formdata=None)
    page = render_template(
        "manage/devices.html",
        form=form,
        created=created,
        branch=g.branch,
        devices=device_ops.list_devices(branch_id),
    )
    response = make_response(page, 201 if created else status(form))
    if created:
        response.headers["Cache-Control"] = "no-store"
    return response


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
