"""Manage area: today, live. An organization's or a branch's lines as they stand now and
so far today (people waiting, the longest wait, served, mean and 90th-percentile wait,
no-shows, open counters and who holds them), with the lines beyond their target marked.

A plain page with a refresh link; its socket (realtime/today.py) redraws the fragment as
the branches change. The access check (access.py) has loaded g.org or g.branch."""

from flask import g, request, url_for
from flask_babel import get_locale

from ...analytics.report import Scope
from ...screens.sockets import socket_path
from ...screens.today import get_today
from ..htmx import page_or_fragment
from . import bp


def _today(scope: Scope, socket: str, **context):
    return page_or_fragment(
        "manage/today.html",
        "manage/_today.html",
        screen=get_today(scope, str(get_locale() or "fr")),
        page_url=url_for(request.endpoint, **request.view_args),
        socket_path=socket,
        **context,
    )


@bp.get("/organizations/<int:org_id>/today")
def organization_today(org_id: int):
    return _today(
        Scope(g.org.id),
        socket_path("today_socket.organization", org_id=g.org.id),
        org=g.org,
        branch=None,
    )


@bp.get("/branches/<int:branch_id>/today")
def branch_today(branch_id: int):
    return _today(
        Scope(g.branch.organization_id, (g.branch.id,)),
        socket_path("today_socket.branch", branch_id=g.branch.id),
        org=g.branch.organization,
        branch=g.branch,
    )
