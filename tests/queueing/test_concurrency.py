"""Never wrong under load: many processes issuing and calling at once, on each database.

Every issuer and agent is a separate process (multiprocessing, "spawn") with its own app
and connection pool, started together on a barrier, on the same database as the test:
PostgreSQL, and SQLite's file database too (WAL, busy_timeout and BEGIN IMMEDIATE make its
writers take turns). The clock is not frozen (children do not share it), so the branch is
open around the clock.
"""

import multiprocessing
import traceback
from collections import Counter as Tally
from collections import defaultdict
from datetime import time

import pytest
from sqlalchemy import func, select

from smartqueue import events
from smartqueue.models import (
    Channel,
    CounterStatus,
    DailyCounter,
    OpeningHours,
    Plan,
    Priority,
    Strategy,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartqueue.queueing import rules

ISSUERS = 8
AGENTS = 4
A_PER_ISSUER = 63  # 8 x 63 = 504 tickets for service A ...
B_EVERY = 8  # ... and one for B after every eighth A ticket: 56 more, interleaved
RESULT_TIMEOUT = 120  # seconds; a stuck child fails the test instead of hanging it
PRIORITIES = list(Priority)


# --- the worker processes ------------------------------------------------------------------
# Twelve processes, spawned once for the run (a spawn costs ~1.5 s of CPU): each takes one
# job per run from its inbox, builds (once per database) its own app with create_app(), waits
# on the shared barrier so that all twelve start together, runs, and reports on `results`.

WORKERS = ISSUERS + AGENTS


def _worker(inbox, barrier, issuing_done, results):
    """Run jobs (role, index, config, ids) until None comes; one app per database URL."""
    from smartqueue import create_app

    apps = {}
    while (job := inbox.get()) is not None:
        role, index, config, ids = job
        try:
            url = config["SQLALCHEMY_DATABASE_URI"]
            if url not in apps:
                apps[url] = create_app(config)
            got = _run_job(apps[url], role, index, ids, barrier, issuing_done)
            results.put((role, index, got, None))
        except BaseException:
            barrier.abort()  # wake the others: this run is lost anyway
            results.put((role, index, None, traceback.format_exc()))


def _run_job(app, role, index, ids, barrier, issuing_done):
    from smartqueue.extensions import db

    # The live screens' announcements after each commit only read; they are tested with
    # the screens. Muted here so that 560 tickets fit the test's time budget.
    with app.app_context(), events.tickets_changed.muted():
        try:
            work = {"issuer": _issue_loop, "agent": _agent_loop, "limited": _limited}
            prepare = work[role](index, ids, issuing_done)
            barrier.wait(timeout=60)
            return prepare()
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection left for the test's cleanup to wait on


def _issue_loop(index, ids, _done):
    from smartqueue.extensions import db
    from smartqueue.models import Service
    from smartqueue.queueing import operations as ops

    a = db.session.get(Service, ids["a"])
    b = db.session.get(Service, ids["b"])
    db.session.commit()  # hold no transaction while waiting on the barrier

    def run():
        got = []
        for k in range(A_PER_ISSUER):
            t = ops.issue_ticket(a, channel=Channel.KIOSK)
            got.append((t.service_id, t.day.isoformat(), t.number, t.id))
            if k % B_EVERY == B_EVERY - 1:
                priority = PRIORITIES[(index + k) % len(PRIORITIES)]
                t = ops.issue_ticket(b, channel=Channel.MOBILE, priority=priority)
                got.append((t.service_id, t.day.isoformat(), t.number, t.id))
        return got

    return run


def _agent_loop(index, ids, issuing_done):
    from smartqueue.extensions import db
    from smartqueue.models import Counter, User
    from smartqueue.queueing import operations as ops

    counter = db.session.get(Counter, ids["counters"][index])
    agent = db.session.get(User, ids["agents"][index])
    db.session.commit()

    def run():
        called = []
        while True:
            # Read the flag before looking: an empty line after it was set means the end.
            last_round = issuing_done.is_set()
            ticket = ops.call_next(counter, by=agent)
            if ticket is None:
                if last_round:
                    return called
                issuing_done.wait(0.05)  # the line is empty for now: let issuers in
                continue
            called.append((ticket.id, ticket.counter_id))
            ops.finish(ticket, by=agent)

    return run


def _limited(index, ids, _done):
    """Try ATTEMPTS tickets on each service, counting what was refused and why."""
    from smartqueue.errors import DomainError
    from smartqueue.extensions import db
    from smartqueue.models import Service
    from smartqueue.queueing import operations as ops

    services = [db.session.get(Service, ids["a"]), db.session.get(Service, ids["b"])]
    db.session.commit()

    def run():
        got, refused = [], []
        for k in range(2 * ATTEMPTS):
            service = services[(index + k) % 2]
            try:
                t = ops.issue_ticket(service, channel=Channel.KIOSK)
            except DomainError as error:
                refused.append((service.id, str(error.message)))
            else:
                got.append((t.service_id, t.day.isoformat(), t.number, t.id))
        return {"got": got, "refused": refused}

    return run


class Pool:
    """The module's worker processes and what they share (inherited at spawn)."""

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        self.barrier = ctx.Barrier(WORKERS)
        self.issuing_done = ctx.Event()
        self.results = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in range(WORKERS)]
        self.procs = [
            ctx.Process(
                target=_worker,
                args=(inbox, self.barrier, self.issuing_done, self.results),
                daemon=True,
            )
            for inbox in self.inboxes
        ]
        for p in self.procs:
            p.start()

    def run(self, config, ids, roles):
        """Give each worker a role, release them together; {role: [what each got]}."""
        assert len(roles) == WORKERS, (
            "every worker takes part (the barrier waits for all)"
        )
        self.barrier.reset()
        self.issuing_done.clear()
        for inbox, (role, i) in zip(self.inboxes, roles, strict=True):
            inbox.put((role, i, config, ids))
        out: dict[str, list] = defaultdict(list)
        errors = []
        issuers = sum(1 for role, _ in roles if role in ("issuer", "limited"))
        for _ in roles:
            role, _i, got, error = self.results.get(timeout=RESULT_TIMEOUT)
            if error:
                errors.append(error)
                self.issuing_done.set()
            out[role].append(got)
            if len(out["issuer"]) + len(out["limited"]) == issuers:
                self.issuing_done.set()  # every issuer has committed all it will issue
        assert not errors, "a worker failed:\n" + "\n".join(errors)
        return out

    def close(self):
        for inbox in self.inboxes:
            inbox.put(None)
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()


