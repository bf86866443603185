"""Reads of the organizations domain (eager-loading what the pages show)."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    Branch,
    Counter,
    Invitation,
    Membership,
    Organization,
    Service,
    User,
    counter_services,
    utcnow,
)


def find_branches(
    region_id: int | None = None, commune_id: int | None = None, limit: int = 50
) -> list[Branch]:
    """Active branches of active organizations, optionally in a region and commune."""
    query = (
        select(Branch)
        .join(Branch.organization)
        .where(Branch.is_active.is_(True), Organization.is_active.is_(True))
        .options(
            selectinload(Branch.organization),
            selectinload(Branch.commune),
            selectinload(Branch.services),
        )
        .order_by(Organization.name, Branch.name)
        .limit(limit)
    )
    if region_id:
        query = query.where(Branch.region_id == region_id)
    if commune_id:
        query = query.where(Branch.commune_id == commune_id)
    return list(db.session.scalars(query))


def get_public_branch(branch_id: int) -> Branch | None:
    """A branch customers may see, with its hours, closures and active services."""
    branch = db.session.scalar(
        select(Branch)
        .join(Branch.organization)
        .where(
            Branch.id == branch_id,
            Branch.is_active.is_(True),
            Organization.is_active.is_(True),
        )
        .options(
            selectinload(Branch.opening_hours),
            selectinload(Branch.closures),
            selectinload(Branch.services),
        )
    )
    return branch


def list_organizations() -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .options(selectinload(Organization.branches))
            .order_by(Organization.name)
        )
    )


def list_staff(organization_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .where(Membership.organization_id == organization_id)
            .options(selectinload(Membership.user), selectinload(Membership.branch))
            .order_by(User.email)
        )
    )


def list_pending_invitations(organization_id: int) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .options(selectinload(Invitation.branch))
            .order_by(Invitation.created_at.desc())
        )
    )


def list_counters(branch_id: int) -> list[Counter]:
    return list(
        db.session.scalars(
            select(Counter)
            .where(Counter.branch_id == branch_id)
            .options(selectinload(Counter.services))
            .order_by(Counter.number)
        )
    )


def list_services(branch_id: int) -> list[Service]:
    """The branch's services by letter, each with its queue (screens show its state)."""
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.branch_id == branch_id)
            .options(joinedload(Service.queue))
            .order_by(Service.prefix)
        )
    )


def list_user_memberships(user_id: int) -> list[Membership]:
    """A user's staff roles with their organization, its branches and their branch (dashboard)."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.organization)
            .where(Membership.user_id == user_id)
            .options(
                selectinload(Membership.organization).selectinload(
                    Organization.branches
                ),
                selectinload(Membership.branch),
            )
            .order_by(Organization.name)
        )
    )


def list_branches(organization_id: int) -> list[Branch]:
    """An organization's branches (active or not) with their place, services and counters."""
    return list(
        db.session.scalars(
            select(Branch)
            .where(Branch.organization_id == organization_id)
            .options(
                selectinload(Branch.region),
                selectinload(Branch.commune),
                selectinload(Branch.services),
                selectinload(Branch.counters),
            )
            .order_by(Branch.name)
        )
    )


def list_counter_services(counter_id: int) -> list[Service]:
    """The active services a counter handles, by letter, each with its queue."""
    return list(
        db.session.scalars(
            select(Service)
            .join(counter_services, counter_services.c.service_id == Service.id)
            .where(
                counter_services.c.counter_id == counter_id,
                Service.is_active.is_(True),
            )
            .options(joinedload(Service.queue))
            .order_by(Service.prefix)
        )
    )


def count_active_queues(org_id: int) -> int:
    """Active services (one queue each) across the organization: what plans count."""
    return db.session.scalar(
        select(func.count(Service.id))
        .join(Branch, Branch.id == Service.branch_id)
        .where(Branch.organization_id == org_id, Service.is_active.is_(True))
    )


def count_staff(org_id: int) -> int:
    """Staff seats taken: members, and invitations still open (they hold a seat)."""
    members = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.organization_id == org_id)
    )
    pending = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.organization_id == org_id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return members + pending
