"""The board's live regions: on the page, in the socket's snapshot, and once per change.

The update published after each change is rendered once, by whichever process made the
change (a web process or an RQ worker, with no request), and relayed as is to every board
of the branch. So it is rendered in the board's own language, French, and uses no url_for.
"""

from flask import render_template
from flask_babel import force_locale

from ... import clock
from ...extensions import db
from ...models import Ticket
from ...orgs.queries import list_services
from ...queueing import queries

BOARD_LOCALE = "fr"
RECENT_CALLS = 7  # the newest, highlighted, and six before it: what fits at 1080 px
ANNOUNCED = ("call", "recall")


def board_state(branch_id: int) -> dict:
    """Latest calls (newest first) and the waiting count of each active service."""
    waiting = queries.count_waiting_by_service(branch_id)
    return {
        "calls": queries.list_recent_calls(branch_id, limit=RECENT_CALLS),
        "waiting": [
            (service, waiting.get(service.id, 0))
            for service in list_services(branch_id)
            if service.is_active
        ],
        "now": clock.now(),
    }


def render_board_snapshot(branch_id: int) -> str:
    """Everything live, sent when a board connects: it resynchronizes after any cut."""
    with force_locale(BOARD_LOCALE):
        return render_template(
            "board/_live.html", oob=True, snapshot=True, **board_state(branch_id)
        )


def render_board_update(branch_id: int, action: str, ticket_ids: list[int]) -> str:
    """The fragment for one change: calls and waiting counts, plus the announcement of a
    call or recall (which the board highlights, chimes and speaks)."""
    announce = None
    if action in ANNOUNCED and ticket_ids:
        ticket = db.session.get(Ticket, ticket_ids[0])
        if ticket is not None and ticket.counter is not None:
            announce = ticket
    with force_locale(BOARD_LOCALE):
        return render_template(
            "board/_live.html",
            oob=True,
            snapshot=False,
            announce=announce,
            **board_state(branch_id),
        )