@pytest.fixture(scope="session")
def pool():
    """Twelve worker processes for this module's tests, on both databases (pytest runs
    the SQLite tests of every module, then the PostgreSQL ones: spawn them only once)."""
    workers = Pool()
    yield workers
    workers.close()


# --- setup ----------------------------------------------------------------------------------


@pytest.fixture
def branch_open_all_day(db, make_org, make_branch):
    """A branch of an ENTERPRISE organization, open 00:00-23:59:59 every day of the week."""

    def make(plan=Plan.ENTERPRISE):
        branch = make_branch(org=make_org(plan=plan))
        for hours in branch.opening_hours:
            hours.opens_at, hours.closes_at = time(0), time(23, 59, 59)
        have = {h.weekday for h in branch.opening_hours}
        for day in set(range(7)) - have:
            branch.opening_hours.append(
                OpeningHours(weekday=day, opens_at=time(0), closes_at=time(23, 59, 59))
            )
        db.session.commit()
        return branch

    return make


def _numbers_by_service_day(db) -> dict:
    rows = db.session.execute(select(Ticket.service_id, Ticket.day, Ticket.number))
    numbers = defaultdict(list)
    for service_id, day, number in rows:
        numbers[(service_id, day.isoformat())].append(number)
    return numbers


def _assert_contiguous(numbers: dict) -> None:
    for key, got in numbers.items():
        assert sorted(got) == list(range(1, len(got) + 1)), f"gap or duplicate: {key}"


# --- tests ----------------------------------------------------------------------------------


