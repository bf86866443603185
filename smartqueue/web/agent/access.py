"""The agent blueprint's access check: the rule itself (who may staff which counter) is
orgs.policy.staffed_branch_ids, which the counter's socket applies too."""

from flask import abort, g, request
from flask_login import current_user

from ...extensions import db, login_manager
from ...models import Branch, Counter
from ...orgs.policy import staffed_branch_ids
from ..htmx import is_htmx


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
