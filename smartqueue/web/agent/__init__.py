"""Agent counter screen (blueprint `agent`): pick a counter of one's branch, call and serve.

Access is checked once, in `access.check_access`, before every request of the blueprint;
the counter named by the URL is on `flask.g`. The counter's socket is realtime/counter.py.
"""

from flask import Blueprint

from .access import check_access

bp = Blueprint("agent", __name__, url_prefix="/agent")
bp.before_request(check_access)
