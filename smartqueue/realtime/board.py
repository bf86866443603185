"""The display board's socket: check the device link, then relay the branch's board fragments.

The route hangs on a blueprint of its own (registered by the web app), not on `sock`'s
default: that default binds to whichever app was built first, and tests build many.
"""

from flask import Blueprint, current_app
from simple_websocket import ConnectionClosed

from ..extensions import sock
from ..models import DeviceKind
from ..queueing.devices import device_branch_id
from . import channels
from .relay import relay

bp = Blueprint("board_socket", __name__)

# Close code for a link that does not (or no longer) work: the board stops retrying.
REFUSED = 4403


@sock.route("/ws/board/<token>", bp=bp)
def live(ws, token: str):
    from ..web.board.live import render_board_snapshot  # the interface's own fragment

    try:
        branch_id = device_branch_id(token, DeviceKind.BOARD)
        if branch_id is None:
            ws.close(reason=REFUSED, message="device link revoked")
            return
        relay(
            ws,
            [channels.board(branch_id)],
            snapshot=lambda: render_board_snapshot(branch_id),
        )
    except ConnectionClosed:
        raise
    except Exception:
        # Redis gone, database restarting...: close with "internal error", which the
        # board retries; the snapshot sent on reconnect resynchronizes it.
        current_app.logger.exception("board socket failed")
        ws.close(reason=1011)
