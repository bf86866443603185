"""A period's figures for a manager's scope (the period pages and exports read them), and
the period's tickets one by one (the ticket-level export).

Closed days rolled up are read from the rollup tables, summed in SQL (a year of 50
branches is ~90 000 rows, read in a few GROUP BYs); today and closed days not rolled up
yet come from `facts.day_facts`, the code that writes the rollups, as the same rows
folded the same way: the figures are equal whichever way a day is read.
"""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import (
    Branch,
    Commune,
    Counter,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    RollupRun,
    Service,
    Ticket,
    TicketRating,
    User,
)
from ..models.analytics import (
    AGENT_MONTH_SUMMED,
    BUCKETS,
    CHANNELS,
    agent_day,
    agent_month,
    arrivals_month,
    commune_day,
    commune_month,
    service_day,
    service_month,
)
from .buckets import p90_minutes
from .facts import DayFacts, branch_days_with_activity, branches_day_facts
from .report import AgentRow, Figures, PeriodReport, Row, Scope

# service_day's columns that are counts or sums (everything but the keys).
SUMMED = tuple(
    c.name
    for c in service_day.columns
    if c.name
    not in (
        "day",
        "service_id",
        "branch_id",
        "organization_id",
        "weekday",
        "target_wait_minutes",
    )
)
AGENT_SUMMED = (
    AGENT_MONTH_SUMMED  # agent_day's counts and sums, as the months keep them
)
HOURS = tuple(f"h{hour}" for hour in range(24))
# What a Figures is made of (not the hours, nor the channels).
FIGURE_COLUMNS = tuple(
    name
    for name in SUMMED
    if not name.startswith(("h", "ch_")) and name != "transfers_in"
)
# Summed per branch and service (the tables), per day (the days, and the arrivals by
# weekday and hour: a day has one weekday); each column is summed once.
SERVICE_SUMMED = tuple(name for name in SUMMED if name not in HOURS)
DAY_SUMMED = FIGURE_COLUMNS + HOURS
# Customers' payments to the organization counted as its revenue.
REVENUE_PURPOSES = (PaymentPurpose.APPOINTMENT_FEE, PaymentPurpose.TICKET_FEE)
HASH_WORK_MEM = "64MB"
# Periods longer than this are shown month by month, and their whole closed months are
# read from the month rollups (a year: ~3 000 rows instead of ~90 000).
LONGEST_BY_DAY = 92

# The ticket-level export's columns (keys) and their titles in the CSV's first line.
TICKET_TITLES = {
    "code": _l("Ticket"),
    "day": _l("Jour"),
    "branch": _l("Agence"),
    "service": _l("Service"),
    "channel": _l("Canal"),
    "status": _l("Statut"),
    "priority": _l("Priorité"),
    "arrived_at": _l("Arrivée"),
    "called_at": _l("Appel"),
    "serving_at": _l("Début du service"),
    "finished_at": _l("Fin"),
    "wait_s": _l("Attente (s)"),
    "service_s": _l("Durée du service (s)"),
    "counter": _l("Guichet"),
    "agent": _l("Agent"),
    "told_minutes": _l("Attente annoncée (min)"),
    "rating": _l("Note"),
}
TICKET_COLUMNS = tuple(TICKET_TITLES)


def _add(into: dict, row, columns) -> None:
    for name in columns:
        into[name] += row[name] or 0


def _sums() -> dict:
    return dict.fromkeys(SUMMED, 0)


def _agent_sums() -> dict:
    return dict.fromkeys(AGENT_SUMMED, 0)


@dataclass
class _Folded:
    """A period's sums, as the report's parts need them."""

    by_service: dict = field(default_factory=lambda: defaultdict(_sums))  # (b, s)
    by_day: dict = field(default_factory=lambda: defaultdict(_sums))
    agents: dict = field(default_factory=lambda: defaultdict(_agent_sums))  # (b, c, a)
    communes: dict = field(default_factory=lambda: defaultdict(int))
    rollups_until: date | None = None
    # Whole months read from the month rollups (long periods): their sums by month, and
    # their arrivals by weekday and hour (the days' are in by_day).
    by_month: dict = field(default_factory=lambda: defaultdict(_sums))
    arrivals: list = field(default_factory=lambda: [[0] * 24 for _ in range(7)])


