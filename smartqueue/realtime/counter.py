"""The agent counter screen's socket: the same access as the page, then the branch's news.

Every change in the branch (a kiosk ticket, another agent's call) re-renders this counter's
waiting list and tally; the current-ticket panel is sent only when it changed, so that a
busy branch does not reset what the agent is choosing in it.

Registered on a blueprint rather than on sock's default: an app is built per test and per
process, and create_app registers this blueprint on each (see register_sockets).
"""

from flask import Blueprint, request
from flask_login import current_user

from ..extensions import db, sock
from ..models import Counter
from ..orgs.policy import can_staff_counter
from ..screens.counter import get_counter_screen, render_update
from . import channels
from .guard import POLICY, live_socket
from .relay import relay

bp = Blueprint("counter_socket", __name__)


@sock.route("/ws/counter/<int:counter_id>", bp=bp)
@live_socket("counter", uses_session=True)
def counter_socket(ws, counter_id: int):
    """Send the counter's screen now, then again after each change in its branch."""
    counter = db.session.get(Counter, counter_id)
    if counter is None or not can_staff_counter(current_user, counter):
        ws.close(reason=POLICY, message="forbidden")
        return
    branch_id = counter.branch_id
    viewer_id = current_user.id  # whose panel: the holder's, or one who may take over
    # The page says which panel it shows: the first snapshot leaves an unchanged panel
    # alone, so it cannot replace it under the agent's finger as they press a key.
    sent = {"panel": request.args.get("panel")}

    def render() -> str:
        counter = db.session.get(Counter, counter_id)
        if counter is None:  # deleted meanwhile: nothing left to show
            return ""
        screen = get_counter_screen(counter, viewer_id)
        with_panel = screen.panel_version != sent["panel"]
        sent["panel"] = screen.panel_version
        return render_update(screen, with_panel=with_panel)

    relay(
        ws,
        [channels.branch(branch_id)],
        snapshot=render,
        on_messages=lambda _batch: render(),
    )
