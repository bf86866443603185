"""Analytics at scale (issue 12): one organization, 50 branches, a year of history (about
9 million tickets) on PostgreSQL, and what the managers' reads cost on it.

  generate  the organization (50 branches x 5 services x 8 counters and agents, an org
            admin) and a year of tickets before `--today`, plus that day's morning up
            to `--now`, written in SQL: one INSERT ... SELECT generate_series a day
            (two connections), the ticket table's indexes built once after the load.
            Then transfers' new tickets, ratings, appointments (kept and missed) and
            travel plans with communes, each derived from the day's tickets in SQL.
  measure   the nightly rollup of the last closed day (rollups.build_day for each
            branch), the year's rollups (two processes), period_report for a month and
            a year of the organization (30 warm runs each), the organization's analytics
            page over HTTP (gunicorn, an org admin signed in), and the peak RSS of the
            streaming ticket CSV export of a day and of a month.

The cluster lives in `--cluster DIR` (kept between commands: generating takes minutes,
measuring is repeated); `stop` stops it, `drop` removes it.

    .venv/bin/python bench/analytics.py generate --days 7 --branches 3   # dry run
    .venv/bin/python bench/analytics.py generate                        # ~9 M tickets
    .venv/bin/python bench/analytics.py measure
    .venv/bin/python bench/analytics.py drop

How the tickets are drawn (plausible, not real): a branch-day's demand follows the
weekday (Monday x1.3, Saturday mornings only), month ends (the last three working days
x1.35, the first two x1.15: salaries), August's holidays and a branch's size; arrivals
follow an hourly profile with a morning peak (stronger on Mondays), stratified so that
numbers follow arrival order. Each service's counters call at a fixed pace for the day
(a few more counters on busy days), and a ticket is called when a counter is free and
everyone before it was called (the queue's recursion, as a running maximum); what is
still waiting near closing expires. 6 % cancel, 5 % of the called are no-shows, 2 % are
transferred (a new ticket in another service, the same arrival); the wait told at issue
is the wait had, off by up to 30 % and a few minutes; ratings from 18 % of the served,
lower after a long wait.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time as wallclock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import harness  # noqa: F401  (sets up the path and environment first)
from harness import make_app, percentile
from sqlalchemy import create_engine, text

from tests.services import _as_postgres, free_port

DEFAULT_CLUSTER = "/tmp/sq-bench-analytics"
DATABASE = "smartqueue_analytics"
ORGANIZATION = "Banque de l'analyse"
ADMIN_EMAIL = "admin@analyse.sn"
ADMIN_PASSWORD = "bench-analytics-2026"

# (prefix, name, counters, share of the branch's tickets, accepts appointments)
SERVICES = [
    ("A", "Ouverture de compte", 2, 0.18, True),
    ("B", "Dépôt et retrait", 3, 0.45, False),
    ("C", "Crédit et prêts", 1, 0.07, True),
    ("D", "Cartes bancaires", 1, 0.12, False),
    ("E", "Transferts d'argent", 1, 0.18, False),
]
TRANSFER_TO = {"A": "C", "B": "D", "C": "A", "D": "B", "E": "B"}
UTILIZATION = 0.85  # of the counters, on an ordinary weekday
WEEKDAY_FACTOR = [1.30, 1.05, 1.00, 0.95, 0.90, 0.45, 0.0]  # Sunday closed
WEEKDAY_HOURS = [1.55, 1.45, 1.25, 1.05, 0.80, 0.75, 0.85, 0.75, 0.55]  # 08:00-17:00
SATURDAY_HOURS = [1.30, 1.20, 1.00, 0.60]  # 09:00-13:00
TRANSFER_SHARE = 0.02  # of the tickets: each makes a new ticket


# --- the cluster -------------------------------------------------------------------


def _bin() -> str:
    import glob

    return os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1])


def cluster_url(folder: str, start: bool = True) -> str:
    """The URL of the benchmark's cluster in `folder`, created and started if needed."""
    folder = Path(folder)
    data = folder / "data"
    if not data.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    f"{_bin()}/initdb",
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        (folder / "port").write_text(str(free_port()))
    port = int((folder / "port").read_text())
    if start and not (data / "postmaster.pid").exists():
        # Like the test suite's server (no fsync), with room for a 9 M-row table:
        # a production server would have at least this.
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
            "-c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=1GB "
            "-c max_wal_size=8GB -c checkpoint_timeout=30min "
            "-c effective_cache_size=12GB -c random_page_cost=1.1"
        )
        subprocess.run(
            _as_postgres(
                [
                    f"{_bin()}/pg_ctl",
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"


def stop_cluster(folder: str) -> None:
    data = Path(folder) / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres([f"{_bin()}/pg_ctl", "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )


# --- the world: an organization, its branches, services, counters and agents --------


def build_world(url: str, branches: int) -> dict:
    """Create the database, migrate, seed the reference, and add the organization."""
    import logging

    from flask_migrate import upgrade

    admin = create_engine(
        url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()

    from smartqueue.accounts.secrets import hash_password
    from smartqueue.extensions import db
    from smartqueue.geo.operations import seed_reference
    from smartqueue.models import (
        Branch,
        Commune,
        Counter,
        CounterStatus,
        Department,
        Membership,
        OpeningHours,
        Organization,
        OrganizationType,
        Plan,
        Queue,
        Region,
        Role,
        Service,
        User,
    )

    app = make_app(url)
    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        seed_reference()
        dakar = (
            db.session.query(Commune)
            .join(Department)
            .join(Region)
            .filter(Region.name == "Dakar")
            .order_by(Commune.id)
            .all()
        )
        rng = random.Random(12)
        org = Organization(
            name=ORGANIZATION,
            type=OrganizationType.BANK,
            plan=Plan.ENTERPRISE,
            created_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
        )
        db.session.add(org)
        password = hash_password(ADMIN_PASSWORD)
        admin_user = User(
            email=ADMIN_EMAIL,
            full_name="Admin Analyse",
            password_hash=password,
            email_verified_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
        )
        db.session.add(admin_user)
        db.session.add(
            Membership(user=admin_user, organization=org, role=Role.ORG_ADMIN)
        )
        world = {"branches": [], "communes": [c.id for c in dakar]}
        for b in range(branches):
            commune = dakar[b % len(dakar)]
            branch = Branch(
                organization=org,
                name=f"Agence {commune.name} {b // len(dakar) + 1}",
                address=f"{b + 1} avenue de l'analyse",
                commune=commune,
                department_id=commune.department_id,
                region_id=commune.department.region_id,
                latitude=commune.latitude,
                longitude=commune.longitude,
            )
            for weekday in range(5):
                branch.opening_hours.append(
                    OpeningHours(weekday=weekday, opens_at=time(8), closes_at=time(17))
                )
            branch.opening_hours.append(
                OpeningHours(weekday=5, opens_at=time(9), closes_at=time(13))
            )
            db.session.add(branch)
            db.session.flush()
            number = 0
            services = []
            for prefix, name, counters, share, appointments in SERVICES:
                service = Service(
                    queue=Queue(),
                    branch_id=branch.id,
                    prefix=prefix,
                    name_fr=name,
                    estimated_minutes=5,  # set from the pace below
                    price_fcfa=0,
                    accepts_appointments=appointments,
                    target_wait_minutes=15 if prefix != "C" else 30,
                )
                db.session.add(service)
                made = []
                for _ in range(counters):
                    number += 1
                    agent = User(
                        email=f"agent{branch.id}-{number}@analyse.sn",
                        full_name=f"Agent {number} ({commune.name})",
                        password_hash="!",
                    )
                    counter = Counter(
                        branch_id=branch.id,
                        number=number,
                        services=[service],
                        status=CounterStatus.CLOSED,
                    )
                    db.session.add_all([agent, counter])
                    db.session.add(
                        Membership(
                            user=agent,
                            organization=org,
                            branch_id=branch.id,
                            role=Role.AGENT,
                        )
                    )
                    made.append((counter, agent))
                services.append((prefix, service, made, share))
            db.session.flush()
            world["branches"].append(
                {
                    "id": branch.id,
                    "commune_id": commune.id,
                    "size": round(rng.uniform(0.6, 1.4), 3),
                    "services": [
                        {
                            "id": service.id,
                            "prefix": prefix,
                            "share": share,
                            "counters": [c.id for c, _ in made],
                            "agents": [a.id for _, a in made],
                            "appointments": service.accepts_appointments,
                        }
                        for prefix, service, made, share in services
                    ],
                }
            )
        db.session.commit()
        world["organization_id"] = org.id
        db.session.remove()
        db.engine.dispose()
    return world


# --- the days: demand factors and hourly profiles -------------------------------------


def working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 6:
            days.append(day)
        day += timedelta(days=1)
    return days


def day_factor(day: date, rng: random.Random) -> float:
    """How busy a day is against an ordinary Wednesday."""
    factor = WEEKDAY_FACTOR[day.weekday()]
    month_days = [
        d for d in working_days(day.replace(day=1), _month_end(day)) if d.weekday() < 5
    ]
    if day in month_days[-3:]:
        factor *= 1.35  # salaries: month-end queues
    elif day in month_days[:2]:
        factor *= 1.15
    if day.month == 8:
        factor *= 0.85  # holidays
    return factor * rng.uniform(0.95, 1.05)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def hour_profile(day: date) -> tuple[time, time, list[float]]:
    """Opening, closing and the cumulative share of arrivals at each hour's start."""
    if day.weekday() == 5:
        opens, closes, weights = time(9), time(13), list(SATURDAY_HOURS)
    else:
        opens, closes, weights = time(8), time(17), list(WEEKDAY_HOURS)
        if day.weekday() == 0:
            weights[:3] = [w * 1.25 for w in weights[:3]]  # Monday mornings
    total = sum(weights)
    cumulative = [0.0]
    for weight in weights:
        cumulative.append(cumulative[-1] + weight / total)
    cumulative[-1] = 1.0
    return opens, closes, cumulative


# --- the generator -------------------------------------------------------------------

SETUP_SQL = """
DROP TABLE IF EXISTS bench_gen_service, bench_gen_day;
CREATE UNLOGGED TABLE bench_gen_service (
    service_id int PRIMARY KEY, branch_id int, prefix text, per_day float8,
    slot_s float8, counters int[], agents int[], appointments bool,
    transfer_to int, home_commune int, communes int[]);
CREATE UNLOGGED TABLE bench_gen_day (
    day date PRIMARY KEY, opens_at timestamptz, closes_at timestamptz,
    factor float8, cum float8[]);
"""

# One day's tickets, every service of every branch, in one statement. Layers: the draws
# (a row per ticket, numbered in arrival order); the arrival (inverse of the hourly
# profile) and fate; the rank among the called; the call (Lindley's recursion as a
# running maximum: called = k * pace + max over j <= i of (arrival_j - k_j * pace)).
DAY_SQL = """
INSERT INTO ticket (token, branch_id, service_id, day, number, code, status, priority,
    channel, locale, rank_key, appointment_at, arrived_at, created_at, called_at,
    first_called_at, serving_at, finished_at, counter_id, agent_id, recall_count,
    pass_count, told_minutes, told_low, told_high)
SELECT md5(service_id || ':' || day || ':' || i), branch_id, service_id, day, i,
    prefix || lpad(i::text, 3, '0'), status, priority, channel, locale,
    extract(epoch FROM arrived_at), appointment_at, arrived_at, arrived_at, called_at,
    called_at, serving_at, finished_at, counter_id, agent_id, recall_count, 0,
    told, CASE WHEN told >= 5 THEN floor(told * 0.75 / 5) * 5 ELSE 0 END,
    CASE WHEN told > 0 THEN ceil(told * 1.25 / 5) * 5 ELSE 0 END
FROM (
  SELECT *,
    CASE WHEN status IN ('served', 'transferred') THEN called_at + cts END AS serving_at,
    CASE status
      WHEN 'served' THEN called_at + cts + service_s
      WHEN 'transferred' THEN called_at + cts + least(service_s, 180 * interval '1 s')
      WHEN 'no_show' THEN called_at + (240 + u_service * 120) * interval '1 s'
      WHEN 'cancelled' THEN arrived_at
        + (120 + u_service * 0.8 * greatest(0, call_s - arrival_s)) * interval '1 s'
      ELSE closes_at + interval '15 minutes'
    END AS finished_at
  FROM (
    SELECT *,
      opens_at + arrival_s * interval '1 s' AS arrived_at,
      CASE WHEN status IN ('served', 'no_show', 'transferred')
        THEN opens_at + call_s * interval '1 s' END AS called_at,
      CASE WHEN status IN ('served', 'no_show', 'transferred')
        THEN counters[1 + mod(k, array_length(counters, 1))] END AS counter_id,
      CASE WHEN status IN ('served', 'no_show', 'transferred')
        THEN agents[1 + mod(k, array_length(agents, 1))] END AS agent_id,
      (15 + u_cts * 90) * interval '1 s' AS cts,
      greatest(60, pace * array_length(counters, 1) * (0.45 + 0.45 * u_service)
               - 15 - u_cts * 90) * interval '1 s' AS service_s,
      CASE WHEN status = 'no_show' THEN 3 ELSE 0 END AS recall_count,
      round(greatest(0, (call_s - arrival_s) / 60 * (0.7 + 0.6 * u_told)
                        + (u_extra - 0.5) * 6))::int AS told,
      CASE WHEN appointment
        THEN date_bin('30 minutes', opens_at + (arrival_s + 900) * interval '1 s',
                      opens_at) END AS appointment_at,
      CASE WHEN appointment THEN 'web'
           WHEN u_channel < 0.50 THEN 'kiosk' WHEN u_channel < 0.70 THEN 'mobile'
           WHEN u_channel < 0.80 THEN 'web' WHEN u_channel < 0.88 THEN 'sms'
           WHEN u_channel < 0.95 THEN 'counter' ELSE 'phone' END AS channel,
      CASE WHEN u_prio < 0.88 THEN 'normal' WHEN u_prio < 0.93 THEN 'medium'
           WHEN u_prio < 0.99 THEN 'high' ELSE 'urgent' END AS priority,
      CASE WHEN u_locale < 0.70 THEN 'fr' WHEN u_locale < 0.95 THEN 'wo'
           ELSE 'en' END AS locale
    FROM (
      SELECT *,
        greatest(arrival_s, k * pace + run) AS call_s,
        CASE WHEN NOT called THEN fate
             WHEN greatest(arrival_s, k * pace + run) > close_s - 300 THEN 'expired'
             ELSE fate END AS status
      FROM (
        SELECT *,
          max(CASE WHEN called THEN arrival_s - k * pace END)
            OVER (PARTITION BY service_id ORDER BY i) AS run
        FROM (
          SELECT *,
            count(*) FILTER (WHERE called)
              OVER (PARTITION BY service_id ORDER BY i) AS k
          FROM (
            SELECT *,
              (width_bucket(u_arrival, cum) - 1) * 3600.0
                + (u_arrival - cum[width_bucket(u_arrival, cum)])
                  / (cum[width_bucket(u_arrival, cum) + 1]
                     - cum[width_bucket(u_arrival, cum)]) * 3600.0 AS arrival_s,
              CASE WHEN u_fate < 0.06 THEN 'cancelled' WHEN u_fate < 0.107 THEN 'no_show'
                   WHEN u_fate < 0.107 + %(transfer)s THEN 'transferred'
                   ELSE 'served' END AS fate,
              u_fate >= 0.06 AS called,
              extract(epoch FROM closes_at - opens_at) AS close_s,
              slot_s / (1 + 0.8 * (factor * 32400 / extract(epoch FROM closes_at
                                   - opens_at) - 1)) AS pace,
              appointments AND u_locale < 0.08 AS appointment
            FROM (
              SELECT s.*, d.opens_at, d.closes_at, d.factor, d.cum, d.day, g.i,
                (g.i - 1 + random()) / size.n AS u_arrival,
                random() AS u_fate, random() AS u_channel, random() AS u_prio,
                random() AS u_locale, random() AS u_told, random() AS u_extra,
                random() AS u_service, random() AS u_cts
              FROM bench_gen_day d
              CROSS JOIN bench_gen_service s
              CROSS JOIN LATERAL (
                SELECT greatest(1, round(s.per_day * d.factor
                                         * (0.9 + 0.2 * random())))::int AS n
              ) AS size
              CROSS JOIN LATERAL generate_series(1, size.n) AS g(i)
              WHERE d.day = %(day)s
              OFFSET 0
            ) AS draws
          ) AS arrivals
        ) AS ranked
      ) AS running
    ) AS scheduled
  ) AS timed
) AS finished
"""

# A transferred ticket's new ticket in its new line: the same arrival and code, issued
# by the counter when the transfer was made, called within a quarter of an hour.
TRANSFERS_SQL = """
INSERT INTO ticket (token, branch_id, service_id, day, number, code, status, priority,
    channel, locale, rank_key, arrived_at, created_at, called_at, first_called_at,
    serving_at, finished_at, counter_id, agent_id, recall_count, pass_count,
    transferred_from_id)
SELECT md5('t:' || id), branch_id, transfer_to, day, NULL, code, 'served', priority,
    'counter', locale, extract(epoch FROM arrived_at), arrived_at, finished_at,
    finished_at + wait, finished_at + wait, finished_at + wait + cts,
    finished_at + wait + cts + service,
    counters[1 + floor(u * array_length(counters, 1))::int],
    agents[1 + floor(u * array_length(agents, 1))::int], 0, 0, id
FROM (
  SELECT t.*, s.transfer_to, target.counters, target.agents, random() AS u,
    (60 + random() * 840) * interval '1 s' AS wait,
    (15 + random() * 60) * interval '1 s' AS cts,
    (180 + random() * 600) * interval '1 s' AS service
  FROM ticket t
  JOIN bench_gen_service s ON s.service_id = t.service_id
  JOIN bench_gen_service target ON target.service_id = s.transfer_to
  WHERE t.day = %(day)s AND t.status = 'transferred'
  OFFSET 0
) AS moved
"""

# Today is live: what happens after `now` has not happened yet.
TODAY_SQL = [
    "DELETE FROM ticket WHERE day = %(day)s AND arrived_at > %(now)s",
    """UPDATE ticket SET status = 'waiting', called_at = NULL, first_called_at = NULL,
        serving_at = NULL, finished_at = NULL, counter_id = NULL, agent_id = NULL,
        recall_count = 0
       WHERE day = %(day)s AND (called_at > %(now)s
             OR (called_at IS NULL AND finished_at > %(now)s))""",
    """UPDATE ticket SET status = 'called', serving_at = NULL, finished_at = NULL,
        recall_count = 0
       WHERE day = %(day)s AND called_at <= %(now)s AND (serving_at > %(now)s
             OR (serving_at IS NULL AND finished_at > %(now)s))""",
    """UPDATE ticket SET status = 'serving', finished_at = NULL
       WHERE day = %(day)s AND serving_at <= %(now)s AND finished_at > %(now)s""",
]

COMMENTS = [
    "Trop d'attente, un seul guichet ouvert.",
    "Attente longue mais personnel aimable.",
    "Correct.",
    "Rapide et efficace, merci.",
    "Excellent accueil, très rapide !",
]

# Ratings from 18 % of the served, lower after a long wait; a comment from one in six.
RATINGS_SQL = """
INSERT INTO ticket_rating (ticket_id, service_id, branch_id, agent_id, day, rating,
    comment, locale, created_at)
SELECT id, service_id, branch_id, agent_id, day, rating,
    CASE WHEN u < 0.03 THEN (%(comments)s::text[])[rating] END, locale,
    finished_at + interval '5 minutes'
FROM (
  SELECT *, least(5, greatest(1, 5 - floor(-ln(1 - v)
      * (0.6 + extract(epoch FROM called_at - arrived_at) / 1800))))::int AS rating
  FROM (SELECT t.*, random() AS u, random() AS v FROM ticket t
        WHERE t.day = %(day)s AND t.status = 'served' OFFSET 0) AS drawn
  WHERE u < 0.18
) AS rated
"""

# The appointments of the day's appointment tickets (checked in), and those missed.
APPOINTMENTS_SQL = [
    """INSERT INTO appointment (number, check_in_token, branch_id, service_id, day,
        starts_at, ends_at, status, locale, deposit_fcfa, created_at, confirmed_at,
        checked_in_at, is_late_arrival, finished_at, ticket_id)
    SELECT 'RDV' || id, md5('a:' || id), branch_id, service_id, day, appointment_at,
        appointment_at + interval '30 minutes',
        CASE WHEN status IN ('served', 'transferred') THEN 'completed'
             WHEN status IN ('called', 'serving') THEN 'in_progress'
             ELSE 'checked_in' END,
        locale, 0, appointment_at - interval '3 days', appointment_at - interval '3 days',
        arrived_at, arrived_at > appointment_at, finished_at, id
    FROM ticket WHERE day = %(day)s AND appointment_at IS NOT NULL
        AND transferred_from_id IS NULL""",
    """INSERT INTO appointment (number, check_in_token, branch_id, service_id, day,
        starts_at, ends_at, status, locale, deposit_fcfa, created_at, confirmed_at,
        is_late_arrival)
    SELECT 'RDVM' || id, md5('m:' || id), branch_id, service_id, day,
        appointment_at + interval '1 hour', appointment_at + interval '90 minutes',
        CASE WHEN %(closed)s THEN 'no_show' ELSE 'confirmed' END, locale, 0,
        appointment_at - interval '5 days', appointment_at - interval '5 days', false
    FROM (SELECT t.*, random() AS u FROM ticket t WHERE t.day = %(day)s
          AND t.appointment_at IS NOT NULL AND t.transferred_from_id IS NULL
          OFFSET 0) AS drawn
    WHERE u < 0.15""",
]

# The commune stays on the ticket when its trip is erased (travel/operations.py).
TRAVEL_COMMUNE_SQL = """
UPDATE ticket SET origin_commune_id = plan.commune_id
FROM travel_plan plan
WHERE plan.ticket_id = ticket.id AND ticket.day = %(day)s
"""

# Where a third of the phone and web customers came from: their branch's commune for
# two in five, another commune of the region for the others.
TRAVEL_SQL = """
INSERT INTO travel_plan (ticket_id, commune_id, mode, origin_set_at, travel_minutes,
    margin_minutes, source, computed_at)
SELECT id,
    CASE WHEN v < 0.4 THEN home_commune
         ELSE communes[1 + floor(w * array_length(communes, 1))::int] END,
    (ARRAY['walking', 'motorbike', 'car', 'taxi', 'public_transport',
           'public_transport'])[1 + floor(m * 6)::int],
    arrived_at - interval '25 minutes', 5 + floor(m * 40)::int, 5, 'estimate',
    arrived_at - interval '25 minutes'
FROM (SELECT t.*, s.home_commune, s.communes, random() AS u, random() AS v,
             random() AS w, random() AS m
      FROM ticket t JOIN bench_gen_service s ON s.service_id = t.service_id
      WHERE t.day = %(day)s AND t.channel IN ('mobile', 'web')
        AND t.transferred_from_id IS NULL OFFSET 0) AS drawn
WHERE u < 0.35
"""


def generate(url: str, world: dict, today: date, now: datetime, days: int, target: int):
    """Fill the tickets of `days` days before `today` and of today until `now`."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    first = today - timedelta(days=days)
    history = working_days(first, today)
    rng = random.Random(2026)
    factors = {day: day_factor(day, rng) for day in history}
    sizes = [b["size"] for b in world["branches"]]
    closed = [d for d in history if d < today]
    # Tickets of an ordinary weekday at a branch of size 1 (transfers come on top).
    per_branch_day = (
        target / (1 + TRANSFER_SHARE) / (sum(factors[d] for d in closed) * sum(sizes))
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SETUP_SQL)
        for branch in world["branches"]:
            by_prefix = {s["prefix"]: s for s in branch["services"]}
            for service in branch["services"]:
                per_day = per_branch_day * branch["size"] * service["share"]
                # The pace of the service's counters together, seconds a call, so that
                # an ordinary weekday keeps them UTILIZATION busy.
                slot = 9 * 3600 * UTILIZATION / per_day
                conn.execute(
                    "INSERT INTO bench_gen_service VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        service["id"],
                        branch["id"],
                        service["prefix"],
                        per_day,
                        slot,
                        service["counters"],
                        service["agents"],
                        service["appointments"],
                        by_prefix[TRANSFER_TO[service["prefix"]]]["id"],
                        branch["commune_id"],
                        world["communes"],
                    ),
                )
                minutes = max(1, min(180, round(slot * len(service["counters"]) / 80)))
                conn.execute(
                    "UPDATE service SET estimated_minutes = %s WHERE id = %s",
                    (minutes, service["id"]),
                )
        for day in history:
            opens, closes, cumulative = hour_profile(day)
            conn.execute(
                "INSERT INTO bench_gen_day VALUES (%s, %s, %s, %s, %s)",
                (
                    day,
                    datetime.combine(day, opens, timezone.utc),
                    datetime.combine(day, closes, timezone.utc),
                    factors[day],
                    cumulative,
                ),
            )
        # Indexes are built once after the load (much faster than kept up to date row
        # by row); foreign keys are known to hold (session_replication_role skips
        # their triggers during the load only).
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ticket' "
            "AND indexname <> 'pk_ticket'"
        ).fetchall()
        constraint = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'ticket'::regclass AND contype = 'u'"
        ).fetchall()
        for name, _definition in constraint:
            conn.execute(f"ALTER TABLE ticket DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            conn.execute(f"DROP INDEX IF EXISTS {name}")

    todo = list(history)
    lock = threading.Lock()
    done = {"days": 0}
    started = wallclock.perf_counter()

    def work():
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            while True:
                with lock:
                    if not todo:
                        return
                    day = todo.pop(0)
                with conn.transaction():
                    fill_day(conn, day, today, now)
                with lock:
                    done["days"] += 1
                    if done["days"] % 25 == 0 or not todo:
                        print(
                            f"  {done['days']}/{len(history)} days, "
                            f"{wallclock.perf_counter() - started:.0f} s",
                            flush=True,
                        )

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    loaded = wallclock.perf_counter() - started

    started = wallclock.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, definition in constraint:
            conn.execute(f"ALTER TABLE ticket ADD CONSTRAINT {name} {definition}")
        for name, definition in indexes:
            if name not in {c[0] for c in constraint}:
                conn.execute(definition)
        conn.execute("VACUUM ANALYZE")
        conn.execute("DROP TABLE bench_gen_service, bench_gen_day")
        counts = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'served'), "
            "pg_size_pretty(pg_total_relation_size('ticket')) FROM ticket"
        ).fetchone()
        ratings = conn.execute("SELECT count(*) FROM ticket_rating").fetchone()[0]
        appointments = conn.execute("SELECT count(*) FROM appointment").fetchone()[0]
        plans = conn.execute("SELECT count(*) FROM travel_plan").fetchone()[0]
    indexed = wallclock.perf_counter() - started
    return {
        "tickets": counts[0],
        "served": counts[1],
        "ticket_table": counts[2],
        "ratings": ratings,
        "appointments": appointments,
        "travel_plans": plans,
        "load_s": round(loaded, 1),
        "index_s": round(indexed, 1),
    }


def fill_day(conn, day: date, today: date, now: datetime) -> None:
    params = {"day": day, "transfer": TRANSFER_SHARE, "now": now}
    conn.execute(DAY_SQL, params)
    conn.execute(TRANSFERS_SQL, params)
    if day == today:
        for statement in TODAY_SQL:
            conn.execute(statement, params)
    conn.execute(RATINGS_SQL, {**params, "comments": COMMENTS})
    for statement in APPOINTMENTS_SQL:
        conn.execute(statement, {**params, "closed": day < today})
    conn.execute(TRAVEL_SQL, params)
    conn.execute(TRAVEL_COMMUNE_SQL, params)


# --- commands ------------------------------------------------------------------------


def command_generate(args) -> None:
    url = cluster_url(args.cluster)
    started = wallclock.perf_counter()
    world = build_world(url, args.branches)
    now = datetime.combine(args.today, args.now, timezone.utc)
    target = args.tickets or round(9_000_000 * args.branches / 50 * args.days / 365)
    figures = generate(url, world, args.today, now, args.days, target)
    world.update(today=args.today.isoformat(), now=now.isoformat(), days=args.days)
    (Path(args.cluster) / "world.json").write_text(json.dumps(world))
    figures["total_s"] = round(wallclock.perf_counter() - started, 1)
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", choices=("generate", "measure", "stop", "drop", "_rebuild")
    )
    parser.add_argument("--cluster", default=DEFAULT_CLUSTER)
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--days", type=int, default=365, help="closed days of history")
    parser.add_argument(
        "--tickets",
        type=int,
        help="closed days' tickets, about (default: 9 M for 50 branches and 365 days)",
    )
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 7))
    parser.add_argument("--now", type=time.fromisoformat, default=time(11, 0))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--only",
        action="append",
        choices=("nightly", "year", "reports", "pages"),
        help="measure only these (repeat); default all, in this order",
    )
    parser.add_argument("--processes", type=int, default=2, help="for the year")
    parser.add_argument("--start", type=date.fromisoformat)  # _rebuild
    parser.add_argument("--end", type=date.fromisoformat)
    args = parser.parse_args()
    if args.command == "generate":
        command_generate(args)
    elif args.command == "measure":
        command_measure(args)
    elif args.command == "_rebuild":
        command_rebuild_part(args)
    elif args.command == "stop":
        stop_cluster(args.cluster)
    else:
        stop_cluster(args.cluster)
        shutil.rmtree(args.cluster, ignore_errors=True)


# --- measuring -----------------------------------------------------------------------


def _world(args) -> dict:
    return json.loads((Path(args.cluster) / "world.json").read_text())


class Statements:
    """Count the SQL statements sent on an engine while inside."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, *_args):
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def _spread(times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return (
        f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
        f"max {max(ms):.0f} ms ({len(ms)} runs)"
    )


def measure_nightly(world: dict, today: date) -> None:
    """rollups.build_day for every branch of one day, as the nightly job runs them."""
    from smartqueue.analytics import rollups
    from smartqueue.extensions import db

    rows = db.session.execute(
        text(
            "SELECT day, count(*) FROM ticket WHERE day < :today GROUP BY day "
            "ORDER BY count(*) DESC"
        ),
        {"today": today},
    ).all()
    db.session.commit()
    busiest = rows[0][0]
    ordinary = next(day for day, _n in rows if day.weekday() == 2)  # a Wednesday
    branches = [b["id"] for b in world["branches"]]
    for label, day in (("busiest day", busiest), ("an ordinary Wednesday", ordinary)):
        per_branch = []
        tickets = 0
        with Statements(db.engine) as statements:
            started = wallclock.perf_counter()
            for branch_id in branches:
                one = wallclock.perf_counter()
                tickets += rollups.build_day(day, branch_id)
                per_branch.append(wallclock.perf_counter() - one)
            total = wallclock.perf_counter() - started
        print(
            f"  nightly rollup, {label} {day} ({tickets} tickets, {len(branches)} "
            f"branches): {total:.1f} s, {statements.count} statements; a branch: "
            f"{_spread(per_branch)}",
            flush=True,
        )


def measure_year(args, world: dict, today: date) -> None:
    """rollups.rebuild of every closed day, split between `--processes` processes."""
    first = today - timedelta(days=world["days"])
    last = today - timedelta(days=1)
    days = (last - first).days + 1
    parts = []
    for n in range(args.processes):
        start = first + timedelta(days=days * n // args.processes)
        end = first + timedelta(days=days * (n + 1) // args.processes - 1)
        parts.append((start, end))
    started = wallclock.perf_counter()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "_rebuild",
                "--cluster",
                args.cluster,
                "--start",
                start.isoformat(),
                "--end",
                end.isoformat(),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for start, end in parts
    ]
    outputs = [
        json.loads(child.communicate()[0].strip().splitlines()[-1])
        for child in children
    ]
    total = wallclock.perf_counter() - started
    built = sum(o["branch_days"] for o in outputs)
    tickets = sum(o["tickets"] for o in outputs)
    print(
        f"  year's rollups, {first} .. {last}: {total:.0f} s with {args.processes} "
        f"processes ({built} branch-days, {tickets} tickets; each process: "
        + ", ".join(f"{o['seconds']:.0f} s" for o in outputs)
        + f"; {sum(o['seconds'] for o in outputs) / built * 1000:.0f} ms a branch-day)",
        flush=True,
    )


def command_rebuild_part(args) -> None:
    from smartqueue import clock
    from smartqueue.analytics import rollups

    world = _world(args)
    app = make_app(cluster_url(args.cluster))
    with app.app_context():
        clock.freeze(datetime.fromisoformat(world["now"]))
        started = wallclock.perf_counter()
        built = rollups.rebuild(args.start, args.end)
        seconds = wallclock.perf_counter() - started
    print(
        json.dumps(
            {
                "branch_days": len(built),
                "tickets": sum(n for _d, _b, n in built),
                "seconds": seconds,
            }
        )
    )


def periods(today: date) -> list[tuple[str, date, date, dict]]:
    """(label, start, end, page query) of the periods measured."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return [
        (
            f"month {last_month:%Y-%m} (closed)",
            last_month,
            _month_end(last_month),
            {"period": "month", "start": last_month.isoformat()},
        ),
        (
            f"month {today:%Y-%m} (to today, live)",
            today.replace(day=1),
            _month_end(today),
            {"period": "month", "start": today.replace(day=1).isoformat()},
        ),
        (
            f"year {today.year} (to today, live)",
            date(today.year, 1, 1),
            date(today.year, 12, 31),
            {"period": "year", "start": date(today.year, 1, 1).isoformat()},
        ),
    ]


def measure_reports(args, world: dict, today: date) -> None:
    """queries.period_report of the organization, warm, `--runs` times a period."""
    from smartqueue.analytics import queries
    from smartqueue.analytics.report import Scope
    from smartqueue.extensions import db

    scope = Scope(world["organization_id"])
    for label, start, end, _query in periods(today):
        end = min(end, today)  # as the pages ask
        report = queries.period_report(scope, start, end)  # warm
        db.session.commit()
        times = []
        with Statements(db.engine) as statements:
            for _ in range(args.runs):
                started = wallclock.perf_counter()
                queries.period_report(scope, start, end)
                times.append(wallclock.perf_counter() - started)
                db.session.commit()
        print(
            f"  period_report, {label}: {_spread(times)}, "
            f"{statements.count // args.runs} statements; {report.totals.issued} "
            f"tickets, rollups until {report.from_rollups_until}",
            flush=True,
        )


def served_app():
    """What gunicorn serves for the page figures (`analytics:served_app()`): the app on
    the benchmark's database, its clock at the benchmark's `now`."""
    from smartqueue import clock, create_app

    clock.freeze(datetime.fromisoformat(os.environ["SQ_BENCH_NOW"]))
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["SQ_BENCH_URL"],
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            "EMBEDDED_SCHEDULER": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure_pages(args, world: dict, today: date, url: str) -> None:
    """The organization's analytics page over HTTP (gunicorn as the Procfile starts it,
    two gevent workers), signed in as its org admin; then the ticket CSV export."""
    from _live import Gunicorn, HttpClient, csrf_token, rss_kib

    env = {
        **os.environ,
        "SQ_BENCH_URL": url,
        "SQ_BENCH_NOW": world["now"],
    }
    org = world["organization_id"]
    with Gunicorn("analytics:served_app()", env, workers=2, pythonpath="bench") as web:
        client = HttpClient(web.port)
        status, _, html = client.request("GET", "/auth/login")
        form = {
            "csrf_token": csrf_token(html),
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
        }
        status, _, _ = client.request("POST", "/auth/login", form=form)
        if status not in (302, 303):
            raise RuntimeError(f"sign-in: {status}\n{web.log_tail()}")
        for label, _start, _end, query in periods(today):
            path = f"/manage/organizations/{org}/analytics?" + "&".join(
                f"{k}={v}" for k, v in query.items()
            )
            for _ in range(2):  # warm both workers
                status, _, body = client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path}: {status}\n{web.log_tail()}")
            times = []
            for _ in range(args.runs):
                started = wallclock.perf_counter()
                status, _, body = client.request("GET", path)
                times.append(wallclock.perf_counter() - started)
                assert status == 200, status
            print(
                f"  page, {label}: GET {path}: {_spread(times)}, "
                f"{len(body) // 1024} KiB",
                flush=True,
            )
        client.close()

        busiest = periods(today)[0][1] + timedelta(days=29)
        for label, query in (
            ("a day", f"period=day&start={busiest.isoformat()}"),
            ("a month", f"period=month&start={periods(today)[0][1].isoformat()}"),
        ):
            workers = web.worker_pids()
            before = {pid: rss_kib(pid) for pid in workers}
            for pid in workers:  # reset the peak (VmHWM) to the current RSS
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            path = f"/manage/organizations/{org}/analytics/tickets.csv?{query}"
            received, lines, started = _stream(web.port, client.cookies, path)
            peaks = {pid: _peak_kib(pid) for pid in workers}
            grown = max(peaks[pid] - before[pid] for pid in workers)
            print(
                f"  ticket CSV, {label} ({path}): {lines} lines, "
                f"{received / 1e6:.1f} MB in {started:.1f} s; the serving worker's "
                f"peak RSS {max(peaks.values()) / 1024:.0f} MiB "
                f"(+{grown / 1024:.1f} MiB over its RSS before)",
                flush=True,
            )


def _stream(port: int, cookies: dict, path: str) -> tuple[int, int, float]:
    """GET `path`, reading the body in 64 KiB pieces and keeping none of it."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = wallclock.perf_counter()
    conn.request(
        "GET",
        path,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
    )
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    received = lines = 0
    while piece := response.read(65536):
        received += len(piece)
        lines += piece.count(b"\n")
    conn.close()
    return received, lines, wallclock.perf_counter() - started


def command_measure(args) -> None:
    from harness import machine, print_machine

    from smartqueue import clock

    url = cluster_url(args.cluster)
    world = _world(args)
    today = date.fromisoformat(world["today"])
    steps = args.only or ["nightly", "year", "reports", "pages"]
    print_machine(machine(url))
    with create_engine(url).connect() as conn:
        size = conn.execute(
            text(
                "SELECT count(*), pg_size_pretty(pg_total_relation_size('ticket')) "
                "FROM ticket"
            )
        ).one()
    print(
        f"  {size[0]} tickets ({size[1]} with indexes), {len(world['branches'])} "
        f"branches, {world['days']} days before {today}, today until {world['now']}",
        flush=True,
    )
    app = make_app(url)
    with app.app_context():
        clock.freeze(datetime.fromisoformat(world["now"]))
        if "nightly" in steps:
            measure_nightly(world, today)
        if "year" in steps:
            measure_year(args, world, today)
        if "reports" in steps:
            measure_reports(args, world, today)
    if "pages" in steps:
        measure_pages(args, world, today, url)


if __name__ == "__main__":
    main()
