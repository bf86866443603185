"""The board's live regions: on the page, in the socket's snapshot, and once per change.

The update published after each change is rendered once, by whichever process made the
change (a web process or an RQ worker, with no request), and relayed as is to every board
of the branch. So it is rendered in the board's own language, French, and uses no url_for.
"""

from flask import current_app
from flask_babel import force_locale

from ... import clock
from ...extensions import db
from ...models import Ticket
from ...orgs.queries import list_services
from ...queueing import queries

BOARD_LOCALE = "fr"
RECENT_CALLS = 7  # the newest, highlighted, and six before it: what fits at 1080 px
ANNOUNCED = ("call", "recall")
# A new ticket changes only the waiting counts: send just that region (the calls stay).
WAITING_ONLY = ("issue",)


def waiting_counts(branch_id: int) -> list[tuple]:
    """(service, waiting count) for each active service of the branch."""
    services = [s for s in list_services(branch_id) if s.is_active]
    waiting = queries.count_waiting([s.id for s in services])
    return [(service, waiting.get(service.id, 0)) for service in services]


def board_state(branch_id: int) -> dict:
    """Latest calls (newest first) and the waiting count of each active service."""
    return {
        "calls": queries.list_recent_calls(branch_id, limit=RECENT_CALLS),
        "waiting": waiting_counts(branch_id),
        "now": clock.now(),
    }


def _render(template: str, **context) -> str:
    """Render without the request's context processors: the same bytes whoever publishes
    (a kiosk's request would otherwise drag its own context, and queries, in)."""
    with force_locale(BOARD_LOCALE):
        return current_app.jinja_env.get_template(template).render(**context)


def render_board_snapshot(branch_id: int) -> str:
    """Everything live, sent when a board connects: it resynchronizes after any cut."""
    return _render(
        "board/_live.html", oob=True, snapshot=True, **board_state(branch_id)
    )


def render_board_update(branch_id: int, action: str, ticket_ids: list[int]) -> str:
    """The fragment for one change: calls and waiting counts, plus the announcement of a
    call or recall (which the board highlights, chimes and speaks)."""
    if action in WAITING_ONLY:
        return _render(
            "board/_waiting.html", oob=True, waiting=waiting_counts(branch_id)
        )
    announce = None
    if action in ANNOUNCED and ticket_ids:
        ticket = db.session.get(Ticket, ticket_ids[0])
        if ticket is not None and ticket.counter is not None:
            announce = ticket
    return _render(
        "board/_live.html",
        oob=True,
        snapshot=False,
        announce=announce,
        **board_state(branch_id),
    )
