"""The kiosk's socket: check the device link, then say "changed" when the branch changes.

The kiosk's start screen fetches its own services region over HTTP when told (the web
interface renders it: nothing is rendered here). A queue paused or closed, a
service renamed or reordered, a counter opened, a ticket issued or called: all go out on
the branch's channel, and each moves what the start screen shows (state, counts, waits).

On a blueprint of its own, as the board's (see board.py).
"""

from flask import Blueprint

from ..extensions import sock
from ..models import DeviceKind
from ..queueing.devices import device_branch_id
from . import channels
from .guard import live_socket
from .relay import relay

bp = Blueprint("kiosk_socket", __name__)

# Close code for a link that does not (or no longer) work: the kiosk reloads, and the
# page then says the link is gone.
REFUSED = 4403
# Sent on connecting: the kiosk re-fetches, as something may have changed between its
# page being rendered and this subscription (or while it was disconnected).
HELLO = "hello"
CHANGED = "changed"


# Like the board's, the link is the only access: no cookie is read and nothing but a
# word is sent, so the Origin is not checked.
@sock.route("/ws/kiosk/<token>", bp=bp)
@live_socket("kiosk", uses_session=False)
def live(ws, token: str):
    branch_id = device_branch_id(token, DeviceKind.KIOSK)
    if branch_id is None:
        ws.close(reason=REFUSED, message="device link revoked")
        return
    # on_messages makes relay() fold a burst of changes into one "changed".
    relay(
        ws,
        [channels.branch(branch_id)],
        snapshot=lambda: HELLO,
        on_messages=lambda _batch: CHANGED,
    )
