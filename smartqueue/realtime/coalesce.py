"""New tickets reach the live screens coalesced: once per branch per short delay.

A busy entrance issues tickets faster than anyone reads a screen, and each new ticket used
to render the board's waiting counts and wake every counter screen of the branch (each of
which re-renders itself) from inside the kiosk's request. Now a request only marks its
branch; a timer in this process publishes, for each marked branch, the board's counts and
one "issue" for the counter screens, `NEW_TICKETS_DELAY` seconds later (a quarter second
reads the same to a person). Calls and every other move are published at once.

Only requests use it (a web process lives on to fire the timer); jobs and commands publish
at once. Under gunicorn's gevent worker the timer's thread is a greenlet.
"""

import threading

from flask import Flask, current_app, has_request_context

from ..extensions import db
from ..screens.board import render_board_update
from . import channels
from .broker import publish_many

ACTION = "issue"


def _messages(branch_id: int) -> list[tuple[str, str]]:
    return [
        (channels.board(branch_id), render_board_update(branch_id, ACTION, [])),
        (channels.branch(branch_id), channels.stamp(ACTION)),
    ]


class NewTickets:
    def __init__(self, app: Flask, delay: float):
        self.app = app
        self.delay = delay
        self._lock = threading.Lock()
        self._branches: set[int] = set()
        self._timer: threading.Timer | None = None

    def mark(self, branch_id: int) -> None:
        with self._lock:
            self._branches.add(branch_id)
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self._flush)
                self._timer.daemon = True
                self._timer.start()

    def flush_now(self) -> None:
        """Publish what is marked without waiting for the timer (tests call it)."""
        with self._lock:
            timer = self._timer
        if timer is not None:
            timer.cancel()
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            branches, self._branches, self._timer = self._branches, set(), None
        with self.app.app_context():
            try:
                publish_many([m for b in sorted(branches) for m in _messages(b)])
            except Exception:
                # The next change (or a screen's reconnect snapshot) brings the truth.
                self.app.logger.exception("new tickets of %s not announced", branches)
            finally:
                db.session.remove()


def announce_new_tickets(branch_id: int) -> None:
    """Tell the branch's boards and counter screens that its lines grew: soon and
    coalesced from a request, at once from anywhere else."""
    delay = current_app.config.get("NEW_TICKETS_DELAY", 0)
    if not (delay and has_request_context()):
        publish_many(_messages(branch_id))
        return
    pending = current_app.extensions.get("sq_new_tickets")
    if pending is None:
        pending = current_app.extensions.setdefault(
            "sq_new_tickets", NewTickets(current_app._get_current_object(), delay)
        )
    pending.mark(branch_id)
