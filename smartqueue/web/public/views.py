"""Public pages: find a branch by region and commune, see a branch."""

from flask import Blueprint, abort, render_template, request

from ...geo import queries as geo
from ...orgs import queries as orgs
from ..htmx import page_or_fragment

bp = Blueprint("public", __name__)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/")
def home():
    region_id = _int_arg("region")
    commune_id = _int_arg("commune")
    communes = geo.list_communes(region_id=region_id) if region_id else []
    if commune_id and commune_id not in {c.id for c in communes}:
        commune_id = None  # a commune from another region: ignore rather than show nothing
    searched = region_id is not None
    branches = orgs.find_branches(region_id, commune_id) if searched else []
    return page_or_fragment(
        "public/home.html", "public/_finder.html",
        regions=geo.list_regions(), communes=communes, region_id=region_id,
        commune_id=commune_id, branches=branches, searched=searched,
    )


@bp.get("/branches/<int:branch_id>")
def branch(branch_id: int):
    branch = orgs.get_public_branch(branch_id) or abort(404)
    return render_template("public/branch.html", branch=branch)
