"""Writes of the organizations domain. Each function is one unit of work; `by` is the actor."""

from datetime import date, time, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock, events
from ..accounts.operations import normalize_email
from ..accounts.phones import normalize_phone
from ..accounts.secrets import hash_password, keyed_hash, new_token
from ..errors import DomainError
from ..extensions import db
from ..jobs import enqueue
from ..jobs import mail as mail_jobs
from ..models import (
    Branch,
    BranchClosure,
    Commune,
    Counter,
    CounterStatus,
    Department,
    Invitation,
    Membership,
    OpeningHours,
    Organization,
    OrganizationType,
    Plan,
    Queue,
    Region,
    Role,
    Service,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)
from ..queueing.queries import get_current_ticket
from ..work import begin_write
from . import holidays, queries
from .errors import (
    CounterBusy,
    CounterNumberTaken,
    InvalidHours,
    InvalidInvitation,
    InvalidLocation,
    NameTaken,
    PlanLimitReached,
    PrefixTaken,
)

INVITATION_LIFETIME = timedelta(days=7)
# Active queues (one per active service) per plan across the organization (DOMAIN.md, Plans).
PLAN_QUEUE_LIMIT = {
    Plan.FREE: 2,
    Plan.STARTER: 5,
    Plan.BUSINESS: 15,
    Plan.ENTERPRISE: 50,
}
# Staff seats per plan (DOMAIN.md, Plans); None = unlimited.
PLAN_STAFF_LIMIT = {
    Plan.FREE: 3,
    Plan.STARTER: 10,
    Plan.BUSINESS: 50,
    Plan.ENTERPRISE: 200,
}


def _commit(error: DomainError) -> None:
    """Commit, turning a unique-constraint race into the domain error the caller expects."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise error from None


# --- organizations ---------------------------------------------------------------------------


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
        invitation, token = _new_invitation(org, admin_email, Role.ORG_ADMIN, None, by)
    if token:
        _send_invitation(invitation, token)
    _commit(taken)
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
    if plan is not None:
        org.plan = plan
    if is_active is not None:
        org.is_active = is_active
    _commit(taken)


# --- branches --------------------------------------------------------------------------------


def _check_location(region_id: int, department_id: int, commune_id: int | None) -> None:
    department = db.session.get(Department, department_id)
    if (
        db.session.get(Region, region_id) is None
        or department is None
        or department.region_id != region_id
    ):
        raise InvalidLocation(
            _l("Ce département n'est pas dans cette région."), field="department_id"
        )
    if commune_id is not None:
        commune = db.session.get(Commune, commune_id)
        if commune is None or commune.department_id != department_id:
            raise InvalidLocation(
                _l("Cette commune n'est pas dans ce département."), field="commune_id"
            )


def _apply_branch(branch: Branch, data: dict) -> None:
    """Validate everything first, then change the branch: a refusal leaves it untouched."""
    _check_location(data["region_id"], data["department_id"], data.get("commune_id"))
    phone = normalize_phone(data.get("phone"))
    branch.name = data["name"].strip()
    branch.address = data["address"].strip()
    branch.region_id = data["region_id"]
    branch.department_id = data["department_id"]
    branch.commune_id = data.get("commune_id")
    branch.latitude = data.get("latitude")
    branch.longitude = data.get("longitude")
    branch.phone = phone
    if branch.latitude is None and branch.commune_id:
        # Without a precise position, the commune's centre is a fair start for travel times.
        commune = db.session.get(Commune, branch.commune_id)
        branch.latitude, branch.longitude = commune.latitude, commune.longitude


def create_branch(org: Organization, **data) -> Branch:
    """Open a branch with the usual hours (Mon-Fri 8:00-17:00) and this year's and
    next year's public holidays."""
    branch = Branch(organization_id=org.id)
    _apply_branch(branch, data)
    for weekday in range(5):
        branch.opening_hours.append(
            OpeningHours(weekday=weekday, opens_at=time(8), closes_at=time(17))
        )
    db.session.add(branch)
    for year in holidays.prefill_years(clock.today()):
        holidays.add_public_holidays(branch, year)
    _commit(NameTaken(_l("Cette organisation a déjà une agence de ce nom.")))
    return branch


def update_branch(branch: Branch, **data) -> None:
    """Edit a branch's details and place."""
    _apply_branch(branch, data)
    _commit(NameTaken(_l("Cette organisation a déjà une agence de ce nom.")))


