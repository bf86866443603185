"""How good is the wait shown at issue? Simulate branch days through the real engine.

Customers arrive at random (a Poisson process) during opening hours and take a ticket
(operations.issue_ticket, with the clock frozen at the arrival); the estimate they are
shown then (queries.estimate_ticket_wait) is written down. Counters call the next ticket
as soon as they are free (call_next, start_serving), serve it for a random time
(exponential or lognormal) and finish it. The clock jumps from event to event, so a day
takes seconds. At the end each ticket's actual wait (called_at - arrived_at) is compared
with the estimate: mean absolute error of the point estimate (minutes) and the share of
actual waits inside the range shown ("15-25 min", the actual wait rounded to the minute).

    .venv/bin/python bench/wait_estimate.py                  # SQLite, 5 days, seed 1
    .venv/bin/python bench/wait_estimate.py --backend postgresql --scenario two
"""

import argparse
import heapq
import json
import math
import random
import statistics
import time as wallclock
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, make_desk, print_machine
from sqlalchemy import select

from smartqueue import clock, events
from smartqueue.extensions import db
from smartqueue.models import Channel, Strategy, Ticket
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries

FIRST_DAY = datetime(2026, 12, 1, tzinfo=timezone.utc)  # Dakar is UTC+0
# Each scenario: services (prefix, name, true mean minutes, declared minutes, share of
# arrivals) and counters (the services each handles).
SCENARIOS = {
    "one": {
        "about": "one service (mean 6 min) at 4 counters, ~85% busy",
        "services": [("A", "Dépôt et retrait", 6.0, 6, 1.0)],
        "counters": [[0], [0], [0], [0]],
        "rate": 34.0,  # x 6 min = 204 min of work an hour for 4 x 60
    },
    "two": {
        "about": "two services (A 10 min 30%, B 4 min 70%); counters 1-2 take both, "
        "3 only A, 4 only B; ~85% busy",
        "services": [
            ("A", "Ouverture de compte", 10.0, 10, 0.3),
            ("B", "Dépôt et retrait", 4.0, 4, 0.7),
        ],
        "counters": [[0, 1], [0, 1], [0], [1]],
        "rate": 35.0,  # x (0.3 x 10 + 0.7 x 4) min = 203 min of work an hour for 240
    },
}


@dataclass
class Shown:
    ticket_id: int
    service: str
    arrived_at: datetime
    ahead: int
    minutes: int
    low: int
    high: int
    declared: float  # the naive estimate: ahead x declared minutes / counters
    actual: float | None = None  # minutes, filled in at the end


def draw_service(rng, mean: float, dist: str) -> float:
    """A service time in minutes with the given mean."""
    if dist == "exp":
        return rng.expovariate(1 / mean)
    sigma = 0.6  # lognormal with mean `mean`: mu = ln(mean) - sigma^2 / 2
    return rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)


def simulate_day(desk, day: datetime, args, scenario, rng) -> list[Shown]:
    """One day, event by event; returns what each customer was shown."""
    services = scenario["services"]
    opens = day + timedelta(hours=args.opens)
    closes = opens + timedelta(hours=args.hours)
    rate = args.rate or scenario["rate"]
    shares = [s[4] for s in services]
    # (time, order, kind, payload): arrivals drawn up front, completions pushed as they come
    events_queue = []
    t, order = opens, 0
    while True:
        t += timedelta(hours=rng.expovariate(rate))
        if t >= closes:
            break
        which = rng.choices(range(len(services)), weights=shares)[0]
        heapq.heappush(events_queue, (t, order, "arrive", which))
        order += 1
    busy: dict[int, object] = {}  # counter index -> ticket being served
    waiting = defaultdict(int)  # service index -> tickets waiting (to skip empty calls)
    index_of = {s.id: i for i, s in enumerate(desk.services)}
    handled = [[index_of[s.id] for s in c.services] for c in desk.counters]
    open_at = defaultdict(int)
    for served in handled:
        for i in served:
            open_at[i] += 1
    shown: dict[int, Shown] = {}
    service_time: dict[int, float] = {}
    while events_queue:
        now, _, kind, payload = heapq.heappop(events_queue)
        clock.freeze(now)
        if kind == "arrive":
            service = desk.services[payload]
            ticket = ops.issue_ticket(service, channel=Channel.KIOSK)
            estimate = queries.estimate_ticket_wait(ticket)
            shown[ticket.id] = Shown(
                ticket_id=ticket.id,
                service=service.prefix,
                arrived_at=now,
                ahead=estimate.ahead,
                minutes=estimate.minutes,
                low=estimate.low,
                high=estimate.high,
                declared=estimate.ahead
                * services[payload][3]
                / max(open_at[payload], 1),
            )
            service_time[ticket.id] = draw_service(rng, services[payload][2], args.dist)
            waiting[payload] += 1
        else:  # a counter is done
            ops.finish(busy.pop(payload), by=desk.agents[payload])
        for i, counter in enumerate(desk.counters):
            if i in busy or not any(waiting[s] for s in handled[i]):
                continue
            ticket = ops.call_next(counter, by=desk.agents[i])
            if ticket is None:
                continue
            ops.start_serving(ticket, by=desk.agents[i])
            waiting[index_of[ticket.service_id]] -= 1
            busy[i] = ticket
            done = now + timedelta(minutes=service_time[ticket.id])
            heapq.heappush(events_queue, (done, order, "finish", i))
            order += 1
    for ticket_id, called_at in db.session.execute(
        select(Ticket.id, Ticket.called_at).where(Ticket.id.in_(list(shown)))
    ):
        s = shown[ticket_id]
        s.actual = (called_at - s.arrived_at).total_seconds() / 60
    return list(shown.values())


