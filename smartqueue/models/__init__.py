"""All models, re-exported so that Alembic sees the whole schema."""

from .accounts import CodePurpose, EmailCode, Invitation, Membership, Role, User
from .base import begin_write, utcnow
from .geo import Commune, Department, Region
from .orgs import (
    Branch,
    BranchClosure,
    Counter,
    CounterStatus,
    OpeningHours,
    Organization,
    OrganizationType,
    Plan,
    Service,
    counter_services,
)

__all__ = [
    "Branch",
    "BranchClosure",
    "CodePurpose",
    "Commune",
    "Counter",
    "CounterStatus",
    "Department",
    "EmailCode",
    "Invitation",
    "Membership",
    "OpeningHours",
    "Organization",
    "OrganizationType",
    "Plan",
    "Region",
    "Role",
    "Service",
    "User",
    "counter_services",
    "begin_write",
    "utcnow",
]