def figures_of(sums: dict) -> Figures:
    """A Figures from summed rollup columns (means exact, p90 from the histograms)."""
    wait_n, service_n, told_n = sums["wait_n"], sums["service_n"], sums["told_n"]
    return Figures(
        issued=sums["issued"],
        served=sums["served"],
        cancelled=sums["cancelled"],
        no_show=sums["no_show"],
        transferred=sums["transferred"],
        expired=sums["expired"],
        wait_mean_minutes=sums["wait_sum_s"] / wait_n / 60 if wait_n else None,
        wait_p90_minutes=p90_minutes([sums[f"w{i}"] for i in range(BUCKETS)]),
        service_mean_minutes=(
            sums["service_sum_s"] / service_n / 60 if service_n else None
        ),
        service_p90_minutes=p90_minutes([sums[f"s{i}"] for i in range(BUCKETS)]),
        within_target=sums["within_target"] / wait_n if wait_n else None,
        appointments=sums["appointments"],
        appointments_kept=sums["appointments_kept"],
        appointments_missed=sums["appointments_missed"],
        told_n=told_n,
        told_error_minutes=(sums["told_error_sum_s"] / told_n / 60 if told_n else None),
        told_inside=sums["told_inside"] / told_n if told_n else None,
        rating_n=sums["rating_n"],
        rating_mean=sums["rating_sum"] / sums["rating_n"] if sums["rating_n"] else None,
        ratings=tuple(sums[f"r{i}"] for i in range(1, 6)),
    )


def _total(parts) -> dict:
    total = _sums()
    for sums in parts:
        _add(total, sums, SUMMED)
    return total


# --- which branches, which days -----------------------------------------------------------


def _branches(scope: Scope) -> dict[int, str]:
    """The scope's branches: id -> name (never wider than the scope says)."""
    query = select(Branch.id, Branch.name).order_by(Branch.name, Branch.id)
    if scope.organization_id is not None:
        query = query.where(Branch.organization_id == scope.organization_id)
    if scope.branch_ids is not None:
        query = query.where(Branch.id.in_(scope.branch_ids))
    if scope.service_id is not None:
        query = query.where(
            Branch.id
            == select(Service.branch_id)
            .where(Service.id == scope.service_id)
            .scalar_subquery()
        )
    return dict(db.session.execute(query).all())


def _where(table, scope: Scope, start: date, end: date) -> list:
    dated = table.c.month if "month" in table.c else table.c.day
    conditions = [dated.between(start, end)]
    if scope.organization_id is not None:
        conditions.append(table.c.organization_id == scope.organization_id)
    if scope.branch_ids is not None:
        conditions.append(table.c.branch_id.in_(scope.branch_ids))
    if scope.service_id is not None:
        conditions.append(table.c.service_id == scope.service_id)
    return conditions


def _unbuilt_with_activity(
    branch_ids: list[int], start: date, end: date, closed_end: date
) -> list[tuple[date, int]]:
    """(day, branch) pairs from start to end not read from rollups (today, days not
    rolled up yet) that had tickets or appointments."""
    built: dict[date, set[int]] = defaultdict(set)
    if closed_end >= start:
        in_scope = (
            RollupRun.day.between(start, closed_end),
            RollupRun.branch_id.in_(branch_ids),
        )
        # Counted per day first: a year all built is 365 small rows, not 365 x 50;
        # only the days not complete are asked which of their branches are built.
        complete, partial = set(), []
        for day, built_count in db.session.execute(
            select(RollupRun.day, func.count()).where(*in_scope).group_by(RollupRun.day)
        ):
            if built_count >= len(branch_ids):
                complete.add(day)
            else:
                partial.append(day)
        if partial:
            for day, branch_id in db.session.execute(
                select(RollupRun.day, RollupRun.branch_id).where(
                    *in_scope, RollupRun.day.in_(partial)
                )
            ):
                built[day].add(branch_id)
        for day in complete:
            built[day] = set(branch_ids)
    wanted = {}
    day = start
    while day <= end:
        wanted[day] = set(branch_ids) - (built[day] if day <= closed_end else set())
        day += timedelta(days=1)
    return sorted(branch_days_with_activity(wanted))


