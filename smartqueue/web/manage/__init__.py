"""Manage area (blueprint `manage`): organizations and their staff (views.py), branches,
hours, closures, services and counters (branches.py), slots and the week of appointments
(appointments.py), screens and kiosks (devices.py), a branch's urgent message and the
notifications it could not send (notifications.py).

Access is checked once, in `access.check_access`, before every request of the blueprint; the
views find the objects named by the URL on `flask.g`.
"""

from flask import Blueprint

from .access import check_access

bp = Blueprint("manage", __name__, url_prefix="/manage")
bp.before_request(check_access)
