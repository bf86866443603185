"""Demo data for someone trying SmartQueue: three organizations and a login for every role,
and five weeks of their past, so that the analytics pages show real charts at once."""

import calendar
import random
import secrets
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from types import SimpleNamespace

from sqlalchemy import bindparam, select

from . import clock
from .accounts.secrets import hash_password, keyed_hash
from .analytics import rollups
from .extensions import db
from .models import (
    Appointment,
    AppointmentSettings,
    AppointmentStatus,
    Branch,
    Channel,
    Commune,
    Counter,
    CounterStatus,
    Device,
    DeviceKind,
    Membership,
    OpeningHours,
    Organization,
    OrganizationType,
    Plan,
    Priority,
    Queue,
    QueueType,
    Role,
    Service,
    SlotTemplate,
    Ticket,
    TicketRating,
    TicketStatus,
    User,
    utcnow,
)
from .payments import invoices
from .queueing.queries import wait_range

# The demo's paying line (payments/fees.py: a VIP ticket costs 1 000 FCFA).
VIP = ("V", "Clients privilège", "Kiliyaan VIP", "Priority clients", 10)

SINCE = timedelta(days=60)

PASSWORD = "demo-sq-2026"
DEMO_LOGINS = {
    "password": PASSWORD,
    "accounts": [
        ("customer", "client@demo.sn"),
        ("agent", "agent@demo.sn"),
        ("branch manager", "manager@demo.sn"),
        ("org admin", "admin@demo.sn"),
        ("platform admin", "platform@demo.sn"),
    ],
}

# (organization, type, plan, [(branch, commune, address)],
#  [(prefix, French name, Wolof name, English name, minutes, price)])
ORGANIZATIONS = [
    (
        "Banque Teranga",
        OrganizationType.BANK,
        Plan.BUSINESS,
        [
            ("Agence Plateau", "Plateau", "12 avenue Léopold Sédar Senghor"),
            (
                "Agence Parcelles Assainies",
                "Parcelles Assainies",
                "Unité 15, près du marché",
            ),
            ("Agence Pikine", "Pikine Est", "Route des Niayes, Pikine"),
        ],
        [
            ("A", "Ouverture de compte", "Ubbi kont", "Account opening", 20, 0),
            (
                "B",
                "Dépôt et retrait",
                "Dugal ak génne xaalis",
                "Deposits and withdrawals",
                5,
                0,
            ),
            ("C", "Crédit et prêts", "Leb xaalis ak crédit", "Credit and loans", 30, 0),
            ("D", "Cartes bancaires", "Kàrtu bànk", "Bank cards", 10, 2000),
        ],
    ),
    (
        "Hôpital Régional de Dakar",
        OrganizationType.HOSPITAL,
        Plan.STARTER,
        [
            ("Site de Fann", "Fann-Point E-Amitié", "Avenue Cheikh Anta Diop"),
        ],
        [
            (
                "A",
                "Consultation générale",
                "Gis doktoor",
                "General consultation",
                15,
                3000,
            ),
            ("B", "Cardiologie", "Fajub xol", "Cardiology", 25, 10000),
            ("C", "Pédiatrie", "Fajub xale yi", "Paediatrics", 20, 5000),
            (
                "L",
                "Laboratoire d'analyses",
                "Laboratwaar (saytu deret)",
                "Laboratory tests",
                10,
                0,
            ),
        ],
    ),
    (
        "Préfecture de Guédiawaye",
        OrganizationType.GOVERNMENT,
        Plan.STARTER,
        [
            ("Préfecture", "Golf Sud", "Boulevard de la Préfecture, Guédiawaye"),
        ],
        [
            (
                "A",
                "Carte nationale d'identité",
                "Kàrt identité (CNI)",
                "National identity card",
                15,
                0,
            ),
            ("B", "Passeport", "Paaspoor", "Passport", 20, 0),
            (
                "C",
                "Légalisation de documents",
                "Dëggal ay kayit (légalisation)",
                "Document certification",
                5,
                0,
            ),
        ],
    ),
]