def _live_facts(branch_ids, start: date, end: date, closed_end: date):
    """DayFacts of the branch-days not read from rollups, one day at a time."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for day, branch_id in _unbuilt_with_activity(branch_ids, start, end, closed_end):
        by_day[day].append(branch_id)
    today = clock.today()
    for day, branches in sorted(by_day.items()):
        if day == today:
            yield from _todays_facts(day, branches)
        else:
            yield from branches_day_facts(day, branches).values()


# branch id -> (monotonic expiry, day, DayFacts): today's facts, counted at most once
# per ANALYTICS_TODAY_SECONDS per branch and process (the period pages; the live page
# reads its own figures at every change).
_today_cache: dict[int, tuple[float, date, DayFacts]] = {}


def _todays_facts(day: date, branch_ids: list[int]) -> list[DayFacts]:
    seconds = current_app.config.get("ANALYTICS_TODAY_SECONDS", 60)
    now = monotonic()
    kept = {}
    for branch_id in branch_ids:
        cached = _today_cache.get(branch_id)
        if cached is not None and cached[0] > now and cached[1] == day:
            kept[branch_id] = cached[2]
    missing = [b for b in branch_ids if b not in kept]
    if missing:
        for branch_id, facts in branches_day_facts(day, missing).items():
            kept[branch_id] = facts
            if seconds > 0:
                _today_cache[branch_id] = (now + seconds, day, facts)
    return [kept[b] for b in branch_ids]


# --- reading ------------------------------------------------------------------------------


def _month_end(month: date) -> date:
    return (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def _months(start: date, end: date) -> list[date]:
    """The first days of the months from start's to end's."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def _split(start: date, end: date):
    """((first, last) whole months inside start..end, or None; the day ranges left)."""
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    last = end.replace(day=1)
    if _month_end(last) != end:
        last = (last - timedelta(days=1)).replace(day=1)
    if first > last:
        return None, [(start, end)]
    ranges = [
        (start, first - timedelta(days=1)),
        (_month_end(last) + timedelta(1), end),
    ]
    return (first, last), [(a, b) for a, b in ranges if a <= b]


def _is_long(start: date, end: date) -> bool:
    return (end - start).days + 1 > LONGEST_BY_DAY


def _fold(scope: Scope, branch_ids: list[int], start: date, end: date) -> _Folded:
    """Sum a period's figures: rolled-up closed days in SQL (a long period's whole
    months from the month rollups), the rest from day_facts."""
    folded = _Folded()
    today = clock.today()
    by_month = _is_long(start, end)
    end = min(end, today)
    if end < start or not branch_ids:
        return folded
    closed_end = min(end, today - timedelta(days=1))
    if closed_end >= start:
        _fold_rollups(folded, scope, start, closed_end, by_month)
    for facts in _live_facts(branch_ids, start, end, closed_end):
        for row in facts.service_rows:
            if scope.service_id is None or row["service_id"] == scope.service_id:
                _fold_service_row(folded, row)
        for row in facts.agent_rows:
            if scope.service_id is None or row["service_id"] == scope.service_id:
                key = (row["branch_id"], row["counter_id"], row["agent_id"])
                _add(folded.agents[key], row, AGENT_SUMMED)
        for row in facts.commune_rows:
            if scope.service_id is None or row["service_id"] == scope.service_id:
                folded.communes[row["commune_id"]] += row["tickets"]
    return folded


def _fold_service_row(folded: _Folded, row) -> None:
    _add(folded.by_service[(row["branch_id"], row["service_id"])], row, SERVICE_SUMMED)
    _add(folded.by_day[row["day"]], row, DAY_SUMMED)


