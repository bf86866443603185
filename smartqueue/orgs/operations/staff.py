"""Staff: invite someone by email with a role (and branch), accept an invitation, change
a role, remove someone; the plan limits the staff seats."""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select

from ...accounts.operations import normalize_email
from ...accounts.secrets import hash_password, keyed_hash, new_token
from ...extensions import db
from ...jobs import enqueue
from ...jobs import mail as mail_jobs
from ...models import (
    Branch,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    utcnow,
)
from .. import queries
from ..errors import InvalidInvitation
from ..plans import PLANS

INVITATION_LIFETIME = timedelta(days=7)
# Staff seats per plan (the plans' table, orgs/plans.py).
PLAN_STAFF_LIMIT = {plan: terms.staff_seats for plan, terms in PLANS.items()}


def _check_role_branch(
    org: Organization, role: Role, branch_id: int | None
) -> Branch | None:
    if role is Role.ORG_ADMIN:
        return None
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None or branch.organization_id != org.id:
        raise InvalidInvitation(
            _l("Choisissez une agence de l'organisation pour ce rôle."),
            field="branch_id",
        )
    return branch


def new_invitation(
    org: Organization, email: str, role: Role, branch_id: int | None, by: User | None
) -> tuple[Invitation, str]:
    """Check and add an invitation (caller commits); returns it with its secret link token."""
    email = normalize_email(email)
    branch = _check_role_branch(org, role, branch_id)
    limit = PLAN_STAFF_LIMIT.get(org.plan)
    if limit is not None and queries.count_staff(org.id) >= limit:
        raise InvalidInvitation(
            ngettext(
                "Votre formule permet %(num)s membre du personnel au plus.",
                "Votre formule permet %(num)s membres du personnel au plus.",
                limit,
            ),
            field="email",
        )
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None and existing.membership_for(org.id) is not None:
        raise InvalidInvitation(
            _l("Cette personne fait déjà partie de l'organisation."), field="email"
        )
    token = new_token()
    invitation = Invitation(
        organization_id=org.id,
        branch_id=branch.id if branch else None,
        email=email,
        role=role,
        token_hash=keyed_hash(token),
        invited_by_id=by.id if by else None,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    return invitation, token


def send_invitation(invitation: Invitation, token: str) -> None:
    """Enqueue the invitation's mail in the unit of work that adds it (caller commits)."""
    db.session.flush()  # its id, for the job
    link = url_for("auth.accept_invitation", token=token, _external=True)
    enqueue(mail_jobs.send_invitation, invitation.id, link)


def invite_staff(
    org: Organization, email: str, role: Role, branch_id: int | None = None, *, by: User
) -> Invitation:
    """Invite someone by email to join an organization with a role; emails a link."""
    invitation, token = new_invitation(org, email, role, branch_id, by)
    send_invitation(invitation, token)
    db.session.commit()
    return invitation


def accept_invitation(
    invitation: Invitation,
    *,
    user: User | None = None,
    full_name: str | None = None,
    password: str | None = None,
) -> User:
    """Join: an existing (signed-in) user gains the role, or a new verified account is made."""
    if user is None:
        if db.session.scalar(select(User.id).where(User.email == invitation.email)):
            raise InvalidInvitation(
                _l("Connectez-vous d'abord avec cette adresse e-mail.")
            )
        user = User(
            email=invitation.email,
            password_hash=hash_password(password),
            full_name=(full_name or "").strip() or None,
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    elif user.email != invitation.email:
        raise InvalidInvitation(
            _l("Cette invitation est destinée à une autre adresse e-mail.")
        )
    if user.membership_for(invitation.organization_id) is None:
        user.memberships.append(
            Membership(
                organization_id=invitation.organization_id,
                branch_id=invitation.branch_id,
                role=invitation.role,
            )
        )
    invitation.accepted_at = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached their mailbox
    db.session.commit()
    return user


def change_role(
    membership: Membership, role: Role, branch_id: int | None, *, by: User
) -> None:
    """Give a staff member another role (or branch) in the same organization."""
    if (
        membership.user_id == by.id
        and role is not Role.ORG_ADMIN
        and membership.role is Role.ORG_ADMIN
    ):
        raise InvalidInvitation(
            _l("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
        )
    branch = _check_role_branch(membership.organization, role, branch_id)
    membership.role = role
    membership.branch_id = branch.id if branch else None
    db.session.commit()


def remove_staff(membership: Membership, *, by: User) -> None:
    """Take someone's staff role away (their account stays)."""
    if membership.user_id == by.id:
        raise InvalidInvitation(_l("Vous ne pouvez pas vous retirer vous-même."))
    db.session.delete(membership)
    db.session.commit()
