"""Fixtures: real PostgreSQL, Redis and SMTP for the run; an app per test on SQLite or PostgreSQL."""

import os
import tempfile
import threading
import time as time_module
from datetime import datetime, time, timedelta, timezone
from itertools import count
from pathlib import Path

# Before config.py is imported: keep the test run away from the developer's instance/.
os.environ.setdefault("SMARTQUEUE_INSTANCE", tempfile.mkdtemp(prefix="sq-instance-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key")
for _var in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER"):
    os.environ.pop(_var, None)

import pytest
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from smartqueue import clock, create_app
from smartqueue.extensions import db as _db
from tests.mailbox import start_mailbox
from tests.scenarios import make_hall  # noqa: F401  (a fixture for every test)
from tests.services import PostgresServer, RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_TABLES = {"region", "department", "commune", "alembic_version"}
# Domain packages run on both databases; web and browser tests on SQLite, the embedded default.
BOTH_BACKENDS = (
    "tests/accounts",
    "tests/orgs",
    "tests/geo",
    "tests/queueing",
    "tests/appointments",
)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        if marker:
            backends = list(marker.args)
        elif metafunc.definition.get_closest_marker("production"):
            backends = ["postgresql"]
        else:
            path = str(Path(metafunc.definition.fspath).relative_to(ROOT))
            backends = (
                ["sqlite", "postgresql"]
                if path.startswith(BOTH_BACKENDS)
                else ["sqlite"]
            )
        metafunc.parametrize("backend", backends, scope="session")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): databases a test runs on")
    config.addinivalue_line(
        "markers", "production: PostgreSQL and a flushed private Redis (REDIS_URL set)"
    )


# --- services ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url():
    """A private PostgreSQL server for the run (or TEST_DATABASE_URL)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        return
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url():
    """A private Redis server for the run (or TEST_REDIS_URL)."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def smtp_sink():
    """A real SMTP server for the whole run."""
    box, controller = start_mailbox(free_port())
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def mailbox(smtp_sink):
    """The SMTP sink, emptied for this test."""
    smtp_sink.clear()
    return smtp_sink


# --- databases ----------------------------------------------------------------------------


def _migrate_and_seed(url: str) -> None:
    from flask_migrate import upgrade

    from smartqueue.geo.operations import seed_reference

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        seed_reference()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory, request):
    """Schema built by the real migrations, reference data loaded, once per backend."""
    made: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
            else:
                base = request.getfixturevalue("postgres_url")
                # One database per xdist worker (they share a TEST_DATABASE_URL server).
                name = "smartqueue_test" + os.environ.get("PYTEST_XDIST_WORKER", "")
                url = base.rsplit("/", 1)[0] + "/" + name
                admin = create_engine(base, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
                    conn.execute(text(f"CREATE DATABASE {name}"))
                admin.dispose()
            _migrate_and_seed(url)
            made[backend] = url
        return made[backend]

    return get


def _empty_tables(app) -> None:
    with app.app_context():
        tables = [
            t
            for t in reversed(_db.metadata.sorted_tables)
            if t.name not in REFERENCE_TABLES
        ]
        for attempt in range(3):
            try:
                _empty(tables)
                break
            except OperationalError as error:
                # A server the test stopped may still be ending a statement: TRUNCATE's
                # exclusive locks can deadlock with it, and PostgreSQL picks TRUNCATE.
                if "deadlock" not in str(error) or attempt == 2:
                    raise
                time_module.sleep(0.5)
        _db.session.remove()


def _empty(tables) -> None:
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        # The reference data stays, as seeded: a test may have set a region's weather.
        conn.execute(text("UPDATE region SET weather_factor = 1.0"))
        _db.engine.dispose()


@pytest.fixture
def backend():
    """Overridden by pytest_generate_tests: 'sqlite' or 'postgresql'."""
    return "sqlite"


@pytest.fixture
def app_config(request, database_urls, backend, smtp_sink):
    """Configuration of a test app; tests may change it before asking for `app`.
    A test marked `production` gets the production mode: REDIS_URL, on an empty Redis."""
    redis_url = None
    if request.node.get_closest_marker("production"):
        redis_url = request.getfixturevalue("redis_url")
        Redis.from_url(redis_url).flushdb()
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_urls(backend),
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_sink.port,
        "MAIL_SUPPRESS_SEND": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ANALYTICS_TODAY_SECONDS": 0,  # a test's moves show at once (one test keeps it)
        "SERVER_NAME": "localhost",
        "EMBEDDED_SCHEDULER": False,  # tests run periodic jobs themselves
        "PASSWORD_HASH_PROFILE": "CHEAPEST",  # still Argon2id; production strength is tested apart
    }


@pytest.fixture
def app(app_config):
    """A fresh app on a database emptied after the test (reference data kept)."""
    application = create_app(app_config)
    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        _db.session.remove()
        ctx.pop()
        _empty_tables(application)


@pytest.fixture
def db(app):
    """The SQLAlchemy handle, inside the test's app context."""
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


# --- time ---------------------------------------------------------------------------------

TUESDAY_10H = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # Dakar is UTC+0


class Clock:
    """The frozen clock of a test: `tick(minutes=5)` moves it on, `set(moment)` jumps."""

    def __init__(self, start):
        self.now = start
        clock.freeze(start)

    def tick(self, **delta):
        self.now += timedelta(**delta)
        clock.freeze(self.now)
        return self.now

    def set(self, moment):
        self.now = moment
        clock.freeze(moment)
        return moment


