"""Agent counter screen (blueprint `agent`): pick a counter of one's branch, call and serve.

Access is checked once, in `access.check_access`, before every request of the blueprint;
the counter named by the URL is on `flask.g`. The counter's socket (realtime/counter.py)
lives on its own blueprint, registered on every app that registers this one.
"""

from flask import Blueprint

from .access import check_access

bp = Blueprint("agent", __name__, url_prefix="/agent")
bp.before_request(check_access)


@bp.record_once
def _register_socket(state) -> None:
    # The socket's URL is /ws/counter/<id>, outside /agent: a sibling blueprint, not a child.
    from ...realtime.counter import bp as socket_bp

    state.app.register_blueprint(socket_bp)