def summarize(rows: list[Shown]) -> dict:
    if not rows:
        return {"tickets": 0}
    errors = [r.minutes - r.actual for r in rows]
    inside = [r.low <= round(r.actual) <= r.high for r in rows]
    declared = [abs(r.declared - r.actual) for r in rows]
    return {
        "tickets": len(rows),
        "mean_actual_wait_min": statistics.fmean(r.actual for r in rows),
        "p90_actual_wait_min": harness.percentile([r.actual for r in rows], 90),
        "mae_min": statistics.fmean(abs(e) for e in errors),
        "median_abs_error_min": statistics.median(abs(e) for e in errors),
        "bias_min": statistics.fmean(errors),  # > 0: we promise longer than it is
        "inside_range": sum(inside) / len(rows),
        "mae_declared_min": statistics.fmean(declared),
    }


BUCKETS = [(0, 0), (1, 3), (4, 10), (11, 25), (26, 10**9)]


def report(rows: list[Shown]) -> dict:
    out = {"all": summarize(rows)}
    for prefix in sorted({r.service for r in rows}):
        out[f"service {prefix}"] = summarize([r for r in rows if r.service == prefix])
    for lo, hi in BUCKETS:
        name = f"ahead {lo}" if lo == hi else f"ahead {lo}-{hi if hi < 10**9 else '+'}"
        out[name] = summarize([r for r in rows if lo <= r.ahead <= hi])
    return out


def print_report(out: dict) -> None:
    head = f"{'':14} {'tickets':>7} {'mean wait':>9} {'MAE':>6} {'median':>6} {'bias':>6} {'in range':>8} {'MAE decl.':>9}"
    print(head)
    for name, s in out.items():
        if not s["tickets"]:
            continue
        print(
            f"{name:14} {s['tickets']:7d} {s['mean_actual_wait_min']:9.1f} "
            f"{s['mae_min']:6.2f} {s['median_abs_error_min']:6.2f} {s['bias_min']:+6.2f} "
            f"{s['inside_range']:8.0%} {s['mae_declared_min']:9.2f}"
        )
    print(
        "(minutes; MAE = mean |shown estimate - actual wait|; bias > 0 = shown longer "
        "than lived; in range = actual wait, rounded to the minute, inside the range "
        "shown; MAE decl. = the same error had we used the declared service duration "
        "instead of the recent mean)"
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", choices=harness.BACKENDS, default="sqlite", help="(sqlite)"
    )
    parser.add_argument(
        "--database-url",
        help="an existing PostgreSQL server to use (a database smartqueue_bench is "
        "created on it); default: a private throwaway cluster",
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="one",
        help="; ".join(f"{k}: {v['about']}" for k, v in SCENARIOS.items()) + " (one)",
    )
    parser.add_argument("--days", type=int, default=5, help="days simulated (5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--rate", type=float, help="arrivals per hour (default: the scenario's)"
    )
    parser.add_argument("--opens", type=float, default=8, help="opening hour (8)")
    parser.add_argument("--hours", type=float, default=8, help="hours of arrivals (8)")
    parser.add_argument(
        "--dist",
        choices=("exp", "lognormal"),
        default="exp",
        help="service-time distribution, same mean (exp)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="keep the live-screen announcements after each commit (slower; they do "
        "not change the figures)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    scenario = SCENARIOS[args.scenario]
    rng = random.Random(args.seed)
    started = wallclock.perf_counter()
    with database(args.backend, args.database_url) as url:
        info = machine(url)
        app = make_app(url)
        with app.app_context():
            desk = make_desk(
                [
                    (p, n, declared, Strategy.FIFO)
                    for p, n, _m, declared, _s in scenario["services"]
                ],
                scenario["counters"],
                # open around the clock: arrivals are only drawn within --opens/--hours
                opens=time(0),
                closes=time(23, 59, 59),
            )
            rows = []
            with nullcontext() if args.live else events.tickets_changed.muted():
                for n in range(args.days):
                    rows += simulate_day(
                        desk, FIRST_DAY + timedelta(days=n), args, scenario, rng
                    )
            clock.freeze(None)
            db.session.remove()
            db.engine.dispose()
    out = {
        "scenario": f"{args.scenario}: {scenario['about']}",
        "arguments": vars(args),
        "machine": info,
        "seconds": round(wallclock.perf_counter() - started, 1),
        "figures": report(rows),
    }
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print_machine(info)
        print(f"scenario {out['scenario']}")
        print(
            f"backend {args.backend}, {args.days} days from seed {args.seed}, "
            f"{args.dist} service times, {args.rate or scenario['rate']:g} arrivals/h "
            f"over {args.hours:g} h, {out['seconds']} s"
        )
        print_report(out["figures"])
    return out


if __name__ == "__main__":
    main()
