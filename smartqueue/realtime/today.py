"""A manager's "today, live" socket: the fragment of the page, drawn again after changes
in the branches it shows, at most once a second.

The same access as the page (an organization's admin, or a branch's manager), checked
when it opens; then it listens to each branch's `sq:branch:<id>:changed` channel, the
counter screens' channel. A busy branch publishes several changes a second: the socket
redraws at once when it has been quiet for a second, else when the second is up, and what
was published meanwhile is covered by that one reading. Managers of the same scope share
the reading of a change (shared.py). It never writes.
"""

import threading
import time

from flask import Blueprint, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..analytics.report import Scope
from ..extensions import db, sock
from ..models import Branch, Organization
from ..orgs.policy import can_manage_branch, can_manage_organization
from ..screens.today import get_today, render_today
from . import channels
from .broker import Subscription
from .guard import POLICY, live_socket
from .relay import relay
from .shared import once_per_change

bp = Blueprint("today_socket", __name__)

REDRAW_EVERY_SECONDS = 1.0


class TodaySocket:
    """What one page shows (a scope, in a language), and when it was last drawn."""

    def __init__(self, scope: Scope, locale: str, page_url: str):
        self.scope = scope
        self.locale = locale
        self.page_url = page_url
        self.drawn_at: float | None = None  # time.monotonic()
        self.subscription: Subscription | None = None

    def subscribed(self, subscription: Subscription) -> None:
        self.subscription = subscription

    def _draw(self, change: str | None) -> str:
        if change is None or not channels.is_stamped(change):
            screen = get_today(self.scope, self.locale)
        else:
            screen = once_per_change(
                ("today", self.scope, self.locale, change),
                lambda: get_today(self.scope, self.locale),
            )
        self.drawn_at = time.monotonic()
        return render_today(screen, self.page_url)

    def draw(self) -> str:
        return self._draw(None)

    def on_messages(self, messages: list[str]) -> str:
        if self.drawn_at is not None:
            too_soon = self.drawn_at + REDRAW_EVERY_SECONDS - time.monotonic()
            if too_soon > 0:
                threading.Event().wait(too_soon)
                # The reading below comes after everything published meanwhile (a
                # change is published after its commit): one redraw covers them.
                if self.subscription is not None:
                    messages = [*messages, *self.subscription.drain()]
        return self._draw(messages[-1])


def _watch(ws, scope: Scope, branch_ids: list[int], page_url: str) -> None:
    screen = TodaySocket(scope, str(get_locale() or "fr"), page_url)
    relay(
        ws,
        [channels.branch(branch_id) for branch_id in branch_ids],
        snapshot=screen.draw,
        on_messages=screen.on_messages,
        on_subscribed=screen.subscribed,
    )


@sock.route("/ws/manage/organizations/<int:org_id>/today", bp=bp)
@live_socket("today", uses_session=True)
def organization(ws, org_id: int):
    """An organization's lines today, redrawn as its branches change."""
    org = db.session.get(Organization, org_id)
    if org is None or not can_manage_organization(current_user, org):
        ws.close(reason=POLICY, message="forbidden")
        return
    branch_ids = [branch.id for branch in org.branches]
    page_url = url_for("manage.organization_today", org_id=org_id)
    _watch(ws, Scope(org_id), branch_ids, page_url)


@sock.route("/ws/manage/branches/<int:branch_id>/today", bp=bp)
@live_socket("today", uses_session=True)
def branch(ws, branch_id: int):
    """A branch's lines today, redrawn as it changes."""
    found = db.session.get(Branch, branch_id)
    if found is None or not can_manage_branch(current_user, found):
        ws.close(reason=POLICY, message="forbidden")
        return
    scope = Scope(found.organization_id, (branch_id,))
    _watch(ws, scope, [branch_id], url_for("manage.branch_today", branch_id=branch_id))