STAFF = [  # (email, name, organization, role, branch or None)
    ("agent@demo.sn", "Moussa Diop", "Banque Teranga", Role.AGENT, "Agence Plateau"),
    (
        "manager@demo.sn",
        "Fatou Sarr",
        "Banque Teranga",
        Role.BRANCH_MANAGER,
        "Agence Plateau",
    ),
    ("admin@demo.sn", "Ibrahima Fall", "Banque Teranga", Role.ORG_ADMIN, None),
    (
        "agent.hopital@demo.sn",
        "Aminata Ba",
        "Hôpital Régional de Dakar",
        Role.AGENT,
        "Site de Fann",
    ),
    (
        "admin.hopital@demo.sn",
        "Dr Cheikh Ndiaye",
        "Hôpital Régional de Dakar",
        Role.ORG_ADMIN,
        None,
    ),
    (
        "agent.prefecture@demo.sn",
        "Ousmane Sy",
        "Préfecture de Guédiawaye",
        Role.AGENT,
        "Préfecture",
    ),
    (
        "admin.prefecture@demo.sn",
        "Mariama Cissé",
        "Préfecture de Guédiawaye",
        Role.ORG_ADMIN,
        None,
    ),
]


@cache
def _password_hash() -> str:
    """The demo password's hash, made once: a hash takes a second on purpose, and every
    demo login has the same (published) password."""
    return hash_password(PASSWORD)


def _user(email: str, name: str, **extra) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            full_name=name,
            password_hash=_password_hash(),
            email_verified_at=utcnow(),
            **extra,
        )
        db.session.add(user)
        db.session.flush()
    return user


# The branch whose board, kiosk and counter links `flask seed-demo` and the README print:
# open 24 h/24, 7 days, so that the demo can be tried whenever someone tries it. The
# other branches keep office hours (and show "Fermé · ouvre ..." out of them).
ALWAYS_OPEN = "Agence Plateau"


def _always_open() -> None:
    """Give the always-open branch its hours, also in a demo database seeded before."""
    branch = db.session.scalar(select(Branch).where(Branch.name == ALWAYS_OPEN))
    if (
        all(h.around_the_clock for h in branch.opening_hours)
        and len(branch.opening_hours) == 7
    ):
        return
    branch.opening_hours.clear()
    db.session.flush()
    for weekday in range(7):
        branch.opening_hours.append(
            OpeningHours(weekday=weekday, opens_at=time(0), closes_at=time(0))
        )


def _service_names() -> None:
    """Give the demo services their Wolof and English names, also in a demo database
    seeded before they had them; a name a manager has written since is kept."""
    names = {
        (org_name, prefix, name): (name_wo, name_en)
        for org_name, _type, _plan, _branches, services in ORGANIZATIONS
        for prefix, name, name_wo, name_en, _minutes, _price in services
    }
    names[("Banque Teranga", VIP[0], VIP[1])] = VIP[2:4]
    rows = db.session.execute(
        select(Service, Organization.name)
        .join(Branch, Service.branch_id == Branch.id)
        .join(Organization, Branch.organization_id == Organization.id)
        .where(Organization.name.in_([org[0] for org in ORGANIZATIONS]))
    )
    for service, org_name in rows:
        found = names.get((org_name, service.prefix, service.name_fr))
        if found is None:  # renamed or added by a manager: not a demo service any more
            continue
        service.name_wo = service.name_wo or found[0]
        service.name_en = service.name_en or found[1]


# Where the demo branches stand (at their addresses, not their communes' centres), so
# that the finder's "near me" has real distances between them to weigh: Plateau, Fann,
# the Parcelles, Pikine and Guédiawaye are 3 to 12 km apart.
POSITIONS = {
    ("Banque Teranga", "Agence Plateau"): (14.6690, -17.4318),
    ("Banque Teranga", "Agence Parcelles Assainies"): (14.7665, -17.4383),
    ("Banque Teranga", "Agence Pikine"): (14.7558, -17.3905),
    ("Hôpital Régional de Dakar", "Site de Fann"): (14.6905, -17.4640),
    ("Préfecture de Guédiawaye", "Préfecture"): (14.7730, -17.3960),
}


