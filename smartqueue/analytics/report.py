"""What a period's figures look like: the shapes `queries.period_report` returns and the
pages, charts and exports read. Plain data, no database."""

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Figures:
    """A period's figures for one scope (everything, a branch, a service, a day)."""

    issued: int = 0
    served: int = 0
    cancelled: int = 0
    no_show: int = 0
    transferred: int = 0
    expired: int = 0
    wait_mean_minutes: float | None = None  # exact (sums)
    wait_p90_minutes: int | None = None  # bounded: 9 in 10 were called within this
    service_mean_minutes: float | None = None
    service_p90_minutes: int | None = None
    within_target: float | None = None  # share of waits (0..1) within the target
    appointments: int = 0
    appointments_kept: int = 0
    appointments_missed: int = 0
    told_n: int = 0  # tickets told a wait at issue and called since
    told_error_minutes: float | None = None  # mean absolute error
    told_inside: float | None = None  # share (0..1) whose wait fell inside the range
    rating_n: int = 0
    rating_mean: float | None = None
    ratings: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # how many 1s..5s


@dataclass
class Row:
    """A named line of a table: a branch, a service, a day..."""

    id: int | None
    name: str
    figures: Figures


@dataclass
class AgentRow:
    """One agent's (or one counter's) work over the period."""

    id: int | None
    name: str
    branch_name: str
    called: int = 0
    served: int = 0
    no_show: int = 0
    service_mean_minutes: float | None = None
    call_to_start_mean_minutes: float | None = None
    idle_mean_minutes: float | None = None  # between a finish and the next call
    rating_n: int = 0
    rating_mean: float | None = None


@dataclass
class PeriodReport:
    """Everything a period page shows, for a scope (an organization, some branches)."""

    start: date
    end: date  # inclusive
    totals: Figures
    previous: Figures  # the period of the same length just before
    by_branch: list[Row] = field(default_factory=list)
    by_service: list[Row] = field(default_factory=list)  # name: "Service (Branch)"
    by_day: list[Row] = field(default_factory=list)  # id None, name = ISO date
    # arrivals[weekday][hour], weekday 0 = Monday, Dakar hours
    arrivals: list[list[int]] = field(
        default_factory=lambda: [[0] * 24 for _ in range(7)]
    )
    channels: dict[str, int] = field(default_factory=dict)  # Channel value -> tickets
    communes: list[tuple[str, int]] = field(default_factory=list)  # most first
    by_agent: list[AgentRow] = field(default_factory=list)
    by_counter: list[AgentRow] = field(default_factory=list)
    revenue_fcfa: int | None = None  # customers' completed payments, when any
    from_rollups_until: date | None = None  # the last day read from rollups, if any


@dataclass(frozen=True)
class Scope:
    """Whose figures: one organization's (all its branches, or only `branch_ids`), or the
    whole platform's (organization_id None, for the platform admin). The web layer builds
    it from what the person may see; the queries never widen it."""

    organization_id: int | None
    branch_ids: tuple[int, ...] | None = None  # None: every branch of the organization
    service_id: int | None = None  # narrow to one service
