"""The agent counter screen's socket: the same access as the page, then the branch's news.

The screen is drawn whole when the socket opens (the panel left out if the page already
shows it). After that, each change in the branch is read once per process for all the
counter screens of the branch (screens.counter.read_branch, shared.py): its lines, and
every counter's panel state. Each line of the waiting list is drawn once per change per
language; this socket assembles its list from its services' lines, and sends only what
changed on its screen since it last sent: the list, the panel's waiting count, or the
panel and tally, read here only when this counter's panel changed. Nothing when nothing
did. The panel is sent only when it changed, so that a busy branch does not reset what
the agent is choosing in it.

Registered on a blueprint rather than on sock's default: an app is built per test and per
process, and create_app registers this blueprint on each (see register_sockets).
"""

from flask import Blueprint, request
from flask_babel import get_locale
from flask_login import current_user

from ..extensions import db, sock
from ..models import Counter
from ..orgs.policy import can_staff_counter
from ..screens.counter import (
    BranchScreens,
    CounterScreen,
    Line,
    get_counter_panel,
    get_counter_screen,
    read_branch,
    render_line,
    render_panel,
    render_tally,
    render_update,
    render_waiting,
    render_waiting_hint,
)
from . import channels
from .guard import POLICY, live_socket
from .relay import relay
from .shared import once_per_change

bp = Blueprint("counter_socket", __name__)


class CounterSocket:
    """What one counter screen shows, and what to send it after each batch of messages."""

    def __init__(self, counter_id: int, branch_id: int, viewer_id: int, panel: str):
        self.counter_id = counter_id
        self.branch_id = branch_id
        self.viewer_id = (
            viewer_id  # whose panel: the holder's, or one who may take over
        )
        self.panel = panel  # the version of the panel the page shows (None: unknown)
        self.lines: list[Line] | None = None  # what the waiting list shows
        self.hint: int | None = None  # the panel's waiting count, if it shows one
        self.tally: dict[str, int] | None = None

    def _shown_panel(self, screen: CounterScreen) -> None:
        state = screen.panel_state
        self.panel = state.version
        self.hint = screen.waiting if state.shows_waiting else None
        self.tally = screen.tally

    def draw(self) -> str:
        """The whole screen from its own reading (the panel only if the page's differs)."""
        counter = db.session.get(Counter, self.counter_id)
        if counter is None:  # deleted meanwhile: nothing left to show
            return ""
        screen = get_counter_screen(counter, self.viewer_id)
        with_panel = screen.panel_version != self.panel
        self._shown_panel(screen)
        self.lines = list(screen.lines)
        return render_update(screen, with_panel=with_panel)

    def on_messages(self, messages: list[str]) -> str:
        change = messages[-1]
        if not channels.is_stamped(change):  # not a shared change: read alone
            return self.draw()
        branch = once_per_change(
            ("counter-branch", self.branch_id, change),
            lambda: read_branch(self.branch_id),
        )
        state = branch.panels.get(self.counter_id)
        if state is None:  # the counter is gone
            return ""
        lines = branch.lines_of(self.counter_id)
        parts = []
        if state.version != self.panel:
            counter = db.session.get(Counter, self.counter_id)
            if counter is None:
                return ""
            screen = get_counter_panel(counter, lines, self.viewer_id)
            # The tally moves only when a ticket leaves this counter: its panel changes.
            tally_changed = screen.tally != self.tally
            self._shown_panel(screen)
            parts.append(render_panel(screen))
            if tally_changed:
                parts.append(render_tally(screen.tally))
        elif state.shows_waiting:
            waiting = sum(line.count for line in lines)
            if waiting != self.hint:
                parts.append(render_waiting_hint(waiting))
                self.hint = waiting
        if lines != self.lines:
            parts.append(self._waiting(branch, change, lines))
            self.lines = lines
        return "".join(parts)

    def _waiting(self, branch: BranchScreens, change: str, lines: list[Line]) -> str:
        locale = str(get_locale() or "fr")
        drawn = [
            once_per_change(
                ("counter-line", self.branch_id, change, line.service_id, locale),
                lambda line=line: render_line(line),
            )
            for line in lines
        ]
        return render_waiting(lines, drawn)


@sock.route("/ws/counter/<int:counter_id>", bp=bp)
@live_socket("counter", uses_session=True)
def counter_socket(ws, counter_id: int):
    """Send the counter's screen now, then what changes of it in its branch."""
    counter = db.session.get(Counter, counter_id)
    if counter is None or not can_staff_counter(current_user, counter):
        ws.close(reason=POLICY, message="forbidden")
        return
    # The page says which panel it shows: the first snapshot leaves an unchanged panel
    # alone, so it cannot replace it under the agent's finger as they press a key.
    screen = CounterSocket(
        counter_id, counter.branch_id, current_user.id, request.args.get("panel")
    )
    relay(
        ws,
        [channels.branch(counter.branch_id)],
        snapshot=screen.draw,
        on_messages=screen.on_messages,
    )