def set_opening_hours(
    branch: Branch, hours: dict[int, tuple[time, time] | None]
) -> None:
    """Replace the week's hours: weekday -> (opens, closes), or None for closed.

    Closing before opening closes the next morning (20:00-02:00); 00:00-00:00 is
    "24 h/24" (models.OpeningHours)."""
    for weekday, span in hours.items():
        if span is not None and span[0] == span[1] and span[0] != time(0):
            raise InvalidHours(
                _l(
                    "L'heure de fermeture doit différer de l'heure d'ouverture "
                    "(00:00 à 00:00 : ouverte 24 h/24)."
                ),
                field=f"day_{weekday}",
            )
    branch.opening_hours.clear()
    db.session.flush()
    for weekday, span in sorted(hours.items()):
        if span is not None:
            branch.opening_hours.append(
                OpeningHours(weekday=weekday, opens_at=span[0], closes_at=span[1])
            )
    db.session.commit()
    _hours_changed(branch.id)


def add_closure(branch: Branch, day: date, reason: str | None = None) -> BranchClosure:
    """Close a branch on a date (holiday, Tabaski...)."""
    if day < clock.today():
        raise InvalidHours(_l("Cette date est déjà passée."), field="date")
    closure = BranchClosure(
        branch=branch, date=day, reason=(reason or "").strip() or None
    )
    db.session.add(closure)
    _commit(InvalidHours(_l("Cette date est déjà fermée."), field="date"))
    _hours_changed(branch.id)
    return closure


def remove_closure(closure: BranchClosure, *, by: User | None = None) -> None:
    """Reopen a closed day; a public holiday's stays dismissed (no pre-fill brings it back)."""
    holidays.dismiss_closure_holidays(closure, by)
    branch_id = closure.branch_id
    db.session.delete(closure)
    db.session.commit()
    _hours_changed(branch_id)


def _hours_changed(branch_id: int) -> None:
    events.announce(events.hours_changed, branch_id=branch_id)


# --- services and counters --------------------------------------------------------------------


def _apply_service(service: Service, data: dict) -> None:
    prefix = data["prefix"].strip().upper()
    if len(prefix) != 1 or not prefix.isalpha() or not prefix.isascii():
        raise PrefixTaken(_l("Le préfixe est une seule lettre (A à Z)."))
    taken = db.session.scalar(
        select(Service.id).where(
            Service.branch_id == service.branch_id,
            Service.prefix == prefix,
            Service.id != (service.id or 0),
        )
    )
    if taken:
        raise PrefixTaken(
            _l(
                "Un autre service de cette agence utilise déjà la lettre %(p)s.",
                p=prefix,
            )
        )
    service.prefix = prefix
    service.name_fr = data["name_fr"].strip()
    service.name_wo = (data.get("name_wo") or "").strip() or None
    service.name_en = (data.get("name_en") or "").strip() or None
    service.category = (data.get("category") or "").strip() or None
    service.estimated_minutes = data["estimated_minutes"]
    service.price_fcfa = data.get("price_fcfa") or 0
    service.requires_appointment = bool(data.get("requires_appointment"))
    service.accepts_appointments = (
        bool(data.get("accepts_appointments")) or service.requires_appointment
    )
    service.documents = (data.get("documents") or "").strip() or None
    _apply_queue(service, data)
    service.is_active = data.get("is_active", True)


QUEUE_FIELDS = {
    "queue_type": "type",
    "queue_status": "status",
    "strategy": "strategy",
    "capacity": "capacity",
    "expiry_minutes": "expiry_minutes",
    "notify_before": "notify_before",
}


def _apply_queue(service: Service, data: dict) -> None:
    """The queue settings given with the service; a new strategy re-orders who waits."""
    queue = service.queue or Queue()
    service.queue = queue
    old_strategy = queue.strategy
    for key, attribute in QUEUE_FIELDS.items():
        if data.get(key) is not None:
            setattr(queue, attribute, data[key])
    if service.id and old_strategy is not None and queue.strategy is not old_strategy:
        from ..queueing.strategies import rank_key

        for ticket in db.session.scalars(
            select(Ticket).where(
                Ticket.service_id == service.id, Ticket.status == TicketStatus.WAITING
            )
        ):
            ticket.rank_key = rank_key(
                queue.strategy, ticket.priority, ticket.arrived_at
            )


def create_service(branch: Branch, **data) -> Service:
    """Add a service to a branch."""
    if data.get("is_active", True):
        _check_queue_room(branch.organization_id)
    service = Service(branch_id=branch.id, queue=Queue())
    _apply_service(service, data)
    db.session.add(service)
    _commit(PrefixTaken(_l("Cette lettre est déjà utilisée dans l'agence.")))
    _service_changed(service)
    return service