def test_concurrency_numbers_and_calls_are_exact_across_processes(
    pool,
    db,
    backend,
    app_config,
    branch_open_all_day,
    make_service,
    make_counter,
    make_user,
):
    branch = branch_open_all_day()
    a = make_service(branch, "A", strategy=Strategy.FIFO)
    b = make_service(branch, "B", strategy=Strategy.MIXED, minutes=5)
    counters = [make_counter(branch, n, [a, b]) for n in range(1, AGENTS + 1)]
    agents = [make_user(role="agent", branch=branch) for _ in range(AGENTS)]
    for counter in counters:
        counter.status = CounterStatus.OPEN
    db.session.commit()
    ids = {
        "a": a.id,
        "b": b.id,
        "counters": [c.id for c in counters],
        "agents": [u.id for u in agents],
    }
    db.session.close()  # the test holds no connection state while the children run

    roles = [("issuer", i) for i in range(ISSUERS)] + [
        ("agent", i) for i in range(AGENTS)
    ]
    out = pool.run(app_config, ids, roles)

    issued = [t for got in out["issuer"] for t in got]
    per_service = Tally(service_id for service_id, *_ in issued)
    assert per_service == {
        a.id: ISSUERS * A_PER_ISSUER,
        b.id: ISSUERS * (A_PER_ISSUER // B_EVERY),
    }
    # numbers: per service and day exactly 1..N, in the database and as handed out
    numbers = _numbers_by_service_day(db)
    _assert_contiguous(numbers)
    handed = defaultdict(list)
    for service_id, day, number, _id in issued:
        handed[(service_id, day)].append(number)
    assert {k: sorted(v) for k, v in handed.items()} == {
        k: sorted(v) for k, v in numbers.items()
    }
    # the issuers really ran at the same time: their numbers interleave
    firsts_lasts = [
        (
            min(n for s, _d, n, _i in got if s == a.id),
            max(n for s, _d, n, _i in got if s == a.id),
        )
        for got in out["issuer"]
    ]
    assert any(hi - lo + 1 > A_PER_ISSUER for lo, hi in firsts_lasts)

    # calls: every ticket handed to exactly one counter, none lost, none twice
    calls = [c for got in out["agent"] for c in got]
    called_ids = [ticket_id for ticket_id, _counter in calls]
    assert len(called_ids) == len(set(called_ids)) == len(issued)
    assert set(called_ids) == {ticket_id for *_, ticket_id in issued}
    assert all(got for got in out["agent"]), "every agent called some tickets"
    rows = db.session.execute(select(Ticket.id, Ticket.status, Ticket.counter_id)).all()
    assert {status for _, status, _ in rows} == {TicketStatus.SERVED}
    assert {tid: counter for tid, _, counter in rows} == dict(calls)
    call_events = db.session.execute(
        select(TicketEvent.ticket_id, func.count())
        .where(TicketEvent.action == "call")
        .group_by(TicketEvent.ticket_id)
    ).all()
    assert len(call_events) == len(issued) and {n for _, n in call_events} == {1}
    assert db.session.scalar(
        select(func.count()).where(TicketEvent.action == "call")
    ) == len(issued)


ATTEMPTS = 8  # per service, for each of the 12 processes
CAPACITY = 10
PLAN_LIMIT = rules.PLAN_TICKETS_PER_DAY[Plan.FREE]  # 50 tickets a day


def test_concurrency_refusals_mid_way_skip_no_number(
    pool, db, backend, app_config, branch_open_all_day, make_service
):
    # A is capped at 10 waiting; the FREE plan stops the organization at 50 a day: with
    # 12 processes trying 8 of each, most attempts are refused, amid accepted ones.
    branch = branch_open_all_day(plan=Plan.FREE)
    a = make_service(branch, "A", capacity=CAPACITY)
    b = make_service(branch, "B")
    ids = {"a": a.id, "b": b.id}
    db.session.close()

    out = pool.run(app_config, ids, [("limited", i) for i in range(WORKERS)])

    got = [t for r in out["limited"] for t in r["got"]]
    refused = [x for r in out["limited"] for x in r["refused"]]
    assert len(got) + len(refused) == WORKERS * 2 * ATTEMPTS
    per_service = Tally(service_id for service_id, *_ in got)
    assert sum(per_service.values()) == PLAN_LIMIT and per_service[a.id] <= CAPACITY
    numbers = _numbers_by_service_day(db)
    _assert_contiguous(numbers)
    assert sum(len(v) for v in numbers.values()) == PLAN_LIMIT
    reasons = {message for _service, message in refused}
    assert reasons <= {
        "Cette file est complète. Réessayez plus tard.",
        "Le nombre de tickets du jour est atteint pour cette organisation : sa "
        f"formule en permet {PLAN_LIMIT} par jour.",
    }
    # the daily counters agree with the tickets: nothing was taken and lost
    counted = db.session.execute(
        select(DailyCounter.scope, func.sum(DailyCounter.value)).group_by(
            DailyCounter.scope
        )
    ).all()
    assert dict(counted) == {"org": PLAN_LIMIT, "service": PLAN_LIMIT}
