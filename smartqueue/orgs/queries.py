"""Reads of the organizations domain (eager-loading what the pages show)."""

import functools
import re
import unicodedata
from datetime import datetime, time
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.secrets import keyed_hash
from ..extensions import db
from ..models import (
    Branch,
    Commune,
    Counter,
    Invitation,
    Membership,
    Organization,
    Service,
    User,
    counter_services,
    utcnow,
)
from ..queueing import rules
from ..queueing.rules import MIDNIGHT, BranchState, Span

# The finder folds accents and case in Python, over the candidate rows (three short
# names per active branch, a few thousand in a country): SQLite's lower() folds ASCII
# only, and neither backend strips accents without an extension (PostgreSQL's unaccent
# is a CREATE EXTENSION, i.e. a migration). A stored folded column is the next step if
# branches ever number in the tens of thousands.
FINDER_LIMIT = 50
NAME_MAX_LENGTH = 80
_STATE_BATCH = 500  # "open now" reads hours in batches, stopping once the page is full
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": " ", "'": " "})
_NOT_WORD = re.compile(r"[\W_]+")


# Memoized: the same branch names are folded again at every keystroke.
@functools.lru_cache(maxsize=20_000)
def fold(text: str) -> str:
    """Lower case, no accents, words separated by one space ("L'Hôpital" -> "l hopital")."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", text).strip()


class FoundBranch(NamedTuple):
    """One finder result: the branch and its state now."""

    branch: Branch
    state: BranchState

    @property
    def label(self) -> str:
        """ "Ouvert · ferme à 17:00", "Ouvert · 24 h/24" or "Fermé · ouvre lundi à 08:00"."""
        if not self.state.open:
            return self.state.label
        closes = closing_time(self.branch, self.state.local)
        if closes is None:
            return _l("Ouvert · 24 h/24")
        return _l("Ouvert · ferme à %(time)s", time=closes.strftime("%H:%M"))


class Found(NamedTuple):
    results: list[FoundBranch]
    more: bool  # more branches matched than the page shows


def closing_time(branch: Branch, local: datetime) -> time | None:
    """When a branch open at `local` closes (its opening_hours loaded); None when it
    runs on around the clock. Closure days ahead are not looked at."""
    weekday = local.weekday()
    today = branch.hours_on(weekday)
    yesterday = branch.hours_on((weekday - 1) % 7)
    if yesterday is not None:
        night = Span(yesterday.opens_at, yesterday.closes_at)
        if night.past_midnight and local.time() < night.closes:
            if today is None or today.opens_at > night.closes:
                return night.closes  # last night's shift, then a gap
    if today is None:
        return None
    if Span(today.opens_at, today.closes_at).around_the_clock:
        tomorrow = branch.hours_on((weekday + 1) % 7)
        runs_on = tomorrow is not None and tomorrow.opens_at == MIDNIGHT
        return None if runs_on else MIDNIGHT
    return today.closes_at


def find_branches(
    region_id: int | None = None,
    commune_id: int | None = None,
    name: str | None = None,
    open_now: bool = False,
    limit: int = FINDER_LIMIT,
    moment: datetime | None = None,
) -> Found:
    """Active branches of active organizations, optionally in a region and commune,
    whose branch, organization or commune name holds every word of `name` (accents and
    case aside), optionally only those open at `moment` (now); each with its state."""
    query = (
        select(Branch.id, Branch.name, Organization.name, Commune.name)
        .join(Branch.organization)
        .outerjoin(Branch.commune)
        .where(Branch.is_active.is_(True), Organization.is_active.is_(True))
        .order_by(Organization.name, Branch.name)
    )
    if region_id:
        query = query.where(Branch.region_id == region_id)
    if commune_id:
        query = query.where(Branch.commune_id == commune_id)
    words = fold(name or "").split()
    if not words and not open_now:
        query = query.limit(limit + 1)  # no folding or state to sort out: SQL pages
    ids = [
        row[0]
        for row in db.session.execute(query)
        if all(w in fold(" ".join(filter(None, row[1:]))) for w in words)
    ]
    if open_now:
        states = _open_states(ids, moment, limit + 1)
        ids = [i for i in ids if i in states]
    else:
        states = rules.branch_states(ids[:limit], moment)
    more, ids = len(ids) > limit, ids[:limit]
    branches = {
        b.id: b
        for b in db.session.scalars(
            select(Branch)
            .where(Branch.id.in_(ids))
            .options(
                selectinload(Branch.organization),
                selectinload(Branch.commune),
                selectinload(Branch.services),
                selectinload(Branch.opening_hours),
            )
        )
    }
    return Found([FoundBranch(branches[i], states[i]) for i in ids], more)


def _open_states(ids: list[int], moment, wanted: int) -> dict[int, BranchState]:
    """The states of the first `wanted` open branches among `ids`, in their order."""
    found: dict[int, BranchState] = {}
    for start in range(0, len(ids), _STATE_BATCH):
        batch = ids[start : start + _STATE_BATCH]
        states = rules.branch_states(batch, moment)
        found.update((i, states[i]) for i in batch if states[i].open)
        if len(found) >= wanted:
            break
    return found


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
