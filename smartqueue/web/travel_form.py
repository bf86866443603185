"""The "where do you come from, and how" form (issue 9), for a ticket's holder and an
appointment's alike: the page, and its answer handed to the travel operation."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError
from ..orgs import queries as orgs
from ..travel import queries as travel_queries
from .public.near import DEFAULT_MODE, MODE_LABELS, finder_origins

# Each origin given asks a job to compute the trip (a request to OSRM where there is
# one): at a person's pace a holder corrects it a few times, a script floods the jobs.
ORIGIN_CHANGES = "6 per minute; 30 per hour"


def travel_page(
    branch, holder: str, action: str, back: str, error=None, status: int = 200
):
    """The "where do you come from" page, for a ticket or an appointment."""
    customer = current_user if current_user.is_authenticated else None
    chosen_mode = (
        request.form.get("mode")
        or (travel_queries.get_travel_mode(customer) or DEFAULT_MODE).value
    )
    return render_template(
        "customer/travel.html",
        branch=branch,
        holder=holder,
        action=action,
        back=back,
        origins=finder_origins(),
        modes=MODE_LABELS,
        chosen_mode=chosen_mode,
        chosen_origin=request.form.get("from", ""),
        error=error,
    ), status


def set_origin(operation, holder) -> None:
    """The travel form's answer given to `operation` (set_ticket_origin or
    set_appointment_origin): a position, else a place of the list; DomainError else."""
    mode = request.form.get("mode", "")
    chosen = request.form.get("from", "").strip()
    lat, lon = request.form.get("lat", "").strip(), request.form.get("lon", "").strip()
    if lat or lon:
        operation(holder, position=(lat, lon), mode=mode)
        return
    found = orgs.get_finder_origin(chosen) if chosen else None
    if found is None:
        raise DomainError(
            _("Choisissez votre commune dans la liste, ou donnez votre position.")
        )
    if chosen.startswith("c"):  # a commune of the reference list
        operation(holder, commune_id=int(chosen[1:]), mode=mode)
    else:  # a department: its chief town stands in
        operation(holder, position=(found[1].lat, found[1].lon), mode=mode)
