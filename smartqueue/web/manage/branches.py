"""Manage area: a branch, its opening hours, closures, services and counters."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...errors import DomainError
from ...geo import queries as geo
from ...models import QueueStatus
from ...orgs import holiday_queries, holidays
from ...orgs import operations as orgs
from ...orgs import queries as org_queries
from ...orgs.holiday_calendar import holiday_name
from ...queueing import operations as queueing
from ..forms import EmptyForm
from ..labels import label
from ..safety import acting_user
from . import bp
from .common import form_data, int_arg, refuse, status
from .forms import (
    BranchForm,
    ClosureForm,
    CounterForm,
    HolidayForm,
    HoursForm,
    QueueStatusForm,
    ServiceForm,
)

# The branch page's one-click queue buttons (maintenance stays in the service's form).
QUEUE_VERBS = [
    (QueueStatus.ACTIVE, _l("Ouvrir")),
    (QueueStatus.PAUSED, _l("Mettre en pause")),
    (QueueStatus.CLOSED, _l("Fermer")),
]

# --- branches --------------------------------------------------------------------------------


def _with_locations(form: BranchForm, reset: bool = False) -> BranchForm:
    """Fill the region, department and commune selects from the chosen region and department."""
    departments = (
        geo.list_departments(form.region_id.data) if form.region_id.data else []
    )
    if reset and form.department_id.data not in {d.id for d in departments}:
        form.department_id.data = None
    communes = (
        geo.list_communes(department_id=form.department_id.data)
        if form.department_id.data in {d.id for d in departments}
        else []
    )
    if reset and form.commune_id.data not in {c.id for c in communes}:
        form.commune_id.data = None
    form.region_id.choices = [("", _("Choisir une région"))] + [
        (r.id, r.name) for r in geo.list_regions()
    ]
    form.department_id.choices = [("", _("Choisir un département"))] + [
        (d.id, d.name) for d in departments
    ]
    form.commune_id.choices = [("", _("Aucune commune précise"))] + [
        (c.id, c.name) for c in communes
    ]
    return form


@bp.get("/location-fields")
def location_fields():
    """The region/department/commune selects, re-rendered when the region or department changes."""
    form = BranchForm(
        formdata=None,
        data={
            "region_id": int_arg("region", "region_id"),
            "department_id": int_arg("department", "department_id"),
            "commune_id": int_arg("commune", "commune_id"),
        },
    )
    return render_template(
        "manage/_location_fields.html", form=_with_locations(form, reset=True)
    )


@bp.route("/organizations/<int:org_id>/branches/new", methods=["GET", "POST"])
def new_branch(org_id: int):
    form = _with_locations(BranchForm())
    if form.validate_on_submit():
        try:
            branch = orgs.create_branch(g.org, **form_data(form))
        except DomainError as error:
            refuse(form, error)
        else:
            flash(
                _("Agence créée. Ajoutez maintenant ses services et ses guichets."),
                "success",
            )
            return redirect(url_for("manage.branch", branch_id=branch.id))
    return render_template("manage/new_branch.html", form=form, org=g.org), status(form)


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
def branch(branch_id: int):
    form = _with_locations(BranchForm(obj=g.branch))
    if form.validate_on_submit():
        try:
            orgs.update_branch(g.branch, **form_data(form))
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Agence enregistrée."), "success")
            return redirect(url_for("manage.branch", branch_id=branch_id))
    return render_template(
        "manage/branch.html",
        form=form,
        branch=g.branch,
        services=org_queries.list_services(branch_id),
        counters=org_queries.list_counters(branch_id),
        queue_verbs=QUEUE_VERBS,
    ), status(form)


@bp.route("/branches/<int:branch_id>/hours", methods=["GET", "POST"])
def branch_hours(branch_id: int):
    current = {}
    for day in range(7):
        hours = g.branch.hours_on(day)
        current |= {
            f"day_{day}_closed": hours is None,
            f"day_{day}_opens": hours.opens_at if hours else None,
            f"day_{day}_closes": hours.closes_at if hours else None,
        }
    # Stored hours fill the page; a submitted form stands alone (a missing time is an error).
    form = HoursForm(data=None if request.method == "POST" else current)
    if form.validate_on_submit():
        week = {
            day: None if closed.data else (opens.data, closes.data)
            for day, closed, opens, closes in form.rows()
        }
        try:
            orgs.set_opening_hours(g.branch, week)
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Horaires enregistrés."), "success")
            return redirect(url_for("manage.branch_hours", branch_id=branch_id))
    return render_template(
        "manage/branch_hours.html", form=form, branch=g.branch
    ), status(form)


@bp.route("/branches/<int:branch_id>/closures", methods=["GET", "POST"])
def branch_closures(branch_id: int):
    form = ClosureForm()
    if form.validate_on_submit():
        try:
            orgs.add_closure(g.branch, form.date.data, form.reason.data)
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Fermeture ajoutée."), "success")
            return redirect(url_for("manage.branch_closures", branch_id=branch_id))
    return render_template(
        "manage/branch_closures.html",
        form=form,
        branch=g.branch,
        years=holiday_queries.list_closure_years(g.branch),
        holiday_form=HolidayForm(formdata=None),
    ), status(form)


@bp.post("/closures/<int:closure_id>/delete")
def delete_closure(closure_id: int):
    branch_id = g.branch.id
    if EmptyForm().validate_on_submit():
        orgs.remove_closure(g.closure, by=acting_user())
        flash(_("Fermeture supprimée."), "success")
    return redirect(url_for("manage.branch_closures", branch_id=branch_id))


def _to_closures():
    return redirect(url_for("manage.branch_closures", branch_id=g.branch.id))


def _flash_booked(count: int) -> None:
    """A day just closed already has appointments: the manager warns those customers."""
    if count:
        flash(
            ngettext(
                "%(num)s rendez-vous est déjà pris ce jour-là : prévenez le client "
                "(lien « Voir les rendez-vous » dans la liste).",
                "%(num)s rendez-vous sont déjà pris ce jour-là : prévenez les clients "
                "(lien « Voir les rendez-vous » dans la liste).",
                count,
            ),
            "error",
        )


def _holiday_named(form: HolidayForm):
    """The holiday a valid decision form names (404 if not this branch's), or None
    after saying what was wrong."""
    if not form.validate_on_submit():
        if form.date.errors:
            flash(_("Date non valide : choisissez la date annoncée."), "error")
        return None
    holiday = holiday_queries.get_branch_holiday(g.branch, form.holiday_id.data)
    if holiday is None:
        abort(404)
    return holiday


@bp.post("/branches/<int:branch_id>/holidays/<int:year>")
def add_holidays(branch_id: int, year: int):
    if EmptyForm().validate_on_submit():
        try:
            added = holidays.prefill_holidays(g.branch, year, by=acting_user())
        except DomainError as error:
            flash(str(error.message), "error")
            return _to_closures()
        if added.closed or added.proposed:
            flash(
                _(
                    "Jours fériés de %(year)s ajoutés : fermés %(closed)s · "
                    "dates estimées à confirmer %(proposed)s.",
                    year=year,
                    closed=len(added.closed),
                    proposed=len(added.proposed),
                ),
                "success",
            )
        else:
            flash(_("Les jours fériés de %(year)s sont déjà là.", year=year), "info")
        booked = holiday_queries.count_appointments_on(
            branch_id, {h.listed_date for h in added.closed}
        )
        _flash_booked(sum(booked.values()))
    return _to_closures()


def _confirm(holiday, form: HolidayForm) -> None:
    if form.move.data and form.date.data is None:
        flash(_("Choisissez la date annoncée."), "error")
        return
    booked = holidays.confirm_holiday(holiday, form.date.data, by=acting_user())
    flash(
        _(
            "%(name)s : l'agence sera fermée le %(date)s.",
            name=holiday_name(holiday.key, holiday.name),
            date=format_date(holiday.closure.date, "full"),
        ),
        "success",
    )
    _flash_booked(booked)


def _dismiss(holiday, form: HolidayForm) -> None:
    holidays.dismiss_holiday(holiday, by=acting_user())
    name = holiday_name(holiday.key, holiday.name)
    flash(
        _("%(name)s retiré : l'agence reste ouverte ce jour-là.", name=name), "success"
    )


def _restore(holiday, form: HolidayForm) -> None:
    booked = holidays.restore_holiday(holiday, by=acting_user())
    name = holiday_name(holiday.key, holiday.name)
    flash(_("%(name)s rétabli.", name=name), "success")
    _flash_booked(booked)


DECISIONS = {"confirm": _confirm, "dismiss": _dismiss, "restore": _restore}


@bp.post("/branches/<int:branch_id>/holidays")
def decide_holiday(branch_id: int):
    """Confirm (or move to the announced date), dismiss or restore one holiday."""
    form = HolidayForm()
    holiday = _holiday_named(form)
    if holiday is not None:
        try:
            DECISIONS[form.decision.data](holiday, form)
        except DomainError as error:
            flash(str(error.message), "error")
    return _to_closures()


# --- services and counters --------------------------------------------------------------------


@bp.route("/branches/<int:branch_id>/services/new", methods=["GET", "POST"])
def new_service(branch_id: int):
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            orgs.create_service(g.branch, **form_data(form))
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Service ajouté."), "success")
            return redirect(
                url_for("manage.branch", branch_id=branch_id, _anchor="service-list")
            )
    return render_template("manage/service.html", form=form, branch=g.branch), status(
        form
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def service(service_id: int):
    form = ServiceForm(obj=g.service)
    if request.method == "GET" and g.service.queue is not None:
        form.load_queue(g.service.queue)
    if form.validate_on_submit():
        try:
            orgs.update_service(g.service, **form_data(form))
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Service enregistré."), "success")
            return redirect(
                url_for("manage.branch", branch_id=g.branch.id, _anchor="service-list")
            )
    return render_template(
        "manage/service.html", form=form, branch=g.branch, service=g.service
    ), status(form)


@bp.post("/services/<int:service_id>/queue")
def queue_status(service_id: int):
    """Open, pause or close a service's queue from the branch page, in one click."""
    form = QueueStatusForm()
    if form.validate_on_submit():
        queue = queueing.get_queue(g.service)
        queueing.set_queue_status(queue, form.status.data, by=acting_user())
        flash(
            _(
                "File « %(service)s » : %(status)s.",
                service=g.service.name_for(str(get_locale() or "fr")),
                status=label(form.status.data),
            ),
            "success",
        )
    else:  # an expired page, or a hand-made request
        flash(
            _("L'état de la file n'a pas changé : rechargez la page et réessayez."),
            "error",
        )
    return redirect(
        url_for("manage.branch", branch_id=g.branch.id, _anchor="service-list")
    )


def _with_services(form: CounterForm, branch) -> CounterForm:
    locale = str(get_locale() or "fr")
    form.service_ids.choices = [
        (s.id, f"{s.prefix} · {s.name_for(locale)}")
        for s in org_queries.list_services(branch.id)
    ]
    return form


@bp.route("/branches/<int:branch_id>/counters/new", methods=["GET", "POST"])
def new_counter(branch_id: int):
    next_number = max((c.number for c in g.branch.counters), default=0) + 1
    form = _with_services(CounterForm(number=next_number), g.branch)
    if form.validate_on_submit():
        try:
            orgs.create_counter(
                g.branch, form.number.data, form.name.data, form.service_ids.data
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Guichet ajouté."), "success")
            return redirect(
                url_for("manage.branch", branch_id=branch_id, _anchor="counter-list")
            )
    return render_template("manage/counter.html", form=form, branch=g.branch), status(
        form
    )


@bp.route("/counters/<int:counter_id>", methods=["GET", "POST"])
def counter(counter_id: int):
    form = _with_services(
        CounterForm(obj=g.counter, service_ids=[s.id for s in g.counter.services]),
        g.branch,
    )
    if form.validate_on_submit():
        try:
            orgs.update_counter(
                g.counter, form.number.data, form.name.data, form.service_ids.data
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Guichet enregistré."), "success")
            return redirect(
                url_for("manage.branch", branch_id=g.branch.id, _anchor="counter-list")
            )
    return render_template(
        "manage/counter.html", form=form, branch=g.branch, counter=g.counter
    ), status(form)


@bp.post("/counters/<int:counter_id>/delete")
def delete_counter(counter_id: int):
    branch_id = g.branch.id
    if EmptyForm().validate_on_submit():
        try:
            orgs.delete_counter(g.counter)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Guichet supprimé."), "success")
    return redirect(
        url_for("manage.branch", branch_id=branch_id, _anchor="counter-list")
    )
