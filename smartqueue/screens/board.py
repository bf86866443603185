"""The board's live regions: on the page, in the socket's snapshot, and once per change.

The update published after each change is rendered once, by whichever process made the
change (a web process or an RQ worker, with no request), and relayed as is to every board
of the branch. So it is rendered in the board's own language, French, and uses no url_for.

Announcements: each call row carries its stamp (ticket id and call time) and its spoken
text, and board.js announces every row whose stamp it has not announced yet, oldest
first. Two calls that arrive in one update, or in two updates a few milliseconds apart,
are each chimed and spoken: nothing depends on noticing one element before it is replaced.

An urgent message is a banner across the board (realtime/broadcasts.py publishes it when
it is posted or ended); when its time is up nothing is published: the open/closed badge's
next check is then at the latest, and the board's own check finds it gone. How to queue
by SMS (when the branch has a code) is part of the page and of the snapshot.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Branch, Broadcast
from ..notifications.queries import get_active_broadcast
from ..orgs.queries import list_services
from ..queueing import queries, rules

BOARD_LOCALE = "fr"
# The room reads French and Wolof: the board's own words are French (BOARD_LOCALE), the
# few that the room must not miss (an urgent message's title, how to queue by SMS) have
# their Wolof beneath.
ROOM_LOCALES = ("fr", "wo")
BROADCAST_TITLE = _l("Message de l’agence")
# An urgent message longer than this is set in a smaller type, so that the longest
# (300 characters) stays whole above the calls at 1280x720 as at 1920x1080.
LONG_BROADCAST = 120
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
    return _opening_state(branch_id, get_active_broadcast(branch_id))


def _opening_state(branch_id: int, broadcast: Broadcast | None) -> dict:
    # The board asks again at the branch's next change, or when the urgent message it
    # shows is due to leave the screen, whichever comes first.
    state = rules.branch_states([branch_id])[branch_id]
    check = next_check(branch_id, state.local)
    if broadcast is not None:
        check = min(check, broadcast.shown_until)
    return {"opening": state, "next_check": check}


def _broadcast_state(broadcast: Broadcast | None) -> dict:
    """The banner's context: the urgent message (None: the banner is empty), and its
    title in the room's languages."""
    return {
        "broadcast": broadcast,
        "broadcast_titles": in_room_languages(BROADCAST_TITLE),
        "long_broadcast": LONG_BROADCAST,
    }


def in_room_languages(text) -> list[tuple[str, str]]:
    """(locale, text) for each of the room's languages, French first."""
    result = []
    for locale in ROOM_LOCALES:
        with force_locale(locale):
            result.append((locale, str(text)))
    return result


def sms_hint(branch_id: int) -> list[tuple[str, Markup]]:
    """How to queue here by SMS, in the room's languages: [] when the branch has no SMS
    code or SMS is not set up (templates/macros/sms.html decides, for the kiosk too)."""
    code = db.session.scalar(select(Branch.sms_code).where(Branch.id == branch_id))
    template = current_app.jinja_env.get_template("board/_sms_line.html")
    lines = []
    for locale in ROOM_LOCALES:
        with force_locale(locale):
            line = template.render(code=code).strip()
        if line:
            lines.append((locale, Markup(line)))
    return lines


def board_state(branch_id: int) -> dict:
    """Latest calls (newest first), the waiting count of each active service, whether
    the branch is open, its urgent message and how to queue here by SMS."""
    broadcast = get_active_broadcast(branch_id)
    return {
        "calls": queries.list_recent_calls(branch_id, limit=RECENT_CALLS),
        "waiting": waiting_counts(branch_id),
        "now": clock.now(),
        "sms_hint": sms_hint(branch_id),
        **_opening_state(branch_id, broadcast),
        **_broadcast_state(broadcast),
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


def render_broadcast_update(branch_id: int) -> str:
    """The banner after an urgent message is posted or ended, with the open/closed
    badge: it says when the board asks again, so the banner leaves on time."""
    broadcast = get_active_broadcast(branch_id)
    return _render(
        "board/_broadcast_update.html",
        oob=True,
        **_broadcast_state(broadcast),
        **_opening_state(branch_id, broadcast),
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
