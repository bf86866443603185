"""Does "call next" stay cheap as the waiting line grows? (100, 10 000, 100 000 waiting)

For each size, the waiting tickets are bulk-inserted straight into the table (with the
rank_key that issue_ticket would give them: their arrival time, fifo), then an agent
repeatedly calls the next ticket and finishes it (operations.call_next + finish, timed
together) while a new ticket is issued after each one (not timed) so the line keeps its
size. Reported: median and p95 in milliseconds, and the ratio largest / smallest size
(target: within 2x). Three ways of running:

  engine    the counter handles one service; the live-screen announcements muted: the
            engine's own cost (the head of the partial index ix_ticket_waiting_rank)
  live      the same with the announcements on, as a web process runs it: after each
            commit the board's fragment is rendered (waiting counts, recent calls)
  2 svc     engine, but the counter handles two services, each with that many waiting

At the largest size it prints the plan of the call-next query (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite) and the slowest statements of one live call.

    .venv/bin/python bench/call_next_scaling.py                      # both databases
    .venv/bin/python bench/call_next_scaling.py --backend postgresql --calls 300
"""

import argparse
import json
import statistics
import time as wallclock
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timedelta, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, make_desk, percentile, print_machine
from sqlalchemy import delete, event, insert, text

from smartqueue import clock, events
from smartqueue.extensions import db
from smartqueue.models import (
    Channel,
    DailyCounter,
    Priority,
    Strategy,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartqueue.queueing import operations as ops

DAY = date(2026, 12, 1)
OPENS = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # Dakar is UTC+0
NOW = OPENS + timedelta(hours=8)  # the waiting line arrived between 08:00 and 16:00
CHUNK = 5000


def fill(service, count: int, first_number: int = 1) -> None:
    """Insert `count` waiting tickets for `service`, as issue_ticket would have left them."""
    span = (NOW - OPENS).total_seconds()
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, count)):
            number = first_number + i
            arrived = OPENS + timedelta(seconds=span * i / count)
            rows.append(
                {
                    "token": f"b{service.id}-{number}",
                    "branch_id": service.branch_id,
                    "service_id": service.id,
                    "day": DAY,
                    "number": number,
                    "code": f"{service.prefix}{number:03d}",
                    "status": TicketStatus.WAITING,
                    "priority": Priority.NORMAL,
                    "channel": Channel.KIOSK,
                    "locale": "fr",
                    "rank_key": arrived.timestamp(),  # strategies.rank_key for fifo
                    "arrived_at": arrived,
                    "created_at": arrived,
                    "recall_count": 0,
                    "pass_count": 0,
                }
            )
        db.session.execute(insert(Ticket), rows)
    db.session.execute(
        insert(DailyCounter).values(
            scope="service",
            scope_id=service.id,
            day=DAY,
            value=first_number + count - 1,
        )
    )
    db.session.commit()


def empty() -> None:
    for model in (TicketEvent, Ticket, DailyCounter):
        db.session.execute(delete(model))
    db.session.commit()


def analyze() -> None:
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def measure(counter, agent, services, calls: int, warmup: int) -> list[float]:
    """call_next + finish at `counter`, `calls` times; a new ticket after each keeps the
    line's length. Milliseconds."""
    by_id = {s.id: s for s in services}
    timings = []
    now = NOW
    for n in range(warmup + calls):
        now += timedelta(seconds=1)
        clock.freeze(now)
        started = wallclock.perf_counter()
        ticket = ops.call_next(counter, by=agent)
        ops.finish(ticket, by=agent)
        elapsed = (wallclock.perf_counter() - started) * 1000
        if n >= warmup:
            timings.append(elapsed)
        ops.issue_ticket(by_id[ticket.service_id], channel=Channel.KIOSK)
    return timings


