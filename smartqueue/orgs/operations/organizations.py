"""Organizations: create one (inviting its first admin in the same unit of work), edit
one (its plan and activation: platform admins only)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...accounts.operations import normalize_email
from ...accounts.phones import normalize_phone
from ...extensions import db
from ...models import Organization, OrganizationType, Plan, Role, User
from ..errors import NameTaken
from .staff import new_invitation, send_invitation
from .unique import commit_unique


def create_organization(
    name: str,
    type: OrganizationType,
    plan: Plan = Plan.FREE,
    email: str | None = None,
    phone: str | None = None,
    admin_email: str | None = None,
    *,
    by: User | None = None,
) -> Organization:
    """Create an organization and, in the same unit of work, invite its first admin."""
    name = name.strip()
    phone = normalize_phone(phone)
    taken = NameTaken(_l("Une organisation porte déjà ce nom."))
    if db.session.scalar(select(Organization.id).where(Organization.name == name)):
        raise taken
    org = Organization(
        name=name,
        type=type,
        plan=plan,
        email=normalize_email(email) if email else None,
        phone=phone,
    )
    db.session.add(org)
    token = None
    if admin_email:
        db.session.flush()
        invitation, token = new_invitation(org, admin_email, Role.ORG_ADMIN, None, by)
    if token:
        send_invitation(invitation, token)
    commit_unique(taken)
    return org


def update_organization(
    org: Organization,
    *,
    name: str,
    type: OrganizationType,
    email: str | None,
    phone: str | None,
    plan: Plan | None = None,
    is_active: bool | None = None,
) -> None:
    """Edit an organization; plan and activation only when given (platform admins)."""
    name = name.strip()
    phone = normalize_phone(phone)
    taken = NameTaken(_l("Une organisation porte déjà ce nom."))
    if db.session.scalar(
        select(Organization.id).where(
            Organization.name == name, Organization.id != org.id
        )
    ):
        raise taken
    org.name, org.type = name, type
    org.email = normalize_email(email) if email else None
    org.phone = phone
    if plan is not None and plan is not org.plan:
        # The platform sets the plan at once: a downgrade the organization had asked
        # for no longer waits for the 1st.
        org.plan, org.next_plan, org.next_plan_from = plan, None, None
    if is_active is not None:
        org.is_active = is_active
    commit_unique(taken)
