"""Counters: add, edit or remove a branch's numbered counters and the services each
handles (a counter with a customer at it is not removed)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import events
from ...errors import DomainError
from ...extensions import db
from ...models import Branch, Counter, CounterStatus, Service
from ...queueing.queries import get_current_ticket
from ...work import begin_write
from ..errors import CounterBusy, CounterNumberTaken
from .unique import commit_unique


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
    commit_unique(CounterNumberTaken(_l("Le guichet %(n)s existe déjà.", n=number)))
    _counter_changed(counter.branch_id, counter.id)
    return counter


def update_counter(
    counter: Counter, number: int, name: str | None, service_ids: list[int]
) -> None:
    _apply_counter(counter, number, name, service_ids)
    commit_unique(CounterNumberTaken(_l("Le guichet %(n)s existe déjà.", n=number)))
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
