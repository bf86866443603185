"""Who may work at which counter: one rule for the blueprint and for the counter's socket.

Agents and branch managers at the counters (and on today's appointments) of their own
branch, org admins at every branch of their organization. Platform admins run the platform, not a counter; customers and other
organizations' staff have no counter here.
"""

from flask import abort, g, request
from flask_login import current_user

from ...extensions import db, login_manager
from ...models import Branch, Counter, Role, User
from ..htmx import is_htmx


def staffed_branch_ids(user: User) -> set[int]:
    """The branches whose counters `user` may open and serve at."""
    if not user.is_authenticated or not user.is_active:
        return set()
    ids: set[int] = set()
    for membership in user.memberships:
        if membership.role is Role.ORG_ADMIN:
            ids.update(branch.id for branch in membership.organization.branches)
        elif membership.branch_id is not None:
            ids.add(membership.branch_id)
    return ids


def may_staff(user: User, counter: Counter) -> bool:
    return counter.branch_id in staffed_branch_ids(user)


def check_access():
    """The one access check of the agent blueprint: sign-in, a branch, then the counter
    or the branch the URL names (on `g.counter`, `g.branch`)."""
    if not current_user.is_authenticated:
        response = login_manager.unauthorized()  # to auth.login, with next=
        if is_htmx():  # a refresh or a button after the session ended: the whole page
            return "", 204, {"HX-Redirect": response.location}
        return response
    g.branch_ids = staffed_branch_ids(current_user)
    if not g.branch_ids:
        abort(403)
    args = request.view_args or {}
    if args.get("counter_id") is not None:
        g.counter = _staffed(db.session.get(Counter, args["counter_id"]), "branch_id")
    if args.get("branch_id") is not None:
        g.branch = _staffed(db.session.get(Branch, args["branch_id"]), "id")


def _staffed(found, branch_attribute: str):
    """What the URL names, if it exists (404) and is at one of the user's branches (403)."""
    if found is None:
        abort(404)
    if getattr(found, branch_attribute) not in g.branch_ids:
        abort(403)
    return found
