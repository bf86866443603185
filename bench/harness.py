"""What the benchmarks share: a throwaway database, an app on it, a branch, statistics.

A benchmark is a script (`.venv/bin/python bench/<name>.py --help`), never a test: it
builds its own database (a SQLite file, or a private PostgreSQL cluster started like the
test suite's), runs the real operations on it, prints its figures, and cleans up.
"""

import atexit
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Before config.py is imported: keep benchmarks away from the developer's instance/ and
# from any production settings in the environment.
os.environ["SMARTQUEUE_INSTANCE"] = tempfile.mkdtemp(prefix="sq-bench-")
atexit.register(shutil.rmtree, os.environ["SMARTQUEUE_INSTANCE"], ignore_errors=True)
os.environ.setdefault("SECRET_KEY", "bench-secret-key")
for _var in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER"):
    os.environ.pop(_var, None)

from sqlalchemy import create_engine, select, text  # noqa: E402

from smartqueue import create_app  # noqa: E402
from smartqueue.extensions import db  # noqa: E402

BACKENDS = ("sqlite", "postgresql")


@contextmanager
def database(backend: str, url: str | None = None):
    """A migrated, seeded, empty database URL for `backend`, removed afterwards.

    `url`: use this PostgreSQL server instead of starting a private one (a database named
    smartqueue_bench is created on it, and dropped at the end).
    """
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="sq-bench-db-")
        target = f"sqlite:///{folder}/bench.db"
        try:
            _migrate_and_seed(target)
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = None
    if url is None:
        from tests.services import PostgresServer

        server = PostgresServer()
        url = server.start()
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    target = url.rsplit("/", 1)[0] + "/smartqueue_bench"
    try:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS smartqueue_bench"))
            conn.execute(text("CREATE DATABASE smartqueue_bench"))
        _migrate_and_seed(target)
        yield target
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS smartqueue_bench WITH (FORCE)"))
        admin.dispose()
        if server is not None:
            server.stop()


def _migrate_and_seed(url: str) -> None:
    import logging

    from flask_migrate import upgrade

    from smartqueue.geo.operations import seed_reference

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' own chatter
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        seed_reference()
        db.session.remove()
        db.engine.dispose()


def make_app(url: str):
    """An app as production runs it, minus mail, Redis and the embedded scheduler."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            "EMBEDDED_SCHEDULER": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        }
    )


@dataclass
class Desk:
    """A branch with its services, counters (open) and one agent per counter."""

    branch: object
    services: list = field(default_factory=list)
    counters: list = field(default_factory=list)
    agents: list = field(default_factory=list)


def make_desk(services, counters, opens=time(8), closes=time(17)) -> Desk:
    """services: [(prefix, name, estimated_minutes, Strategy)]; counters: [[service
    index, ...] per counter]. An ENTERPRISE organization (no daily limit), open every day."""
    from smartqueue.models import (
        Branch,
        Commune,
        Counter,
        CounterStatus,
        OpeningHours,
        Organization,
        OrganizationType,
        Plan,
        Queue,
        Service,
        User,
    )

    org = Organization(
        name="Banque du banc d'essai", type=OrganizationType.BANK, plan=Plan.ENTERPRISE
    )
    place = db.session.scalar(select(Commune).where(Commune.name == "Plateau"))
    branch = Branch(
        organization=org,
        name="Agence Plateau",
        address="Avenue Léopold Sédar Senghor",
        commune=place,
        department_id=place.department_id,
        region_id=place.department.region_id,
        latitude=place.latitude,
        longitude=place.longitude,
    )
    for day in range(7):
        branch.opening_hours.append(
            OpeningHours(weekday=day, opens_at=opens, closes_at=closes)
        )
    desk = Desk(branch=branch)
    for prefix, name, minutes, strategy in services:
        desk.services.append(
            Service(
                branch=branch,
                prefix=prefix,
                name_fr=name,
                estimated_minutes=minutes,
                price_fcfa=0,
                queue=Queue(strategy=strategy),
            )
        )
    for number, handled in enumerate(counters, start=1):
        desk.counters.append(
            Counter(
                branch=branch,
                number=number,
                services=[desk.services[i] for i in handled],
                status=CounterStatus.OPEN,
            )
        )
        desk.agents.append(
            User(email=f"agent{number}@bench.sn", password_hash="!", locale="fr")
        )
    db.session.add_all([org, branch, *desk.services, *desk.counters, *desk.agents])
    db.session.commit()
    return desk


def percentile(values, p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def machine(url: str | None = None) -> dict:
    """Where a figure was measured: cores, CPU, Python, database server, date."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": subprocess.run(
            ["nproc"], capture_output=True, text=True
        ).stdout.strip(),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": platform.platform(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if url:
        engine = create_engine(url)
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                info["database"] = conn.execute(text("SHOW server_version")).scalar()
                info["database"] = "PostgreSQL " + info["database"]
            else:
                info["database"] = (
                    "SQLite " + conn.execute(text("select sqlite_version()")).scalar()
                )
        engine.dispose()
    return info


def print_machine(info: dict) -> None:
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
