"""Devices (boards and kiosks) speaking for themselves: pairing and last contact.

No login: a device's link token is its key. (Skeleton: the device-pairing work fills it.)
"""

from flask import Blueprint, abort

from ...extensions import csrf, limiter
from ...models import DeviceKind
from ...queueing.devices import device_branch_id

bp = Blueprint("devices", __name__, url_prefix="/devices")


@bp.post("/<token>/report")
@csrf.exempt  # no session, no cookie: the link token in the URL is the credential
@limiter.exempt
def report(token: str):
    """A board or kiosk says it is alive (and whether its sound is blocked)."""
    known = any(device_branch_id(token, kind) is not None for kind in DeviceKind)
    if not known:
        abort(404)
    return "", 204