@contextmanager
def _hashed_aggregates():
    """PostgreSQL: room for the GROUP BYs to hash their groups. Its planner expects
    far more groups than a period has (a few thousand at most) and would sort the
    ~90 000 rows of a year instead, three times slower. For this transaction only."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = db.session.execute(
        select(
            func.current_setting("work_mem"),
            func.set_config("work_mem", HASH_WORK_MEM, True),
        )
    ).first()[0]
    try:
        yield
    finally:
        db.session.execute(select(func.set_config("work_mem", before, True)))


def _fold_rollups(
    folded: _Folded, scope: Scope, start: date, end: date, by_month: bool
) -> None:
    months, ranges = _split(start, end) if by_month else (None, [(start, end)])
    with _hashed_aggregates():
        if months is not None:
            _read_month_rollups(folded, scope, *months)
        for first, last in ranges:
            _read_rollups(folded, scope, first, last)


def _add_values(into: dict, columns, values) -> None:
    # The GROUP BYs' rows as plain tuples: zip is twice as fast as named lookups.
    for name, value in zip(columns, values, strict=False):
        into[name] += value


def _read_rollups(folded: _Folded, scope: Scope, start: date, end: date) -> None:
    where = _where(service_day, scope, start, end)
    # By branch and service: the branches' and services' tables, the channels.
    keys = (service_day.c.branch_id, service_day.c.service_id)
    for branch_id, service_id, *values in db.session.execute(
        select(*keys, *(func.sum(service_day.c[name]) for name in SERVICE_SUMMED))
        .where(*where)
        .group_by(*keys)
    ):
        _add_values(folded.by_service[(branch_id, service_id)], SERVICE_SUMMED, values)
    # By day: the days' table and charts, the arrivals.
    for day, *values in db.session.execute(
        select(service_day.c.day, *(func.sum(service_day.c[n]) for n in DAY_SUMMED))
        .where(*where)
        .group_by(service_day.c.day)
    ):
        _add_values(folded.by_day[day], DAY_SUMMED, values)
        folded.rollups_until = max(folded.rollups_until or day, day)

    keys = (agent_day.c.branch_id, agent_day.c.counter_id, agent_day.c.agent_id)
    for branch_id, counter_id, agent_id, *values in db.session.execute(
        select(*keys, *(func.sum(agent_day.c[name]) for name in AGENT_SUMMED))
        .where(*_where(agent_day, scope, start, end))
        .group_by(*keys)
    ):
        _add_values(
            folded.agents[(branch_id, counter_id, agent_id)], AGENT_SUMMED, values
        )

    for commune_id, tickets in db.session.execute(
        select(commune_day.c.commune_id, func.sum(commune_day.c.tickets))
        .where(*_where(commune_day, scope, start, end))
        .group_by(commune_day.c.commune_id)
    ):
        folded.communes[commune_id] += tickets


def _read_month_rollups(folded: _Folded, scope: Scope, first: date, last: date):
    """Whole months, first to last (first days), from the month rollups: the same
    sums _read_rollups makes of their days."""
    where = _where(service_month, scope, first, last)
    keys = (service_month.c.branch_id, service_month.c.service_id)
    for branch_id, service_id, *values in db.session.execute(
        select(*keys, *(func.sum(service_month.c[name]) for name in SERVICE_SUMMED))
        .where(*where)
        .group_by(*keys)
    ):
        _add_values(folded.by_service[(branch_id, service_id)], SERVICE_SUMMED, values)
    for month, *values in db.session.execute(
        select(
            service_month.c.month,
            *(func.sum(service_month.c[n]) for n in FIGURE_COLUMNS),
        )
        .where(*where)
        .group_by(service_month.c.month)
    ):
        _add_values(folded.by_month[month], FIGURE_COLUMNS, values)
    for weekday, *values in db.session.execute(
        select(
            arrivals_month.c.weekday, *(func.sum(arrivals_month.c[n]) for n in HOURS)
        )
        .where(*_where(arrivals_month, scope, first, last))
        .group_by(arrivals_month.c.weekday)
    ):
        for hour, value in enumerate(values):
            folded.arrivals[weekday][hour] += value
    # The last day rolled up in those months (the page says until when).
    until = db.session.scalar(
        select(func.max(service_day.c.day)).where(
            *_where(service_day, scope, first, _month_end(last))
        )
    )
    if until is not None:
        folded.rollups_until = max(folded.rollups_until or until, until)

    keys = (agent_month.c.branch_id, agent_month.c.counter_id, agent_month.c.agent_id)
    for branch_id, counter_id, agent_id, *values in db.session.execute(
        select(*keys, *(func.sum(agent_month.c[name]) for name in AGENT_SUMMED))
        .where(*_where(agent_month, scope, first, last))
        .group_by(*keys)
    ):
        _add_values(
            folded.agents[(branch_id, counter_id, agent_id)], AGENT_SUMMED, values
        )

    for commune_id, tickets in db.session.execute(
        select(commune_month.c.commune_id, func.sum(commune_month.c.tickets))
        .where(*_where(commune_month, scope, first, last))
        .group_by(commune_month.c.commune_id)
    ):
        folded.communes[commune_id] += tickets


def _totals_only(scope: Scope, branch_ids, start: date, end: date) -> dict:
    """A period's figures' sums over the whole scope (the previous period's)."""
    today = clock.today()
    end = min(end, today)
    by_month = _is_long(start, end)
    total = _sums()
    if end < start or not branch_ids:
        return total
    closed_end = min(end, today - timedelta(days=1))
    if closed_end >= start:
        months, ranges = (
            _split(start, closed_end) if by_month else (None, [(start, closed_end)])
        )
        parts = [(service_day, first, last) for first, last in ranges]
        if months is not None:
            parts.append((service_month, *months))
        for table, first, last in parts:
            values = db.session.execute(
                select(*(func.sum(table.c[name]) for name in FIGURE_COLUMNS)).where(
                    *_where(table, scope, first, last)
                )
            ).one()
            # No row at all: NULL sums.
            _add_values(total, FIGURE_COLUMNS, (value or 0 for value in values))
    for facts in _live_facts(branch_ids, start, end, closed_end):
        for row in facts.service_rows:
            if scope.service_id is None or row["service_id"] == scope.service_id:
                _add(total, row, FIGURE_COLUMNS)
    return total


# --- names --------------------------------------------------------------------------------


def _service_names(service_ids, locale: str) -> dict[int, str]:
    """Each service's name in the reader's language (French where it has none)."""
    if not service_ids:
        return {}
    return {
        service.id: service.name_for(locale)
        for service in db.session.scalars(
            select(Service).where(Service.id.in_(service_ids))
        )
    }


def _agent_names(user_ids) -> dict[int, str]:
    if not user_ids:
        return {}
    return {
        user_id: full_name or email
        for user_id, full_name, email in db.session.execute(
            select(User.id, User.full_name, User.email).where(User.id.in_(user_ids))
        )
    }


def _counter_names(counter_ids) -> dict[int, tuple[int, str]]:
    """Each counter's (number, label): "Guichet 3", or "Guichet 3 — Caisse" when named."""
    if not counter_ids:
        return {}
    names = {}
    # Translated once (a year's organization has 400 counters; a lookup each was 30 ms).
    template = str(_l("Guichet %(n)s"))
    for counter_id, number, name in db.session.execute(
        select(Counter.id, Counter.number, Counter.name).where(
            Counter.id.in_(counter_ids)
        )
    ):
        label = template % {"n": number}
        names[counter_id] = (number, f"{label} — {name}" if name else label)
    return names


def _agent_row(id, name, branch_name, sums: dict) -> AgentRow:
    def mean_minutes(total, n):
        return sums[total] / sums[n] / 60 if sums[n] else None

    return AgentRow(
        id=id,
        name=name,
        branch_name=branch_name,
        called=sums["called"],
        served=sums["served"],
        no_show=sums["no_show"],
        service_mean_minutes=mean_minutes("service_sum_s", "service_n"),
        call_to_start_mean_minutes=mean_minutes(
            "call_to_start_sum_s", "call_to_start_n"
        ),
        idle_mean_minutes=mean_minutes("idle_sum_s", "idle_n"),
        rating_n=sums["rating_n"],
        rating_mean=sums["rating_sum"] / sums["rating_n"] if sums["rating_n"] else None,
    )


def _people_rows(folded: _Folded, branches: dict[int, str]):
    """by_agent and by_counter: an agent's rows summed per branch, a counter's too."""
    by_agent: dict = defaultdict(_agent_sums)
    by_counter: dict = defaultdict(_agent_sums)
    for (branch_id, counter_id, agent_id), sums in folded.agents.items():
        _add(by_agent[(branch_id, agent_id)], sums, AGENT_SUMMED)
        _add(by_counter[(branch_id, counter_id)], sums, AGENT_SUMMED)
    agent_names = _agent_names([a for _, a in by_agent if a is not None])
    counter_names = _counter_names([c for _, c in by_counter if c is not None])
    gone = str(_l("(supprimé)"))
    agents = [
        _agent_row(a, agent_names.get(a, gone), branches.get(b, ""), sums)
        for (b, a), sums in by_agent.items()
    ]
    counters = [
        _agent_row(c, counter_names.get(c, (0, gone))[1], branches.get(b, ""), sums)
        for (b, c), sums in by_counter.items()
    ]
    # Most work first, then by name: the same order however the rows were read;
    # counters by number (Guichet 2 before Guichet 10).
    agents.sort(key=lambda r: (-r.called, r.branch_name, r.name, r.id or 0))
    counters.sort(
        key=lambda r: (
            r.branch_name,
            counter_names.get(r.id, (10**6, ""))[0],
            r.name,
            r.id or 0,
        )
    )
    return agents, counters


def _communes(folded: _Folded) -> list[tuple[str, int]]:
    counted = {c: n for c, n in folded.communes.items() if n}
    if not counted:
        return []
    names = dict(
        db.session.execute(
            select(Commune.id, Commune.name).where(Commune.id.in_(counted))
        ).all()
    )
    return sorted(
        ((names.get(c, "?"), n) for c, n in counted.items()),
        key=lambda item: (-item[1], item[0]),
    )


def _arrivals(folded: _Folded) -> list[list[int]]:
    """Arrivals by weekday (0 = Monday) and Dakar hour."""
    arrivals = [list(hours) for hours in folded.arrivals]
    for day, sums in folded.by_day.items():
        weekday = arrivals[day.weekday()]
        for hour, name in enumerate(HOURS):
            weekday[hour] += sums[name]
    return arrivals


def _dakar_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.DAKAR)