@pytest.fixture
def frozen():
    """The clock stopped on Tuesday 1 December 2026, 10:00 in Dakar (branches open)."""
    c = Clock(TUESDAY_10H)
    yield c
    clock.freeze(None)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """December `day` 2026 at hour:minute:second in Dakar (= UTC); the 1st is a
    Tuesday, the 6th a Sunday."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=timezone.utc)


@pytest.fixture
def agenda(db, frozen, make_branch, make_service, make_counter, make_user):
    """A branch open Mon-Sat 08:00-17:00 whose service A (appointment_first) takes
    appointments Mon-Fri 09:00-12:00, 30-minute slots for 2 people; a walk-in service B,
    an open counter for A, an agent and a customer. The clock is `frozen`."""
    from smartqueue.appointments import planning
    from smartqueue.appointments.slots import SlotSpec
    from smartqueue.models import CounterStatus, Strategy

    class Agenda:
        branch = make_branch()
        service = make_service(branch, "A", strategy=Strategy.APPOINTMENT_FIRST)
        walk_in = make_service(branch, "B", "Dépôt et retrait")
        counter = make_counter(branch, 1, [service])
        agent = make_user(role="agent", branch=branch)
        customer = make_user(full_name="Awa Diop")

    Agenda.service.accepts_appointments = True
    Agenda.counter.status = CounterStatus.OPEN
    _db.session.commit()
    planning.set_slot_templates(
        Agenda.service,
        [SlotSpec(day, time(9), time(12), 30, 2) for day in range(5)],
    )
    return Agenda


# --- factories ----------------------------------------------------------------------------

_seq = count(1)


@pytest.fixture
def make_org(db):
    """Factory: make_org(name=..., type=..., plan=...) -> Organization."""
    from smartqueue.models import Organization, OrganizationType, Plan

    def make(name=None, type=OrganizationType.BANK, plan=Plan.BUSINESS):
        org = Organization(name=name or f"Org {next(_seq)}", type=type, plan=plan)
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_branch(db, make_org):
    """Factory: make_branch(org=None, name=..., commune='Plateau') -> Branch with weekday hours."""
    from datetime import time

    from sqlalchemy import select

    from smartqueue.models import Branch, Commune, OpeningHours

    def make(org=None, name=None, commune="Plateau"):
        org = org or make_org()
        place = db.session.scalar(select(Commune).where(Commune.name == commune))
        branch = Branch(
            organization=org,
            name=name or f"Agence {next(_seq)}",
            address="Rue 1",
            commune=place,
            department_id=place.department_id,
            region_id=place.department.region_id,
            latitude=place.latitude,
            longitude=place.longitude,
        )
        for day in range(6):
            branch.opening_hours.append(
                OpeningHours(weekday=day, opens_at=time(8), closes_at=time(17))
            )
        db.session.add(branch)
        db.session.commit()
        return branch

    return make


@pytest.fixture
def make_service(db):
    """Factory: make_service(branch, prefix='A', ..., strategy=...) -> Service with its queue."""
    from smartqueue.models import Queue, Service, Strategy

    def make(
        branch,
        prefix="A",
        name="Ouverture de compte",
        minutes=10,
        price=0,
        strategy=Strategy.FIFO,
        **queue,
    ):
        service = Service(
            queue=Queue(strategy=strategy, **queue),
            branch_id=branch.id,
            prefix=prefix,
            name_fr=name,
            estimated_minutes=minutes,
            price_fcfa=price,
        )
        db.session.add(service)
        db.session.commit()
        return service

    return make


@pytest.fixture
def make_counter(db):
    """Factory: make_counter(branch, number=1, services=[...]) -> Counter."""
    from smartqueue.models import Counter

    def make(branch, number=1, services=()):
        counter = Counter(branch_id=branch.id, number=number, services=list(services))
        db.session.add(counter)
        db.session.commit()
        return counter

    return make


PASSWORD = "correct-horse-42"


@pytest.fixture
def make_user(db):
    """Factory: make_user(role=None|'agent'|'branch_manager'|'org_admin'|'platform_admin', org, branch)."""
    from smartqueue.accounts.secrets import hash_password
    from smartqueue.models import Membership, Role, User, utcnow

    def make(
        email=None,
        role=None,
        org=None,
        branch=None,
        verified=True,
        password=PASSWORD,
        locale="fr",
        **fields,
    ):
        user = User(
            email=email or f"user{next(_seq)}@example.sn",
            password_hash=hash_password(password),
            email_verified_at=utcnow() if verified else None,
            locale=locale,
            is_platform_admin=role == "platform_admin",
            **fields,
        )
        db.session.add(user)
        if role in ("agent", "branch_manager", "org_admin"):
            org = org or (branch.organization if branch else None)
            user.memberships.append(
                Membership(
                    organization_id=org.id,
                    role=Role(role),
                    branch_id=branch.id if branch else None,
                )
            )
        db.session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user, password=PASSWORD):
        response = self.client.post(
            "/auth/login", data={"email": user.email, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """auth.login(user) signs the test client in through the real login form."""
    return AuthActions(client)


# --- a real server for the browser ---------------------------------------------------------


@pytest.fixture
def live_server(app_config, app):
    """The app served over HTTP by a threaded Werkzeug server (HTTP and websockets), CSRF on."""
    config = dict(app_config, WTF_CSRF_ENABLED=True, SERVER_NAME=None)
    served = create_app(config)
    port = free_port()
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{port}"
    yield served
    server.shutdown()
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def screenshots_dir():
    """Where the browser tests leave screenshots to be looked at."""
    path = ROOT / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set to French (Senegal), as most of our users' phones are."""
    return {**browser_context_args, "locale": "fr-SN", "timezone_id": "Africa/Dakar"}