def _demo_positions() -> None:
    """Give the demo branches their positions, also in a demo database seeded before
    (which put them at their communes' centres); a position a manager set is kept."""
    rows = db.session.execute(
        select(Branch, Organization.name, Commune.latitude, Commune.longitude)
        .join(Organization, Branch.organization_id == Organization.id)
        .join(Commune, Branch.commune_id == Commune.id)
    )
    for branch, org_name, lat, lon in rows:
        position = POSITIONS.get((org_name, branch.name))
        if position and (branch.latitude, branch.longitude) == (lat, lon):
            branch.latitude, branch.longitude = position


def _branch(org: Organization, name: str, commune_name: str, address: str) -> Branch:
    commune = db.session.scalar(select(Commune).where(Commune.name == commune_name))
    if commune is None:
        raise RuntimeError(
            f"commune {commune_name!r} missing: run `flask seed-reference` first"
        )
    branch = Branch(
        organization=org,
        name=name,
        address=address,
        commune=commune,
        department_id=commune.department_id,
        region_id=commune.department.region_id,
        latitude=commune.latitude,
        longitude=commune.longitude,
        phone="+221338000000",
    )
    for weekday in range(5):
        branch.opening_hours.append(
            OpeningHours(weekday=weekday, opens_at=time(8), closes_at=time(17))
        )
    branch.opening_hours.append(
        OpeningHours(weekday=5, opens_at=time(9), closes_at=time(13))
    )
    return branch


# Appointment slots of the demo services that take appointments (weekday mornings and
# afternoons, inside the branch's 08:00-17:00), so that booking can be tried at once.
DEMO_SLOTS = [(time(9), time(12)), (time(14), time(16, 30))]


def _demo_slots(branch: Branch, service: Service) -> None:
    for weekday in range(5):
        for start, end in DEMO_SLOTS:
            db.session.add(
                SlotTemplate(
                    branch_id=branch.id,
                    service=service,
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    slot_minutes=30,
                    capacity=2,
                )
            )


def seed_demo(history: bool = False) -> None:
    """Create the demo organizations and logins unless they exist (safe to run twice);
    with `history`, their past five weeks too (`flask seed-demo`), unless they have a
    past already."""
    _user("client@demo.sn", "Awa Ndiaye", phone="+221771234567")
    _user("platform@demo.sn", "Admin SmartQueue", is_platform_admin=True)
    for org_name, org_type, plan, branches, services in ORGANIZATIONS:
        if db.session.scalar(
            select(Organization.id).where(Organization.name == org_name)
        ):
            continue
        # Customers for a while already: last month is theirs to be billed for.
        org = Organization(
            name=org_name, type=org_type, plan=plan, created_at=utcnow() - SINCE
        )
        db.session.add(org)
        for branch_name, commune_name, address in branches:
            branch = _branch(org, branch_name, commune_name, address)
            db.session.add(branch)
            db.session.flush()
            made = []
            for prefix, name, name_wo, name_en, minutes, price in services:
                service = Service(
                    queue=Queue(),
                    branch_id=branch.id,
                    prefix=prefix,
                    name_fr=name,
                    name_wo=name_wo,
                    name_en=name_en,
                    estimated_minutes=minutes,
                    price_fcfa=price,
                    accepts_appointments=prefix in ("A", "B"),
                )
                db.session.add(service)
                made.append(service)
                if service.accepts_appointments:
                    _demo_slots(branch, service)
            for number in range(1, len(made) + 1):
                # Counter 1 serves everything; the others specialise.
                served = made if number == 1 else [made[number - 1], made[0]]
                db.session.add(
                    Counter(
                        branch_id=branch.id,
                        number=number,
                        services=served,
                        status=CounterStatus.CLOSED,
                    )
                )
    db.session.flush()
    for email, name, org_name, role, branch_name in STAFF:
        user = _user(email, name)
        org = db.session.scalar(
            select(Organization).where(Organization.name == org_name)
        )
        if user.membership_for(org.id) is not None:
            continue
        branch = next((b for b in org.branches if b.name == branch_name), None)
        db.session.add(
            Membership(
                user=user,
                organization_id=org.id,
                role=role,
                branch_id=branch.id if branch else None,
            )
        )
    _always_open()
    _demo_positions()
    _service_names()
    _demo_devices()
    _demo_payments()
    db.session.commit()
    # Last month's invoices, so that the billing pages have something to show (the
    # generation is idempotent, and its own unit of work).
    invoices.generate_invoices(invoices.month_before(clock.today()))
    if history:
        seed_history()