def _revenue(scope: Scope, branch_ids, start: date, end: date) -> int | None:
    """Customers' completed payments (deposits, ticket fees) in the period; None when
    there were none."""
    query = select(func.count(Payment.id), func.sum(Payment.amount_fcfa)).where(
        Payment.status == PaymentStatus.COMPLETED,
        Payment.purpose.in_(REVENUE_PURPOSES),
        Payment.completed_at >= _dakar_midnight(start),
        Payment.completed_at < _dakar_midnight(end + timedelta(days=1)),
    )
    if scope.organization_id is not None:
        query = query.where(Payment.organization_id == scope.organization_id)
    if scope.branch_ids is not None or scope.organization_id is None:
        query = query.where(Payment.branch_id.in_(branch_ids))
    if scope.service_id is not None:
        query = query.where(Payment.service_id == scope.service_id)
    count, total = db.session.execute(query).one()
    return int(total) if count else None


# --- the report ---------------------------------------------------------------------------


def period_report(
    scope: Scope, start: date, end: date, locale: str = "fr"
) -> PeriodReport:
    """Everything a period page shows for `scope`, from start to end (inclusive, Dakar
    days; days after today count nothing), with the period of the same length before.
    Services are named in `locale`; with the branch's name when there are several."""
    branches = _branches(scope)
    branch_ids = list(branches)
    folded = _fold(scope, branch_ids, start, end)

    length = (end - start).days + 1
    before_start = start - timedelta(days=length)
    previous = _totals_only(scope, branch_ids, before_start, start - timedelta(days=1))

    per_branch: dict[int, dict] = defaultdict(_sums)
    for (branch_id, _service_id), sums in folded.by_service.items():
        _add(per_branch[branch_id], sums, SUMMED)
    service_names = _service_names([s for _, s in folded.by_service], locale)
    several = len({branch_id for branch_id, _ in folded.by_service}) > 1
    by_service = [
        Row(
            service_id,
            f"{service_names.get(service_id, '?')} ({branches.get(branch_id, '?')})"
            if several
            else service_names.get(service_id, "?"),
            figures_of(sums),
        )
        for (branch_id, service_id), sums in folded.by_service.items()
    ]
    by_service.sort(key=lambda row: (row.name, row.id))

    by_day = []
    last = min(end, clock.today())
    if _is_long(start, end):
        # Month by month ("2026-11"): the month rollups' sums and the days read alone.
        by_month: dict = defaultdict(_sums)
        for month, sums in folded.by_month.items():
            _add(by_month[month], sums, FIGURE_COLUMNS)
        for day, sums in folded.by_day.items():
            _add(by_month[day.replace(day=1)], sums, FIGURE_COLUMNS)
        for month in _months(start, last):
            by_day.append(Row(None, f"{month:%Y-%m}", figures_of(by_month[month])))
    else:
        day = start
        while day <= last:
            by_day.append(Row(None, day.isoformat(), figures_of(folded.by_day[day])))
            day += timedelta(days=1)

    totals = _total(folded.by_service.values())
    channels = {channel: totals[f"ch_{channel}"] for channel in CHANNELS}
    by_agent, by_counter = _people_rows(folded, branches)
    return PeriodReport(
        start=start,
        end=end,
        totals=figures_of(totals),
        previous=figures_of(previous),
        by_branch=[
            Row(branch_id, name, figures_of(per_branch[branch_id]))
            for branch_id, name in branches.items()
            if branch_id in per_branch
        ],
        by_service=by_service,
        by_day=by_day,
        arrivals=_arrivals(folded),
        channels=channels,
        communes=_communes(folded),
        by_agent=by_agent,
        by_counter=by_counter,
        revenue_fcfa=_revenue(scope, branch_ids, start, end) if branch_ids else None,
        from_rollups_until=folded.rollups_until,
    )


