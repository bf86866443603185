"""The organizations domain's write layer, one module per topic; this package re-exports
the public operations so that callers write `operations.create_branch(...)`.

- organizations.py: create or edit an organization
- branches.py: a branch's details and place, its weekly hours, its closed days (public
  holidays are orgs/holidays.py)
- services.py: services and their queue's settings (the plan's limit of active queues)
- counters.py: counters and the services each handles
- staff.py: invitations, roles, removal (the plan's limit of staff seats)

Each function is one unit of work; `by` is the actor. Reads are orgs/queries.py.
"""

from .branches import (
    add_closure,
    create_branch,
    remove_closure,
    set_opening_hours,
    update_branch,
)
from .counters import create_counter, delete_counter, update_counter
from .organizations import create_organization, update_organization
from .services import PLAN_QUEUE_LIMIT, create_service, update_service
from .staff import (
    INVITATION_LIFETIME,
    PLAN_STAFF_LIMIT,
    accept_invitation,
    change_role,
    invite_staff,
    remove_staff,
)

__all__ = [
    "INVITATION_LIFETIME",
    "PLAN_QUEUE_LIMIT",
    "PLAN_STAFF_LIMIT",
    "accept_invitation",
    "add_closure",
    "change_role",
    "create_branch",
    "create_counter",
    "create_organization",
    "create_service",
    "delete_counter",
    "invite_staff",
    "remove_closure",
    "remove_staff",
    "set_opening_hours",
    "update_branch",
    "update_counter",
    "update_organization",
    "update_service",
]
