"""Services (what a customer queues for) and their queue's settings; the plan limits
how many queues may be active across an organization."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select

from ... import events
from ...extensions import db
from ...models import Branch, Organization, Queue, Service, Ticket, TicketStatus
from ...queueing.strategies import rank_key
from ...work import begin_write
from .. import queries
from ..errors import PlanLimitReached, PrefixTaken
from ..plans import PLANS
from .unique import commit_unique

# Active queues (one per active service) per plan across the organization (the plans'
# table, orgs/plans.py).
PLAN_QUEUE_LIMIT = {plan: terms.queues for plan, terms in PLANS.items()}


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
    service.target_wait_minutes = data.get("target_wait_minutes") or 15
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
    commit_unique(PrefixTaken(_l("Cette lettre est déjà utilisée dans l'agence.")))
    _service_changed(service)
    return service


def update_service(service: Service, **data) -> None:
    if data.get("is_active", True) and not service.is_active:
        _check_queue_room(service.branch.organization_id)
    _apply_service(service, data)
    commit_unique(PrefixTaken(_l("Cette lettre est déjà utilisée dans l'agence.")))
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
