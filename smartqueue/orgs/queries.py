"""Reads of the organizations domain (eager-loading what the pages show)."""

import functools
import math
import re
import unicodedata
from datetime import datetime, time
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, func, select, text, union_all
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..accounts.secrets import keyed_hash
from ..extensions import db
from ..models import (
    Branch,
    Commune,
    Counter,
    CounterStatus,
    Department,
    Invitation,
    Membership,
    Organization,
    QueueStatus,
    Region,
    Service,
    Ticket,
    TicketStatus,
    User,
    counter_services,
    utcnow,
)
from ..queueing import rules
from ..queueing.queries import COUNT_CAP, WAITING, WaitEstimate, wait_range
from ..queueing.rules import MIDNIGHT, BranchState, Span
from ..travel import Place, TravelMode, Trip, estimate_trip
from ..travel.estimator import haversine_km

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


# --- near a position: the branch finder's "Près de moi" and "Depuis ma commune" ------------

# Pikine to Plateau is 10 km as the crow flies: 15 km holds a Dakar customer's whole
# choice (a farther branch wins only against a line of hours; the organization search
# looks further, see ORGANIZATION_RADIUS_KM).
NEAR_RADIUS_KM = 15.0
ORGANIZATION_RADIUS_KM = 60.0  # one organization's branches: few, so look further
# On a phone, ten choices sorted by total time are plenty (and half the page of twenty).
NEAR_LIMIT = 10
RECENT_SERVED = 20  # as queueing.queries.mean_service_minutes
KM_PER_DEGREE_LATITUDE = 111.2


class ServiceWait(NamedTuple):
    """One service of a nearby branch: its line now and the total time to be served."""

    service: Service
    waiting: int
    estimate: WaitEstimate
    total_minutes: int  # travel + the expected wait
    is_serving: bool  # its queue is active and a counter open for it
    is_fastest: bool  # the quickest of its organization's branches found for it


class NearBranch(NamedTuple):
    """A branch near the customer, with the trip there and its services' lines."""

    branch: Branch
    state: BranchState
    distance_km: float  # straight line
    trip: Trip
    services: list[ServiceWait]  # open lines first, quickest first

    @property
    def total_minutes(self) -> int | None:
        """The quickest line's total, None when none can be queued in now."""
        return self.services[0].total_minutes if self.can_queue else None

    @property
    def can_queue(self) -> bool:
        return self.state.open and bool(self.services) and self.services[0].is_serving


