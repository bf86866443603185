"""The display board's socket: check the device link, then relay the branch's board fragments.

The route hangs on a blueprint of its own (registered by create_app through
register_sockets), not on `sock`'s default: that default binds to whichever app was built
first, and tests build many.
"""

from flask import Blueprint

from ..extensions import sock
from ..models import DeviceKind
from ..queueing.devices import device_branch_id
from ..screens.board import render_board_snapshot
from . import channels
from .guard import live_socket
from .relay import relay

bp = Blueprint("board_socket", __name__)

# Close code for a link that does not (or no longer) work: the board stops retrying.
REFUSED = 4403


# The board's link is its only access: no cookie, no per-person data, no form token in
# its fragments, so a page elsewhere gains nothing a holder of the link does not already
# have. Its Origin is not checked (TVs may show it from a kiosk-mode launcher).
@sock.route("/ws/board/<token>", bp=bp)
@live_socket("board", uses_session=False)
def live(ws, token: str):
    branch_id = device_branch_id(token, DeviceKind.BOARD)
    if branch_id is None:
        ws.close(reason=REFUSED, message="device link revoked")
        return
    # Redis gone or the database restarting: live_socket closes with a code the board
    # retries; the snapshot sent on reconnect resynchronizes it.
    relay(
        ws,
        [channels.board(branch_id)],
        snapshot=lambda: render_board_snapshot(branch_id),
    )