def _demo_payments() -> None:
    """What there is to pay in the demo (the simulator stands for the providers): a VIP
    line at the always-open branch, served at its counter 1, and a 2 000 FCFA deposit
    for the hospital's general consultations."""
    plateau = db.session.scalar(select(Branch).where(Branch.name == ALWAYS_OPEN))
    if not any(s.prefix == VIP[0] for s in plateau.services):
        prefix, name, name_wo, name_en, minutes = VIP
        vip = Service(
            queue=Queue(type=QueueType.VIP),
            branch_id=plateau.id,
            prefix=prefix,
            name_fr=name,
            name_wo=name_wo,
            name_en=name_en,
            estimated_minutes=minutes,
            price_fcfa=0,
        )
        db.session.add(vip)
        counter = next(c for c in plateau.counters if c.number == 1)
        counter.services.append(vip)
    consultation = db.session.scalar(
        select(Service)
        .join(Branch, Service.branch_id == Branch.id)
        .where(Branch.name == "Site de Fann", Service.prefix == "A")
    )
    if db.session.get(AppointmentSettings, consultation.id) is None:
        db.session.add(
            AppointmentSettings(
                service_id=consultation.id,
                requires_deposit=True,
                deposit_fcfa=2000,
                payment_minutes=60,
            )
        )


# Demo device links use fixed tokens so that `make run` can print them every time; real
# devices get random tokens from the manage area.
DEMO_DEVICES = [
    (DeviceKind.BOARD, "Écran salle d'attente", "demo-board-plateau"),
    (DeviceKind.KIOSK, "Borne d'entrée", "demo-kiosk-plateau"),
]


def _demo_devices() -> None:
    branch = db.session.scalar(select(Branch).where(Branch.name == "Agence Plateau"))
    for kind, name, token in DEMO_DEVICES:
        digest = keyed_hash(token)
        if (
            db.session.scalar(select(Device.id).where(Device.token_hash == digest))
            is None
        ):
            db.session.add(
                Device(branch_id=branch.id, kind=kind, name=name, token_hash=digest)
            )


# --- the demo's past: five weeks of tickets, then their rollups -------------------------

HISTORY_DAYS = 35
# Tickets of an ordinary weekday per service (branch size 1): they keep HISTORY_BUSY of
# the counters' minutes busy (service times from estimated_minutes).
HISTORY_SIZES = {
    "Agence Plateau": 1.2,
    "Agence Parcelles Assainies": 1.0,
    "Agence Pikine": 0.8,
    # Starter plans: 200 tickets a day at most, a month-end Monday included.
    "Site de Fann": 0.85,
    "Préfecture": 0.85,
}
HISTORY_BUSY = 0.6
WEEKDAY_DEMAND = [1.30, 1.05, 1.00, 0.95, 0.90, 0.45]  # Monday .. Saturday
OFFICE_HOURS = [1.55, 1.45, 1.25, 1.05, 0.80, 0.75, 0.85, 0.75, 0.55]  # 08:00-17:00
SATURDAY_HOURS = [1.30, 1.20, 1.00, 0.60]  # 09:00-13:00
CHANNELS = [  # (channel, weight) of the tickets not booked
    (Channel.KIOSK, 50),
    (Channel.MOBILE, 20),
    (Channel.WEB, 10),
    (Channel.SMS, 8),
    (Channel.COUNTER, 7),
    (Channel.PHONE, 5),
]
COMMENTS = {
    1: ["Deux heures d'attente, un seul guichet ouvert.", "Personne ne répondait."],
    2: ["Attente trop longue.", "Yàgg na lool."],
    3: ["Correct, sans plus.", "Ça va."],
    4: ["Bon accueil.", "Jërëjëf, baax na."],
    5: ["Rapide et aimable, merci !", "Excellent service.", "Gaaw na, jërëjëf !"],
}
HISTORY_AGENTS = [
    "Awa Diallo",
    "Mamadou Ndiaye",
    "Khady Sow",
    "Abdoulaye Gueye",
    "Ndeye Fall",
    "Cheikh Mbaye",
    "Aissatou Diouf",
    "Babacar Faye",
    "Seynabou Kane",
    "Modou Thiam",
    "Rokhaya Seck",
    "Pape Sarr",
]


