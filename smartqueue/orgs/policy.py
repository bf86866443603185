"""Who may manage what, and who may staff which counter: one set of rules, used by the
manage and agent blueprints' single access checks and by the counter screen's socket."""

from ..models import Branch, Counter, Membership, Organization, Role, User


def _membership(user: User, organization_id: int) -> Membership | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return user.membership_for(organization_id)


def can_use_manage(user: User) -> bool:
    """Managers, org admins and platform admins; agents serve at the counter, not here."""
    if not user.is_authenticated:
        return False
    return user.is_platform_admin or any(
        m.role in (Role.ORG_ADMIN, Role.BRANCH_MANAGER) for m in user.memberships
    )


def can_manage_platform(user: User) -> bool:
    return user.is_authenticated and user.is_platform_admin


def can_manage_organization(user: User, organization: Organization) -> bool:
    """Edit the organization, create branches, invite staff."""
    if can_manage_platform(user):
        return True
    m = _membership(user, organization.id)
    return m is not None and m.role is Role.ORG_ADMIN


def can_manage_branch(user: User, branch: Branch) -> bool:
    """Edit a branch's details, hours, closures, services and counters."""
    if can_manage_organization(user, branch.organization):
        return True
    m = _membership(user, branch.organization_id)
    return m is not None and m.role is Role.BRANCH_MANAGER and m.branch_id == branch.id


def managed_branches(user: User) -> list[Branch]:
    """Branches a user may manage, for the dashboard."""
    branches: list[Branch] = []
    for m in user.memberships:
        if m.role is Role.ORG_ADMIN:
            branches.extend(m.organization.branches)
        elif m.role is Role.BRANCH_MANAGER and m.branch is not None:
            branches.append(m.branch)
    return branches


def staffed_branch_ids(user: User) -> set[int]:
    """The branches whose counters `user` may open and serve at: agents and branch
    managers at their own branch, org admins at every branch of their organization.
    Platform admins run the platform, not a counter; customers and other organizations'
    staff have no counter here."""
    if not user.is_authenticated or not user.is_active:
        return set()
    ids: set[int] = set()
    for membership in user.memberships:
        if membership.role is Role.ORG_ADMIN:
            ids.update(branch.id for branch in membership.organization.branches)
        elif membership.branch_id is not None:
            ids.add(membership.branch_id)
    return ids


def can_staff_counter(user: User, counter: Counter) -> bool:
    """Open, serve at and watch this counter (its pages, and its live socket)."""
    return counter.branch_id in staffed_branch_ids(user)
