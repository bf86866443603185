"""The display board page (blueprint `board`): no login, the device link's token is the key."""

from flask import Blueprint, abort, make_response, render_template
from flask_babel import force_locale

from ...extensions import db
from ...models import Branch, DeviceKind
from ...queueing.devices import device_branch_id
from ...realtime import socket_path
from .live import BOARD_LOCALE, board_state

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/<token>")
def show(token: str):
    branch_id = device_branch_id(token, DeviceKind.BOARD)
    if branch_id is None:
        abort(404)
    with force_locale(BOARD_LOCALE):
        page = render_template(
            "board/board.html",
            # A path: the ws extension picks ws:// or wss:// from the page's own address
            # (url_for would build ws://, wrong behind an HTTPS proxy).
            socket_path=socket_path("board_socket.live", token=token),
            branch=db.session.get(Branch, branch_id),
            **board_state(branch_id),
        )
    response = make_response(page)
    # The link is a secret, and the state is live: nothing to keep in any cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
