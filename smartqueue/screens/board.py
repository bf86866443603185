"""The board's live regions: on the page, in the socket's snapshot, and once per change.

The update published after each change is rendered once, by whichever process made the
change (a web process or an RQ worker, with no request), and relayed as is to every board
of the branch. So it is rendered in the board's own language, French, and uses no url_for.

Announcements: each call row carries its stamp (ticket id and call time) and its spoken
text, and board.js announces every row whose stamp it has not announced yet, oldest
first. Two calls that arrive in one update, or in two updates a few milliseconds apart,
are each chimed and spoken: nothing depends on noticing one element before it is replaced.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale

from .. import clock
from ..orgs.queries import list_services
from ..queueing import queries, rules

BOARD_LOCALE = "fr"
# The newest, highlighted, and six before it: what fits at 1080 px and at 720 px (the
# stylesheet drops whole rows that do not fit on another shape of screen).
RECENT_CALLS = 7
# A new ticket changes only the waiting counts: send just that region (the calls stay).
WAITING_ONLY = ("issue",)
# Changes that come from the branch's set-up rather than a ticket's move: their updates
# also carry the open/closed badge (a ticket's move never opens or closes a branch).
SETUP_CHANGES = ("service", "counter", "hours")
# The board asks whether the branch is open at each opening, closing and midnight, and at
# least this often: edits of hours and closures are published (hours_changed), so this
# only catches a message the board missed.
RECHECK_AT_LEAST_EVERY = timedelta(hours=1)


def waiting_counts(branch_id: int) -> list[tuple]:
    """(service, waiting count) for each active service of the branch."""
    services = [s for s in list_services(branch_id) if s.is_active]
    waiting = queries.count_waiting([s.id for s in services])
    return [(service, waiting.get(service.id, 0)) for service in services]


def next_check(branch_id: int, local: datetime) -> datetime:
    """When the board should next ask whether the branch is open: at its next change,
    and no later than RECHECK_AT_LEAST_EVERY."""
    return min(rules.next_change(branch_id, local), local + RECHECK_AT_LEAST_EVERY)


def opening_state(branch_id: int) -> dict:
    """The branch's open/closed state now, and when the board should ask again."""
    state = rules.branch_states([branch_id])[branch_id]
    return {"opening": state, "next_check": next_check(branch_id, state.local)}


def board_state(branch_id: int) -> dict:
    """Latest calls (newest first), the waiting count of each active service, and
    whether the branch is open."""
    return {
        "calls": queries.list_recent_calls(branch_id, limit=RECENT_CALLS),
        "waiting": waiting_counts(branch_id),
        "now": clock.now(),
        **opening_state(branch_id),
    }


def _render(template: str, **context) -> str:
    """Render without the request's context processors: the same bytes whoever publishes
    (a kiosk's request would otherwise drag its own context, and queries, in)."""
    with force_locale(BOARD_LOCALE):
        return current_app.jinja_env.get_template(template).render(**context)


def render_board_snapshot(branch_id: int) -> str:
    """Everything live, sent when a board connects (it resynchronizes after any cut) and
    answered to the board's own check at an opening or closing time."""
    return _render(
        "board/_live.html", oob=True, snapshot=True, **board_state(branch_id)
    )


def render_board_update(branch_id: int, action: str, ticket_ids: list[int]) -> str:
    """The fragment for one change: the calls (whose new rows the board announces) and
    the waiting counts; a set-up change also carries the open/closed badge."""
    if action in WAITING_ONLY:
        return _render(
            "board/_waiting.html", oob=True, waiting=waiting_counts(branch_id)
        )
    context = {
        "calls": queries.list_recent_calls(branch_id, limit=RECENT_CALLS),
        "waiting": waiting_counts(branch_id),
    }
    if action in SETUP_CHANGES:
        context.update(opening_state(branch_id))
    return _render("board/_live.html", oob=True, snapshot=False, **context)
