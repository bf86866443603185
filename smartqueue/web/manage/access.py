"""The manage area's single access check: who may open which page, on which objects.

Every request to the blueprint goes through `check_access` (a `before_request` hook): sign-in,
then `can_use_manage`, then the objects named in the URL are loaded (404 if missing), resolved
to their owning branch and organization, and checked by the endpoint's rule (403 if refused).
The views find them on `flask.g` and do no permission logic of their own.
"""

from flask import abort, g, request
from flask_login import current_user

from ...extensions import db, login_manager
from ...models import (
    Branch,
    BranchClosure,
    Counter,
    Device,
    Invoice,
    Membership,
    Organization,
    Service,
)
from ...orgs import policy

# URL argument -> (name on flask.g, model).
LOADERS = {
    "org_id": ("org", Organization),
    "branch_id": ("branch", Branch),
    "service_id": ("service", Service),
    "counter_id": ("counter", Counter),
    "closure_id": ("closure", BranchClosure),
    "membership_id": ("membership", Membership),
    "device_id": ("device", Device),
    "invoice_id": ("invoice", Invoice),
}

# Rule name -> test, run after the objects are loaded and resolved to their owners.
RULES = {
    "area": lambda user: True,  # can_use_manage, checked for every endpoint
    "platform": policy.can_manage_platform,
    "organization": lambda user: policy.can_manage_organization(user, g.org),
    "branch": lambda user: policy.can_manage_branch(user, g.branch),
    "staff": lambda user: policy.can_manage_organization(user, g.org),
}

# Endpoint -> rule. An endpoint missing here is refused to everyone (fail closed).
ENDPOINTS = {
    "manage.dashboard": "area",
    "manage.location_fields": "area",
    "manage.organizations": "platform",
    "manage.new_organization": "platform",
    "manage.weather": "platform",
    "manage.organization": "organization",
    "manage.new_branch": "organization",
    "manage.branch": "branch",
    "manage.branch_hours": "branch",
    "manage.branch_closures": "branch",
    "manage.delete_closure": "branch",
    "manage.add_holidays": "branch",
    "manage.decide_holiday": "branch",
    "manage.new_service": "branch",
    "manage.service": "branch",
    "manage.queue_status": "branch",
    "manage.new_counter": "branch",
    "manage.counter": "branch",
    "manage.delete_counter": "branch",
    "manage.staff": "staff",
    "manage.member": "staff",
    "manage.remove_member": "staff",
    "manage.devices": "branch",
    "manage.revoke_device": "branch",
    "manage.claim_device": "branch",
    "manage.pair_device": "area",  # the branch is chosen on the page (or the only one)
    "manage.slot_templates": "branch",
    "manage.delete_slot_template": "branch",
    "manage.booking_settings": "branch",
    "manage.branch_appointments": "branch",
    "manage.branch_messages": "branch",
    "manage.end_branch_message": "branch",
    "manage.branch_notifications": "branch",
    "manage.billing": "organization",
    "manage.change_plan": "organization",
    "manage.cancel_plan_change": "organization",
    "manage.pay_invoice": "organization",
    "manage.platform_billing": "platform",
    "manage.invoice": "organization",
    "manage.invoice_pdf": "organization",
    "manage.organization_today": "organization",
    "manage.branch_today": "branch",
    "manage.organization_analytics": "organization",
    "manage.branch_analytics": "branch",
    "manage.organization_analytics_export": "organization",
    "manage.branch_analytics_export": "branch",
    "manage.organization_analytics_tickets": "organization",
    "manage.branch_analytics_tickets": "branch",
}


def _load_objects(view_args: dict) -> None:
    """Put the URL's objects on g, each with its owners: a service via its branch, and so on."""
    for arg, (name, model) in LOADERS.items():
        if arg in view_args:
            obj = db.session.get(model, view_args[arg])
            if obj is None:
                abort(404)
            setattr(g, name, obj)
    for child in ("service", "counter", "closure", "device"):
        if child in g:
            g.branch = getattr(g, child).branch
    if "branch" in g:
        g.org = g.branch.organization
    if "membership" in g:
        g.org = g.membership.organization
    if "invoice" in g:
        g.org = g.invoice.organization


def check_access():
    """The one access check of the manage blueprint (see the module docstring)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # to auth.login, with next=
    if not policy.can_use_manage(current_user):
        abort(403)
    rule = ENDPOINTS.get(request.endpoint)
    if rule is None:
        abort(403)
    _load_objects(request.view_args or {})
    if not RULES[rule](current_user):
        abort(403)
    # For links only (breadcrumbs): which of the pages above this one are open to this user.
    g.can_manage_platform = policy.can_manage_platform(current_user)
    g.can_manage_org = "org" in g and policy.can_manage_organization(
        current_user, g.org
    )
