"""Manage area (blueprint `manage`): organizations, branches and their staff.

Access is checked once, in `access.check_access`, before every request of the blueprint; the
views (views.py, branches.py) find the objects named by the URL on `flask.g`.
"""

from flask import Blueprint

from .access import check_access

bp = Blueprint("manage", __name__, url_prefix="/manage")
bp.before_request(check_access)
