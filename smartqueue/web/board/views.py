"""The display board page (blueprint `board`): no login, the device link's token is the key."""

from flask import Blueprint, abort, make_response, render_template, url_for
from flask_babel import force_locale

from ...extensions import db
from ...models import Branch, DeviceKind
from ...queueing.devices import device_branch_id
from ...screens.board import BOARD_LOCALE, board_state, render_board_snapshot
from ...screens.sockets import socket_path
from ..htmx import is_htmx

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/<token>")
def show(token: str):
    """The board; to its own htmx request (at an opening or closing time), the live
    regions as the socket's snapshot sends them."""
    branch_id = device_branch_id(token, DeviceKind.BOARD)
    if branch_id is None:
        abort(404)
    if is_htmx():
        page = render_board_snapshot(branch_id)
    else:
        with force_locale(BOARD_LOCALE):
            page = render_template(
                "board/board.html",
                # A path: the ws extension picks ws:// or wss:// from the page's own
                # address (url_for would build ws://, wrong behind an HTTPS proxy).
                socket_path=socket_path("board_socket.live", token=token),
                report_url=url_for("devices.report", token=token),
                refresh_url=url_for("board.show", token=token),
                branch=db.session.get(Branch, branch_id),
                **board_state(branch_id),
            )
    response = make_response(page)
    # The link is a secret, and the state is live: nothing to keep in any cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.vary.add("HX-Request")
    return response