@contextmanager
def statements():
    """Record the SQL statements run, with their duration (ms)."""
    engine = db.engine
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["sq_started"] = wallclock.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = (wallclock.perf_counter() - conn.info.pop("sq_started")) * 1000
        seen.append((elapsed, statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain_call_next(counter, agent) -> str:
    """The plans of the queries call_next uses to pick a ticket (the due appointments,
    then the head of the line), captured as they ran and explained with their values."""
    clock.freeze(NOW + timedelta(hours=1))
    with statements() as seen:
        ticket = ops.call_next(counter, by=agent)
    ops.finish(ticket, by=agent)
    picks = [
        (sql, params) for _ms, sql, params in seen if "FROM ticket JOIN queue" in sql
    ]
    conn = db.session.connection()
    out = []
    for sql, params in picks:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(r[0] for r in rows)
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(r[-1]) for r in rows)
        out.append(f"{_short(sql)}\n{plan}")
    db.session.rollback()  # EXPLAIN ANALYZE took row locks: give them back
    return "\n\n".join(out)


def slowest_statements(counter, agent, top: int = 5) -> list[tuple[float, str]]:
    """The slowest statements of one call_next + finish (as called: live or muted)."""
    clock.freeze(NOW + timedelta(hours=1, minutes=1))
    with statements() as seen:
        ticket = ops.call_next(counter, by=agent)
        ops.finish(ticket, by=agent)
    ranked = sorted(seen, key=lambda s: s[0], reverse=True)[:top]
    return [(round(ms, 2), _short(sql)) for ms, sql, _ in ranked]


def _short(sql: str) -> str:
    """A statement on one line, its long column list elided."""
    sql = " ".join(sql.split())
    if sql.startswith("SELECT ") and " FROM " in sql:
        sql = "SELECT ... " + sql[sql.index(" FROM ") + 1 :]
    return sql[:200]


def run_backend(backend: str, args) -> dict:
    with database(backend, args.database_url) as url:
        info = machine(url)
        app = make_app(url)
        with app.app_context():
            desk = make_desk(
                [
                    ("A", "Dépôt et retrait", 5, Strategy.FIFO),
                    ("B", "Ouverture de compte", 10, Strategy.FIFO),
                ],
                [[0], [0, 1]],  # counter 1: A only; counter 2: A and B
            )
            a, b = desk.services
            results = []
            extra = {}
            for size in args.sizes:
                empty()
                fill(a, size)
                analyze()
                for mode, counter, agent in (
                    ("engine", desk.counters[0], desk.agents[0]),
                    ("live", desk.counters[0], desk.agents[0]),
                ):
                    muted = (
                        nullcontext()
                        if mode == "live"
                        else events.tickets_changed.muted()
                    )
                    with muted:
                        ms = measure(counter, agent, [a], args.calls, args.warmup)
                    results.append(_row(backend, mode, size, ms))
                    print(_line(results[-1]), flush=True)
                if size == max(args.sizes):
                    with events.tickets_changed.muted():
                        extra["explain"] = explain_call_next(
                            desk.counters[0], desk.agents[0]
                        )
                if size in (min(args.sizes), max(args.sizes)):
                    extra[f"slowest_live_{size}"] = slowest_statements(
                        desk.counters[0], desk.agents[0]
                    )
                    with events.tickets_changed.muted():
                        extra[f"slowest_engine_{size}"] = slowest_statements(
                            desk.counters[0], desk.agents[0]
                        )
                if not args.skip_two:
                    fill(b, size)
                    analyze()
                    with events.tickets_changed.muted():
                        ms = measure(
                            desk.counters[1],
                            desk.agents[1],
                            [a, b],
                            args.calls,
                            args.warmup,
                        )
                    results.append(_row(backend, "2 svc", size, ms))
                    print(_line(results[-1]), flush=True)
                    if size == max(args.sizes):
                        with events.tickets_changed.muted():
                            extra["explain_2svc"] = explain_call_next(
                                desk.counters[1], desk.agents[1]
                            )
            clock.freeze(None)
            db.session.remove()
            db.engine.dispose()
    return {"machine": info, "results": results, **extra}


def _row(backend, mode, size, ms) -> dict:
    return {
        "backend": backend,
        "mode": mode,
        "waiting": size,
        "calls": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
    }


def _line(r: dict) -> str:
    return (
        f"{r['backend']:10} {r['mode']:6} {r['waiting']:>8,} waiting: "
        f"median {r['median_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  ({r['calls']} calls)"
    )


def ratios(results: list[dict], sizes: list[int]) -> list[str]:
    out = []
    small, large = min(sizes), max(sizes)
    for backend in dict.fromkeys(r["backend"] for r in results):
        for mode in dict.fromkeys(r["mode"] for r in results):
            pick = {
                r["waiting"]: r
                for r in results
                if r["backend"] == backend and r["mode"] == mode
            }
            if small in pick and large in pick:
                med = pick[large]["median_ms"] / pick[small]["median_ms"]
                p95 = pick[large]["p95_ms"] / pick[small]["p95_ms"]
                verdict = (
                    "within 2x" if med <= 2 and p95 <= 2 else "MISSES the 2x target"
                )
                out.append(
                    f"{backend:10} {mode:6} {large:,} / {small:,}: median x{med:.2f}, "
                    f"p95 x{p95:.2f}  {verdict}"
                )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend",
        choices=(*harness.BACKENDS, "both"),
        default="both",
        help="database(s) to measure (both)",
    )
    parser.add_argument(
        "--database-url",
        help="an existing PostgreSQL server to use (a database smartqueue_bench is "
        "created on it); default: a private throwaway cluster",
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100, 10_000, 100_000],
        help="waiting-line lengths, comma-separated (100,10000,100000)",
    )
    parser.add_argument(
        "--calls", type=int, default=200, help="timed calls per size (200)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="untimed calls first (20)"
    )
    parser.add_argument(
        "--skip-two", action="store_true", help="skip the two-service counter"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    backends = harness.BACKENDS if args.backend == "both" else (args.backend,)
    started = wallclock.perf_counter()
    report = {"arguments": vars(args), "backends": {}}
    for backend in backends:
        report["backends"][backend] = run_backend(backend, args)
    results = [r for b in report["backends"].values() for r in b["results"]]
    report["ratios"] = ratios(results, args.sizes)
    report["seconds"] = round(wallclock.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return report
    for backend, got in report["backends"].items():
        print()
        print_machine(got["machine"])
        for key in ("explain", "explain_2svc"):
            if key in got:
                print(f"\n{backend} {key} at {max(args.sizes):,} waiting:\n{got[key]}")
        for key in (k for k in got if k.startswith("slowest_")):
            _, mode, size = key.split("_")
            print(
                f"\n{backend}: slowest statements of one call_next + finish "
                f"({mode}) at {int(size):,} waiting:"
            )
            for ms, sql in got[key]:
                print(f"  {ms:8.2f} ms  {sql}")
    print("\nratios (largest / smallest waiting line):")
    for line in report["ratios"]:
        print("  " + line)
    print(f"\n{report['seconds']} s in all")
    return report


if __name__ == "__main__":
    main()