def _bounding_box(lat: float, lon: float, radius_km: float):
    """Latitudes and longitudes that hold every point within radius_km (a little more
    at the corners, which the exact distance drops)."""
    dlat = radius_km / KM_PER_DEGREE_LATITUDE
    # A degree of longitude shrinks with the cosine of the latitude; Senegal is near the
    # equator, but the floor keeps a position typed near a pole from dividing by ~0.
    dlon = radius_km / (KM_PER_DEGREE_LATITUDE * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def branches_near(
    lat: float,
    lon: float,
    *,
    radius_km: float = NEAR_RADIUS_KM,
    limit: int = NEAR_LIMIT,
    service_name: str | None = None,
    organization_id: int | None = None,
) -> list[tuple[Branch, float]]:
    """Active branches of active organizations within radius_km of a point, nearest
    first, each with its straight-line distance; optionally of one organization and
    offering a service of that French name. A box of latitudes and longitudes first
    (ix_branch_position), then the exact distance of the few inside, in Python."""
    south, north, west, east = _bounding_box(lat, lon, radius_km)
    query = (
        select(Branch.id, Branch.latitude, Branch.longitude)
        .join(Branch.organization)
        .where(
            Branch.latitude.between(south, north),
            Branch.longitude.between(west, east),
            Branch.is_active.is_(True),
            Organization.is_active.is_(True),
        )
    )
    if organization_id is not None:
        query = query.where(Branch.organization_id == organization_id)
    if service_name is not None:
        query = query.where(
            select(Service.id)
            .where(
                Service.branch_id == Branch.id,
                Service.name_fr == service_name,
                Service.is_active.is_(True),
            )
            .exists()
        )
    here = Place(lat, lon)
    distances = sorted(
        (haversine_km(here, Place(b_lat, b_lon)), branch_id)
        for branch_id, b_lat, b_lon in db.session.execute(query)
    )
    nearest = [(i, km) for km, i in distances if km <= radius_km][:limit]
    branches = {
        b.id: b
        for b in db.session.scalars(
            select(Branch)
            .where(Branch.id.in_([i for i, _ in nearest]))
            .options(
                joinedload(Branch.organization),
                joinedload(Branch.commune),
                selectinload(Branch.services).joinedload(Service.queue),
            )
        )
    }
    return [(branches[i], km) for i, km in nearest]


def _queue_open(service: Service) -> bool:
    return service.queue is None or service.queue.status is QueueStatus.ACTIVE


def _walk_in(service: Service) -> bool:
    """A line one can join now: not appointments only."""
    return service.is_active and not service.requires_appointment


def _count_waiting(service_ids: list[int]) -> dict[int, int]:
    """How many wait in each line, shown like queueing's count_waiting (COUNT_CAP + 1
    stands for "more than COUNT_CAP"), in one grouped read of the waiting lines' index.

    count_waiting's UNION of one capped count a service suits the screens, which redraw
    a branch's few lines after every move; for the finder's 20 branches, PostgreSQL
    spent 13 ms planning its 50-odd arms for under 1 ms of reading. A search is made
    once, not after every move, so an uncapped count is affordable here."""
    if not service_ids:
        return {}
    rows = db.session.execute(
        select(Ticket.service_id, func.count())
        .where(Ticket.service_id.in_(service_ids), Ticket.status == WAITING)
        .group_by(Ticket.service_id)
    )
    return {service_id: min(n, COUNT_CAP + 1) for service_id, n in rows}


def _padded(service_ids: list[int]) -> list[int]:
    """The ids, padded with 0 (no service) to a multiple of 8: SQLite's UNION of recent
    means is built and compiled once per length (~25 ms each, which a search would
    otherwise pay for each new number of services it meets): ten lengths up to
    NEAR_LIMIT x 4."""
    return service_ids + [0] * (-len(service_ids) % 8)


def _recent_served_means(service_ids: list[int]) -> dict[int, float]:
    """Each service's mean of its last RECENT_SERVED service times (minutes), for those
    that have served someone: one statement, a UNION ALL of one short read a service
    (what queueing's mean_service_minutes reads for one)."""
    if not service_ids:
        return {}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(_RECENT_SERVED_LATERAL, {"ids": service_ids})
    else:
        service_ids = _padded(service_ids)
        statement = _recent_served_statement(len(service_ids))
        params = {f"s{n}": service_id for n, service_id in enumerate(service_ids)}
        rows = db.session.execute(statement, params)
    seconds: dict[int, list[float]] = {}
    for service_id, start, done in rows:
        seconds.setdefault(service_id, []).append((done - start).total_seconds())
    return {i: max(sum(s) / len(s) / 60, 0.5) for i, s in seconds.items()}


# PostgreSQL plans a UNION of 50 arms in ~10 ms (it runs in under 1): one lateral read
# a service, over the array of ids, is a single small plan whatever their number.
_RECENT_SERVED_LATERAL = text(
    f"""
    SELECT line.id, recent.serving_at, recent.finished_at
    FROM unnest(CAST(:ids AS integer[])) AS line(id)
    CROSS JOIN LATERAL (
        SELECT ticket.serving_at, ticket.finished_at FROM ticket
        WHERE ticket.service_id = line.id AND ticket.status = 'served'
          AND ticket.serving_at IS NOT NULL
        ORDER BY ticket.finished_at DESC
        LIMIT {RECENT_SERVED}
    ) AS recent
    """
)


@functools.cache
def _recent_served_statement(services: int):
    """Built once per number of services, as queueing's per-service counts are: building
    a UNION of 80 arms cost more than running it."""
    parts = []
    for n in range(services):
        recent = (
            select(Ticket.service_id, Ticket.serving_at, Ticket.finished_at)
            .where(
                Ticket.service_id == bindparam(f"s{n}", type_=Integer),
                Ticket.status == TicketStatus.SERVED,
                Ticket.serving_at.is_not(None),
            )
            .order_by(Ticket.finished_at.desc())
            .limit(RECENT_SERVED)
            .subquery()
        )
        parts.append(select(recent))  # wrapped: SQLite allows no LIMIT in a UNION's arm
    return union_all(*parts)


def _open_counters(branch_ids: list[int], service_ids: list[int]) -> dict[int, int]:
    """How many open counters handle each service (one grouped read). Reached from the
    branches' counters (counter.branch_id's index, then counter_service's key, which
    starts with counter_id): counter_service has no index by service, and starting
    from the services read the whole link table (44 ms at 5 000 branches)."""
    if not service_ids:
        return {}
    return dict(
        db.session.execute(
            select(counter_services.c.service_id, func.count())
            .select_from(Counter)
            .join(counter_services, counter_services.c.counter_id == Counter.id)
            .where(
                Counter.branch_id.in_(branch_ids),
                Counter.status == CounterStatus.OPEN,
                counter_services.c.service_id.in_(service_ids),
            )
            .group_by(counter_services.c.service_id)
        ).all()
    )


def find_fastest(
    origin: Place,
    mode: TravelMode,
    *,
    service_name: str | None = None,
    organization_id: int | None = None,
    moment: datetime | None = None,
    limit: int = NEAR_LIMIT,
) -> list[NearBranch]:
    """Branches near `origin` sorted by the total time to be served: the trip by `mode`
    (the embedded estimator: no network in a request) plus the expected wait, for each
    walk-in service or the one named; the quickest branch of each organization for a
    service pointed out. Branches that serve none of them now (closed, lines paused or
    no counter open for them) come after, nearest first. Eight reads whatever
    the number of branches."""
    moment = moment or clock.now()
    radius = NEAR_RADIUS_KM if organization_id is None else ORGANIZATION_RADIUS_KM
    found = branches_near(
        origin.lat,
        origin.lon,
        radius_km=radius,
        limit=limit,
        service_name=service_name,
        organization_id=organization_id,
    )
    lines = {
        b.id: [
            s
            for s in b.services
            if _walk_in(s) and (service_name is None or s.name_fr == service_name)
        ]
        for b, _km in found
    }
    ids = [s.id for services in lines.values() for s in services]
    waiting = _count_waiting(ids)
    # An empty line waits 0 whatever its pace: only the others' recent means are read.
    means = _recent_served_means([i for i in ids if waiting.get(i)])
    counters = _open_counters([b.id for b, _km in found], ids)
    states = rules.branch_states([b.id for b, _km in found], moment)
    results = []
    for branch, km in found:
        destination = Place(
            branch.latitude,
            branch.longitude,
            branch.commune.traffic_factor if branch.commune else None,
        )
        trip = estimate_trip(origin, destination, mode, moment)
        services = []
        for s in lines[branch.id]:
            mean = means.get(s.id, float(s.estimated_minutes))
            estimate = wait_range(waiting.get(s.id, 0), mean, counters.get(s.id, 0))
            total = trip.minutes + estimate.minutes
            # No open counter: nobody serves it now, whatever its line (0 min or not).
            serving = _queue_open(s) and counters.get(s.id, 0) > 0
            services.append(
                ServiceWait(s, waiting.get(s.id, 0), estimate, total, serving, False)
            )
        services.sort(key=lambda w: (not w.is_serving, w.total_minutes))
        results.append(NearBranch(branch, states[branch.id], km, trip, services))
    results.sort(
        key=lambda r: (
            not r.can_queue,
            r.total_minutes if r.can_queue else 0,
            r.distance_km,
        )
    )
    return _point_out_fastest(results)


def _point_out_fastest(results: list[NearBranch]) -> list[NearBranch]:
    """Mark, for each organization and service name found at two branches or more, the
    branch where it is served soonest (among those one can queue at now)."""
    best: dict[tuple[int, str], tuple[int, int]] = {}  # -> (total, branch id)
    seen: dict[tuple[int, str], int] = {}
    for r in results:
        if not r.state.open:
            continue
        for w in r.services:
            if not w.is_serving:
                continue
            key = (r.branch.organization_id, w.service.name_fr)
            seen[key] = seen.get(key, 0) + 1
            if key not in best or w.total_minutes < best[key][0]:
                best[key] = (w.total_minutes, r.branch.id)
    winners = {key: branch for key, (_t, branch) in best.items() if seen[key] > 1}
    return [
        r._replace(
            services=[
                w._replace(
                    is_fastest=winners.get(
                        (r.branch.organization_id, w.service.name_fr)
                    )
                    == r.branch.id
                )
                for w in r.services
            ]
        )
        for r in results
    ]


def get_finder_service(service_id: int) -> Service | None:
    """A walk-in service customers may see, with its branch and organization: the
    finder looks for the quickest branch of that organization offering it."""
    return db.session.scalar(
        select(Service)
        .join(Service.branch)
        .join(Branch.organization)
        .where(
            Service.id == service_id,
            Service.is_active.is_(True),
            Service.requires_appointment.is_(False),
            Branch.is_active.is_(True),
            Organization.is_active.is_(True),
        )
        .options(joinedload(Service.branch).joinedload(Branch.organization))
    )


def list_finder_origins() -> list[tuple[str, list[tuple[str, str]]]]:
    """Where a customer may say they start from, grouped for a select: Dakar's communes
    (the reference data has them there only), then each other region's departments.
    Values read "c<commune id>" or "d<department id>" (see get_finder_origin)."""
    communes = db.session.execute(
        select(Commune.id, Commune.name, Region.name)
        .join(Department, Commune.department_id == Department.id)
        .join(Region, Department.region_id == Region.id)
    ).all()
    departments = db.session.execute(
        select(Department.id, Department.name, Region.name)
        .join(Region, Department.region_id == Region.id)
        .where(
            ~select(Commune.id).where(Commune.department_id == Department.id).exists()
        )
    ).all()
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind, rows in (("c", communes), ("d", departments)):
        for place_id, name, region in rows:
            groups.setdefault(region, []).append((f"{kind}{place_id}", name))
    return [
        (region, sorted(places, key=lambda p: fold(p[1])))
        for region, places in sorted(groups.items(), key=lambda g: fold(g[0]))
    ]


def get_finder_origin(value: str) -> tuple[str, Place] | None:
    """The name and reference position of "c<commune id>" or "d<department id>"."""
    match = re.fullmatch(r"([cd])(\d{1,9})", value or "")
    if match is None:
        return None
    model = Commune if match[1] == "c" else Department
    place = db.session.get(model, int(match[2]))
    if place is None:
        return None
    local = place.traffic_factor if model is Commune else None
    return place.name, Place(place.latitude, place.longitude, local)