def seed_history() -> None:
    """Five weeks of plausible past tickets for the demo branches (busy Monday mornings
    and month ends, no-shows, cancellations, told waits, ratings, appointments, where
    customers came from), then their rollups; only for a demo without a past."""
    today = clock.today()
    branches = db.session.scalars(
        select(Branch)
        .join(Organization, Branch.organization_id == Organization.id)
        .where(Organization.name.in_([org[0] for org in ORGANIZATIONS]))
        .order_by(Branch.id)
    ).all()
    ids = [branch.id for branch in branches]
    if db.session.scalar(
        select(Ticket.id).where(Ticket.branch_id.in_(ids), Ticket.day < today).limit(1)
    ):
        return
    rng = random.Random(2026)
    communes = _history_communes(branches)
    first = today - timedelta(days=HISTORY_DAYS)
    tickets, appointments = [], []
    for branch in branches:
        agents = _history_agents(branch)
        for offset in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=offset)
            if day.weekday() < 6:
                made, booked = _history_day(branch, day, agents, rng)
                tickets += made
                appointments += booked
    # Core's executemany: the ORM's bulk path is several times slower on SQLite.
    db.session.execute(Ticket.__table__.insert(), tickets)
    _history_extras(first, today, ids, tickets, communes, appointments, rng)
    db.session.commit()
    rollups.rebuild(first, today - timedelta(days=1), ids)


def _history_agents(branch: Branch) -> dict[int, int]:
    """The agent at each counter in the past weeks: the demo's own agent at counter 1
    where the branch has one, colleagues (who may sign in too) at the others."""
    own = sorted(
        m.user_id
        for m in db.session.scalars(
            select(Membership).where(Membership.branch_id == branch.id)
        )
        if m.role is Role.AGENT
    )
    agents = {}
    for counter in sorted(branch.counters, key=lambda c: c.number):
        if counter.number == 1 and own:
            agents[counter.id] = own[0]
            continue
        name = HISTORY_AGENTS[(branch.id * 5 + counter.number) % len(HISTORY_AGENTS)]
        email = f"{name.split()[0].lower()}.b{branch.id}g{counter.number}@demo.sn"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                full_name=name,
                password_hash=_password_hash(),
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.add(
                Membership(
                    user=user,
                    organization_id=branch.organization_id,
                    role=Role.AGENT,
                    branch_id=branch.id,
                )
            )
            db.session.flush()
        agents[counter.id] = user.id
    return agents


def _history_communes(branches) -> list[int]:
    """Communes customers come from: the branches' own and their neighbours'."""
    own = [branch.commune_id for branch in branches if branch.commune_id]
    nearby = db.session.scalars(
        select(Commune.id)
        .where(Commune.department_id.in_({b.department_id for b in branches}))
        .order_by(Commune.id)
    ).all()
    return own + list(nearby)


def _moment(day: date, seconds: float) -> datetime:
    return datetime.combine(day, time(0), timezone.utc) + timedelta(seconds=seconds)


def _demand(day: date) -> float:
    """How busy a day is against an ordinary Wednesday: Mondays, the last three and
    first two working days of a month (salaries)."""
    factor = WEEKDAY_DEMAND[day.weekday()]
    last = calendar.monthrange(day.year, day.month)[1]
    working = [
        d for d in (day.replace(day=n) for n in range(1, last + 1)) if d.weekday() < 5
    ]
    if day in working[-3:]:
        factor *= 1.35
    elif day in working[:2]:
        factor *= 1.15
    return factor