# --- tickets one by one -------------------------------------------------------------------


def _seconds_between(later, earlier) -> int | None:
    if later is None or earlier is None:
        return None
    return int((later - earlier).total_seconds())


def ticket_rows(scope: Scope, start: date, end: date) -> Iterator[tuple]:
    """The period's tickets, one tuple each in TICKET_COLUMNS' order, streamed from the
    database (a server-side cursor, 1 000 at a time): a month is never held whole."""
    query = (
        select(
            Ticket.code,
            Ticket.day,
            Branch.name,
            Service.name_fr,
            Ticket.channel,
            Ticket.status,
            Ticket.priority,
            Ticket.arrived_at,
            Ticket.called_at,
            func.coalesce(Ticket.first_called_at, Ticket.called_at).label("first_call"),
            Ticket.serving_at,
            Ticket.finished_at,
            Counter.number,
            User.full_name,
            User.email,
            Ticket.told_minutes,
            TicketRating.rating,
        )
        .join(Branch, Branch.id == Ticket.branch_id)
        .join(Service, Service.id == Ticket.service_id)
        .outerjoin(Counter, Counter.id == Ticket.counter_id)
        .outerjoin(User, User.id == Ticket.agent_id)
        .outerjoin(TicketRating, TicketRating.ticket_id == Ticket.id)
        .where(Ticket.day.between(start, end))
        .order_by(Ticket.day, Branch.name, Ticket.arrived_at, Ticket.id)
    )
    if scope.organization_id is not None:
        query = query.where(Branch.organization_id == scope.organization_id)
    if scope.branch_ids is not None:
        query = query.where(Ticket.branch_id.in_(scope.branch_ids))
    if scope.service_id is not None:
        query = query.where(Ticket.service_id == scope.service_id)
    result = db.session.execute(query.execution_options(yield_per=1000))
    try:
        for row in result:
            served = row.status.value == "served"
            yield (
                row.code,
                row.day,
                row.name,
                row.name_fr,
                row.channel.value,
                row.status.value,
                row.priority.value,
                row.arrived_at,
                row.called_at,
                row.serving_at,
                row.finished_at,
                _seconds_between(row.first_call, row.arrived_at),
                _seconds_between(row.finished_at, row.serving_at) if served else None,
                row.number,
                row.full_name or row.email,
                row.told_minutes,
                row.rating,
            )
    finally:
        result.close()