def update_service(service: Service, **data) -> None:
    if data.get("is_active", True) and not service.is_active:
        _check_queue_room(service.branch.organization_id)
    _apply_service(service, data)
    _commit(PrefixTaken(_l("Cette lettre est déjà utilisée dans l'agence.")))
    _service_changed(service)


def _check_queue_room(org_id: int) -> None:
    """Refuse one more active queue beyond the plan's; the organization's row is locked
    until the commit, so that two managers adding services at once cannot both pass."""
    begin_write(db.session)
    plan = db.session.scalar(
        select(Organization.plan).where(Organization.id == org_id).with_for_update()
    )
    limit = PLAN_QUEUE_LIMIT.get(plan)
    if limit is not None and queries.count_active_queues(org_id) >= limit:
        db.session.rollback()
        raise PlanLimitReached(
            ngettext(
                "Votre formule permet %(num)s file active au plus : désactivez un "
                "service ou changez de formule.",
                "Votre formule permet %(num)s files actives au plus : désactivez un "
                "service ou changez de formule.",
                limit,
            )
        )


def _service_changed(service: Service) -> None:
    """Boards, counter screens and the line's ticket pages show services: tell them."""
    events.announce(
        events.service_changed, branch_id=service.branch_id, service_id=service.id
    )


def _counter_changed(branch_id: int, counter_id: int) -> None:
    events.announce(events.counter_changed, branch_id=branch_id, counter_id=counter_id)


def _apply_counter(
    counter: Counter, number: int, name: str | None, service_ids: list[int]
) -> None:
    if not service_ids:  # nobody could ever be called there
        raise DomainError(
            _l("Choisissez au moins un service traité à ce guichet."),
            field="service_ids",
        )
    services = db.session.scalars(
        select(Service).where(
            Service.id.in_(service_ids), Service.branch_id == counter.branch_id
        )
    ).all()
    if len(services) != len(set(service_ids)):
        raise DomainError(
            _l("Un service choisi n'appartient pas à cette agence."),
            field="service_ids",
        )
    counter.number = number
    counter.name = (name or "").strip() or None
    counter.services = list(services)


def create_counter(
    branch: Branch,
    number: int,
    name: str | None = None,
    service_ids: list[int] | None = None,
) -> Counter:
    """Add a numbered counter serving some of the branch's services."""
    counter = Counter(branch_id=branch.id, status=CounterStatus.CLOSED)
    _apply_counter(counter, number, name, service_ids or [])
    db.session.add(counter)
    _commit(CounterNumberTaken(_l("Le guichet %(n)s existe déjà.", n=number)))
    _counter_changed(counter.branch_id, counter.id)
    return counter


def update_counter(
    counter: Counter, number: int, name: str | None, service_ids: list[int]
) -> None:
    _apply_counter(counter, number, name, service_ids)
    _commit(CounterNumberTaken(_l("Le guichet %(n)s existe déjà.", n=number)))
    _counter_changed(counter.branch_id, counter.id)


def delete_counter(counter: Counter) -> None:
    """Remove a counter, unless a customer is at it (their ticket would be lost)."""
    branch_id, counter_id = counter.branch_id, counter.id
    begin_write(db.session)
    counter = db.session.get(  # a call locks this row too: none can slip in meanwhile
        Counter, counter_id, with_for_update=True, populate_existing=True
    )
    if get_current_ticket(counter) is not None:
        db.session.rollback()
        raise CounterBusy(
            _l("Un client est à ce guichet : terminez d'abord son ticket.")
        )
    db.session.delete(counter)
    db.session.commit()
    _counter_changed(branch_id, counter_id)


# --- staff -----------------------------------------------------------------------------------


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


def _new_invitation(
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


def _send_invitation(invitation: Invitation, token: str) -> None:
    """Enqueue the invitation's mail in the unit of work that adds it (caller commits)."""
    db.session.flush()  # its id, for the job
    link = url_for("auth.accept_invitation", token=token, _external=True)
    enqueue(mail_jobs.send_invitation, invitation.id, link)


def invite_staff(
    org: Organization, email: str, role: Role, branch_id: int | None = None, *, by: User
) -> Invitation:
    """Invite someone by email to join an organization with a role; emails a link."""
    invitation, token = _new_invitation(org, email, role, branch_id, by)
    _send_invitation(invitation, token)
    db.session.commit()
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The pending, unexpired invitation behind a link token."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == keyed_hash(token))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utcnow()
    ):
        return None
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
