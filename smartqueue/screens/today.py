"""A manager's "today, live" fragment, drawn the same for the page and its socket.

The figures are analytics.live's (one reading for all the scope's branches); this module
groups them by branch and renders `manage/_today.html`, which the page includes and the
socket (realtime/today.py) sends again after changes."""

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from flask import render_template

from .. import clock
from ..analytics.live import ServiceToday, today_by_service
from ..analytics.report import Scope


@dataclass(frozen=True)
class BranchToday:
    id: int
    name: str
    lines: list[ServiceToday]

    @property
    def waiting(self) -> int:
        return sum(line.waiting for line in self.lines)

    @property
    def beyond_target(self) -> int:
        """How many of its lines are beyond their target."""
        return sum(line.beyond_target for line in self.lines)


@dataclass(frozen=True)
class TodayScreen:
    branches: list[BranchToday]
    read_at: datetime

    @property
    def beyond_target(self) -> int:
        return sum(branch.beyond_target for branch in self.branches)


def get_today(scope: Scope, locale: str) -> TodayScreen:
    """The scope's lines now, grouped by branch (in branch-name order)."""
    lines = today_by_service(scope, locale)
    branches = [
        BranchToday(branch_id, group[0].branch_name, group)
        for branch_id, group in (
            (key, list(items))
            for key, items in groupby(lines, key=lambda line: line.branch_id)
        )
    ]
    return TodayScreen(branches, clock.now())


def render_today(screen: TodayScreen, page_url: str) -> str:
    """The fragment; `page_url` is the page's, which answers an htmx request with the
    fragment alone: the fragment asks it again every minute, so that the longest wait
    grows (and passes the target) in a quiet branch too, where no change redraws it."""
    return render_template("manage/_today.html", screen=screen, page_url=page_url)
