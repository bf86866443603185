"""Demo data for someone trying SmartQueue: three organizations and a login for every role."""

from datetime import time, timedelta

from sqlalchemy import select

from . import clock
from .accounts.secrets import hash_password, keyed_hash
from .extensions import db
from .models import (
    AppointmentSettings,
    Branch,
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
    Queue,
    QueueType,
    Role,
    Service,
    SlotTemplate,
    User,
    utcnow,
)
from .payments import invoices

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


def _user(email: str, name: str, **extra) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            full_name=name,
            password_hash=hash_password(PASSWORD),
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


def seed_demo() -> None:
    """Create the demo organizations and logins unless they exist (safe to run twice)."""
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
