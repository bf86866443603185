"""Public pages: find a branch (region, commune, name, open now; or near a position or
a place, by the total time to be served), see a branch."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ...accounts import operations as accounts
from ...geo import queries as geo
from ...orgs import queries as orgs
from ...queueing import rules
from ..customer.views import queue_lines
from ..htmx import is_htmx, page_or_fragment
from ..safety import acting_user, parse_id, safe_next
from .near import near_context

bp = Blueprint("public", __name__)


@bp.app_template_global()
def branch_states(branches) -> dict[int, rules.BranchState]:
    """Open or closed, and the next opening, of many branches in two reads (the finder)."""
    return rules.branch_states(b.id for b in branches)


@bp.app_template_global()
def branch_state(branch) -> rules.BranchState:
    """One branch's state (a Branch or its id): the branch page, kiosk and board."""
    branch_id = getattr(branch, "id", branch)
    return rules.branch_states([branch_id])[branch_id]


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


def _name_arg() -> tuple[str, str | None]:
    """The searched name (spaces tidied), and why it is refused (None when fine)."""
    name = " ".join(request.args.get("q", "").split())
    if len(name) > orgs.NAME_MAX_LENGTH:
        return name[: orgs.NAME_MAX_LENGTH].rstrip(), _(
            "Cherchez un nom de %(num)s caractères au plus.", num=orgs.NAME_MAX_LENGTH
        )
    return name, None


@bp.get("/")
def home():
    region_id = _int_arg("region")
    commune_id = _int_arg("commune")
    communes = geo.list_communes(region_id=region_id) if region_id else []
    if commune_id and commune_id not in {c.id for c in communes}:
        commune_id = (
            None  # a commune from another region: ignore rather than show nothing
        )
    name, name_error = _name_arg()
    open_now = request.args.get("open") == "1"
    searched = bool(region_id or name or open_now) and not name_error
    found = (
        orgs.find_branches(region_id, commune_id, name, open_now) if searched else None
    )
    # Each finder redraws itself: the near-me one is the target of its own form.
    fragment = (
        "public/_finder_near.html"
        if is_htmx() and request.headers.get("HX-Target") == "finder-near"
        else "public/_finder.html"
    )
    return page_or_fragment(
        "public/home.html",
        fragment,
        **near_context(),
        regions=geo.list_regions(),
        communes=communes,
        region_id=region_id,
        commune_id=commune_id,
        name=name,
        name_error=name_error,
        open_now=open_now,
        found=found,
    )


@bp.get("/branches/<int:branch_id>")
def branch(branch_id: int):
    branch = orgs.get_public_branch(branch_id) or abort(404)
    return render_template(
        "public/branch.html",
        branch=branch,
        lines=queue_lines(branch),
        state=branch_state(branch),
    )


@bp.post("/language")
def set_language():
    """Anyone may switch language; a signed-in user's choice is kept in their profile."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.update_profile(
                acting_user(), current_user.full_name, current_user.phone, locale
            )
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))