def _arrivals(day: date, count: int, rng: random.Random) -> list[float]:
    """`count` arrival times (seconds after midnight) following the day's profile,
    in order: mornings busiest, Monday mornings more so."""
    if day.weekday() == 5:
        opens, weights = 9, list(SATURDAY_HOURS)
    else:
        opens, weights = 8, list(OFFICE_HOURS)
        if day.weekday() == 0:
            weights[:3] = [w * 1.25 for w in weights[:3]]
    total = sum(weights)
    times = []
    for i in range(count):
        u = (i + rng.random()) / count * total  # stratified: in arrival order
        hour = 0
        while u >= weights[hour] and hour < len(weights) - 1:
            u -= weights[hour]
            hour += 1
        times.append((opens + hour + min(u / weights[hour], 0.999)) * 3600)
    return times


def _history_day(branch: Branch, day: date, agents: dict, rng: random.Random):
    """A branch's day: its tickets as rows to insert, and the appointments of those
    who had booked. Each ticket goes to the counter of its service free first."""
    saturday = day.weekday() == 5
    opens, closes = (9 if saturday else 8) * 3600, (13 if saturday else 17) * 3600
    counters = sorted(branch.counters, key=lambda c: c.number)
    services = [s for s in branch.services if s.is_active]
    # Quick services (deposits, laboratory...) draw twice the people, the paying VIP
    # line half; an ordinary
    # weekday fills HISTORY_BUSY of the counters' minutes.
    weights = {
        s.id: 0.5 if s.prefix == VIP[0] else 2 if s.estimated_minutes <= 10 else 1
        for s in services
    }
    minutes = sum(weights[s.id] * s.estimated_minutes for s in services)
    per_weight = len(counters) * 9 * 60 * HISTORY_BUSY / minutes
    demand = _demand(day) * HISTORY_SIZES.get(branch.name, 1.0)
    arrivals = []
    for service in services:
        count = round(per_weight * weights[service.id] * demand * rng.uniform(0.9, 1.1))
        for number, at in enumerate(_arrivals(day, max(count, 1), rng), start=1):
            arrivals.append((at, service, number))
    arrivals.sort(key=lambda a: a[0])
    serving = {s.id: [c for c in counters if s in c.services] for s in services}
    # On a busy day the agents hurry (shorter services), not enough to keep up.
    density = _demand(day) * (9 / 4 if saturday else 1)
    pace = 1 / (1 + 0.4 * max(0.0, density - 1))
    free_at = {c.id: opens for c in counters}
    rows, booked = [], []
    for at, service, number in arrivals:
        counter = min(serving[service.id], key=lambda c: free_at[c.id])
        call = max(at, free_at[counter.id]) + rng.uniform(10, 60)
        told = wait_range(1, (call - at) / 60 * rng.uniform(0.75, 1.25), 1)
        row = {
            "token": secrets.token_urlsafe(24)[:32],
            "branch_id": branch.id,
            "service_id": service.id,
            "day": day,
            "number": number,
            "code": f"{service.prefix}{number:03d}",
            "priority": Priority.NORMAL if rng.random() < 0.9 else Priority.HIGH,
            "channel": rng.choices(*zip(*CHANNELS, strict=True))[0],
            "locale": rng.choices(["fr", "wo", "en"], [70, 25, 5])[0],
            "rank_key": _moment(day, at).timestamp(),
            "arrived_at": _moment(day, at),
            "created_at": _moment(day, at),
            "called_at": None,
            "first_called_at": None,
            "serving_at": None,
            "finished_at": None,
            "counter_id": None,
            "agent_id": None,
            "recall_count": 0,
            "pass_count": 0,
            "appointment_at": None,
            "told_minutes": told.minutes,
            "told_low": told.low,
            "told_high": told.high,
        }
        if service.accepts_appointments and rng.random() < 0.1:
            row["channel"] = Channel.WEB
            row["appointment_at"] = _moment(day, (at // 1800 + 1) * 1800)
            booked.append((row["token"], row["appointment_at"]))
        fate = rng.random()
        if fate < 0.06:  # gave up waiting
            row["status"] = TicketStatus.CANCELLED
            row["finished_at"] = _moment(
                day, at + 120 + (call - at) * rng.uniform(0.2, 0.8)
            )
        elif call > closes - 300:  # still waiting at closing: the expiry job's
            row["status"] = TicketStatus.EXPIRED
            row["finished_at"] = _moment(day, closes + 900)
        elif fate < 0.11:  # called three times, never came
            row.update(status=TicketStatus.NO_SHOW, recall_count=3)
            # recalled a minute apart: called_at is the latest call
            row.update(
                called_at=_moment(day, call + 180), finished_at=_moment(day, call + 300)
            )
            free_at[counter.id] = call + 300
        else:
            start = call + rng.uniform(20, 90)
            end = start + service.estimated_minutes * 60 * pace * rng.uniform(0.5, 1.4)
            row.update(status=TicketStatus.SERVED, called_at=_moment(day, call))
            row.update(serving_at=_moment(day, start), finished_at=_moment(day, end))
            free_at[counter.id] = end + rng.uniform(15, 120)
        if row["called_at"] is not None:
            row.update(counter_id=counter.id, agent_id=agents.get(counter.id))
            row["first_called_at"] = _moment(day, call)
        rows.append(row)
    return rows, booked


def _history_extras(first, today, branch_ids, rows, communes, booked, rng) -> None:
    """What the history's tickets (`rows`, as inserted) bring with them: ratings of one
    served in five, the appointments kept and some missed, and where a third of those
    who came with a phone set out from."""
    ids = dict(
        db.session.execute(
            select(Ticket.token, Ticket.id).where(
                Ticket.branch_id.in_(branch_ids),
                Ticket.day.between(first, today - timedelta(days=1)),
            )
        ).all()
    )
    tickets = [SimpleNamespace(**row, id=ids[row["token"]]) for row in rows]
    by_token = {t.token: t for t in tickets}
    ratings, plans, appointments = [], [], []
    for ticket in tickets:
        if ticket.status is TicketStatus.SERVED and rng.random() < 0.2:
            wait_minutes = (ticket.called_at - ticket.arrived_at).total_seconds() / 60
            spread = 0.6 + wait_minutes / 30
            rating = max(1, min(5, 5 - int(rng.expovariate(1) * spread)))
            ratings.append(
                {
                    "ticket_id": ticket.id,
                    "service_id": ticket.service_id,
                    "branch_id": ticket.branch_id,
                    "agent_id": ticket.agent_id,
                    "day": ticket.day,
                    "rating": rating,
                    "comment": rng.choice(COMMENTS[rating])
                    if rng.random() < 0.25
                    else None,
                    "locale": ticket.locale,
                    "created_at": ticket.finished_at + timedelta(minutes=7),
                }
            )
        # A past ticket's trip is erased with it; the commune its holder gave stays.
        if ticket.channel in (Channel.MOBILE, Channel.WEB) and rng.random() < 0.35:
            plans.append({"ticket_id": ticket.id, "commune": rng.choice(communes)})
    for token, slot in booked:
        ticket = by_token[token]
        kept = ticket.status is TicketStatus.SERVED
        for missed in [False] + ([True] if rng.random() < 0.15 else []):
            starts = slot + timedelta(hours=1) if missed else slot
            appointments.append(
                {
                    "number": f"RDV{ticket.day:%Y%m%d}{len(appointments) + 1:05d}",
                    "check_in_token": secrets.token_urlsafe(32),
                    "branch_id": ticket.branch_id,
                    "service_id": ticket.service_id,
                    "day": ticket.day,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=30),
                    "status": AppointmentStatus.NO_SHOW
                    if missed
                    else (
                        AppointmentStatus.COMPLETED
                        if kept
                        else AppointmentStatus.CHECKED_IN
                    ),
                    "locale": ticket.locale,
                    "deposit_fcfa": 0,
                    "created_at": starts - timedelta(days=3),
                    "confirmed_at": starts - timedelta(days=3),
                    "checked_in_at": None if missed else ticket.arrived_at,
                    "finished_at": ticket.finished_at if kept and not missed else None,
                    "ticket_id": None if missed else ticket.id,
                }
            )
    for model, made in ((TicketRating, ratings), (Appointment, appointments)):
        if made:
            db.session.execute(model.__table__.insert(), made)
    if plans:
        tickets = Ticket.__table__
        db.session.execute(
            tickets.update()
            .where(tickets.c.id == bindparam("ticket_id"))
            .values(origin_commune_id=bindparam("commune")),
            plans,
        )
