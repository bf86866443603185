"""Manage area: dashboard, platform (organizations), an organization and its staff.

The branch pages (branch, hours, closures, services, counters) are in branches.py.
"""

import math

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...errors import DomainError
from ...geo import operations as geo
from ...geo import queries as geo_queries
from ...models import Role
from ...orgs import operations as orgs
from ...orgs import policy
from ...orgs import queries as org_queries
from ..forms import EmptyForm
from ..safety import acting_user
from . import (  # noqa: F401  (their pages register on bp)
    analytics,
    appointments,
    billing,
    bp,
    branches,
    devices,
    exports,
    invoices,
    notifications,
    today,
)
from .common import refuse, status
from .forms import (
    InviteForm,
    MemberForm,
    NewOrganizationForm,
    OrganizationForm,
    PlatformOrganizationForm,
)

__all__ = ["bp"]


# --- dashboard and platform ------------------------------------------------------------------


@bp.get("/")
def dashboard():
    memberships = org_queries.list_user_memberships(current_user.id)
    return render_template(
        "manage/dashboard.html",
        is_platform_admin=policy.can_manage_platform(current_user),
        organizations=[m.organization for m in memberships if m.role is Role.ORG_ADMIN],
        branches=[
            m.branch
            for m in memberships
            if m.role is Role.BRANCH_MANAGER and m.branch is not None
        ],
    )


@bp.get("/organizations")
def organizations():
    return render_template(
        "manage/organizations.html", organizations=org_queries.list_organizations()
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
def new_organization():
    form = NewOrganizationForm()
    if form.validate_on_submit():
        try:
            org = orgs.create_organization(
                form.name.data,
                form.type.data,
                form.plan.data,
                form.email.data,
                form.phone.data,
                admin_email=form.admin_email.data,
                by=acting_user(),
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(
                _(
                    "Organisation créée. Une invitation a été envoyée à %(email)s.",
                    email=form.admin_email.data,
                ),
                "success",
            )
            return redirect(url_for("manage.organization", org_id=org.id))
    return render_template("manage/new_organization.html", form=form), status(form)


@bp.route("/weather", methods=["GET", "POST"])
def weather():
    """The regions' weather factors (the rainy season slows trips): all saved at once,
    or none when one is wrong."""
    regions = geo_queries.list_regions()
    error = None
    if request.method == "POST":
        factors = {}
        for region in regions:
            text = (
                request.form.get(f"weather-{region.id}", "").strip().replace(",", ".")
            )
            try:
                factors[region.id] = float(text)
            except ValueError:
                factors[region.id] = math.nan  # said by the operation, in words
        try:
            changed = geo.set_weather_factors(factors, by=acting_user())
        except DomainError as refused:
            error = refused.message
        else:
            flash(
                _("Facteurs météo enregistrés (%(n)s changé(s)).", n=changed), "success"
            )
            return redirect(url_for("manage.weather"), 303)
    return render_template(
        "manage/weather.html", regions=regions, error=error, form=EmptyForm()
    ), (422 if error else 200)


# --- organization ----------------------------------------------------------------------------


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
def organization(org_id: int):
    # Not an access check: platform admins simply see two more fields (plan, active).
    platform = policy.can_manage_platform(current_user)
    form = (PlatformOrganizationForm if platform else OrganizationForm)(obj=g.org)
    if form.validate_on_submit():
        extra = (
            {"plan": form.plan.data, "is_active": form.is_active.data}
            if platform
            else {}
        )
        try:
            orgs.update_organization(
                g.org,
                name=form.name.data,
                type=form.type.data,
                email=form.email.data,
                phone=form.phone.data,
                **extra,
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(_("Organisation enregistrée."), "success")
            return redirect(url_for("manage.organization", org_id=org_id))
    return render_template(
        "manage/organization.html",
        form=form,
        org=g.org,
        branches=org_queries.list_branches(org_id),
        sms=notifications.organization_sms_usage(org_id),
        usage=[  # (label, used, the plan's limit or None)
            (
                _("Files actives"),
                org_queries.count_active_queues(org_id),
                orgs.PLAN_QUEUE_LIMIT.get(g.org.plan),
            ),
            (
                _("Personnel"),
                org_queries.count_staff(org_id),
                orgs.PLAN_STAFF_LIMIT.get(g.org.plan),
            ),
        ],
    ), status(form)


# --- staff -----------------------------------------------------------------------------------


def _with_branches(form, org):
    form.branch_id.choices = [("", _("Aucune (administrateur)"))] + [
        (b.id, b.name) for b in org.branches
    ]
    return form


def _member_form(membership, submitted: bool = False) -> MemberForm:
    """A membership's role form; its prefix keeps each row's field ids apart."""
    form = MemberForm(
        formdata=request.form if submitted else None,
        obj=membership,
        prefix=f"m{membership.id}",
    )
    return _with_branches(form, membership.organization)


def _staff_page(invite_form=None, member_form=None, status: int = 200):
    members = org_queries.list_staff(g.org.id)
    forms = {
        m.id: member_form
        if member_form is not None and m.id == g.membership.id
        else _member_form(m)
        for m in members
    }
    return render_template(
        "manage/staff.html",
        org=g.org,
        members=members,
        member_forms=forms,
        invitations=org_queries.list_pending_invitations(g.org.id),
        invite_form=invite_form or _with_branches(InviteForm(formdata=None), g.org),
    ), status


@bp.route("/organizations/<int:org_id>/staff", methods=["GET", "POST"])
def staff(org_id: int):
    form = _with_branches(InviteForm(), g.org)
    if form.validate_on_submit():
        try:
            orgs.invite_staff(
                g.org,
                form.email.data,
                form.role.data,
                form.branch_id.data,
                by=acting_user(),
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(
                _("Invitation envoyée à %(email)s.", email=form.email.data), "success"
            )
            return redirect(url_for("manage.staff", org_id=org_id))
    return _staff_page(invite_form=form, status=status(form))


@bp.post("/members/<int:membership_id>")
def member(membership_id: int):
    form = _member_form(g.membership, submitted=True)
    if form.validate_on_submit():
        try:
            orgs.change_role(
                g.membership, form.role.data, form.branch_id.data, by=acting_user()
            )
        except DomainError as error:
            refuse(form, error)
        else:
            flash(
                _("Rôle de %(email)s modifié.", email=g.membership.user.email),
                "success",
            )
            return redirect(url_for("manage.staff", org_id=g.org.id))
    return _staff_page(member_form=form, status=422)


@bp.post("/members/<int:membership_id>/remove")
def remove_member(membership_id: int):
    email, org_id = g.membership.user.email, g.org.id
    if EmptyForm().validate_on_submit():
        try:
            orgs.remove_staff(g.membership, by=acting_user())
        except DomainError as error:
            form = _member_form(g.membership)
            refuse(form, error)
            return _staff_page(member_form=form, status=422)
        flash(_("%(email)s ne fait plus partie du personnel.", email=email), "success")
    return redirect(url_for("manage.staff", org_id=org_id))
