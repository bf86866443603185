"""A period report as tables: the same `Table`s are shown on the period pages (and drawn
as charts from there) and written by the exports (CSV, XLSX), so a figure reads the
same on screen and in a spreadsheet.

Rows hold plain values only: str, int, float or None (a figure without data), date.
Minutes are rounded to a tenth, shares (0..1) to a thousandth; what a column holds is
its `kind`, which the page and the exports use to format it.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import gettext as _

from .report import AgentRow, Figures, PeriodReport, Row

# What a column holds (the page's and the exports' formats follow it).
TEXT = "text"
DATE = "date"
MONTH = "month"  # a date, the month's first day (long periods' rows)
COUNT = "count"  # int
MINUTES = "minutes"  # float, minutes, a tenth
SHARE = "share"  # float, 0..1 (shown as a percentage)
RATING = "rating"  # float, 1..5, a hundredth
FCFA = "fcfa"  # int, francs CFA
NUMBER = "number"  # a mix of the above, one per row (the summary)


@dataclass(frozen=True)
class Column:
    key: str  # stable, for code and export headers' order (not shown)
    title: str  # in the reader's language
    kind: str = COUNT


@dataclass
class Table:
    """One table of a period report: a title, its columns, its rows of plain values."""

    key: str  # stable: the page's element id, the export's file name
    title: str
    columns: list[Column]
    rows: list[tuple]
    # How the page draws it ("line", "bar"), and which columns (keys); None: no chart.
    chart: str | None = None
    series: tuple[str, ...] = ()
    note: str | None = None  # a sentence under the table
    # Per row of the summary table: the kind of its values (NUMBER columns).
    row_kinds: list[str] = field(default_factory=list)

    # Rows left out on the page (page_table): they are in the exports.
    more: int = 0

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


# The page shows at most PAGE_ROWS rows of the tables that grow with the organization
# (a 50-branch bank has 400 agents: a 700 KiB page); the exports keep every row. Each
# such table's measure of how busy a row is (the rows shown are the busiest).
PAGE_ROWS = 25
BUSIEST_BY = {
    "by_branch": "issued",
    "by_service": "issued",
    "by_counter": "called",
    "by_agent": "called",
    "estimates": "told_n",
    "ratings": "rating_n",
    "appointments": "appointments",
    "communes": "tickets",
}


def page_table(table: Table, limit: int = PAGE_ROWS) -> Table:
    """The table as the page shows it: its `limit` busiest rows, in the table's order,
    and how many more the exports have. The day-by-day tables (charts) stay whole."""
    busy = BUSIEST_BY.get(table.key)
    if busy is None or len(table.rows) <= limit:
        return table
    column = table.column(busy)
    busiest = sorted(
        range(len(table.rows)), key=lambda i: -(table.rows[i][column] or 0)
    )[:limit]
    kept = [table.rows[i] for i in sorted(busiest)]
    return replace(table, rows=kept, more=len(table.rows) - len(kept))


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _rating(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def channel_names() -> dict[str, str]:
    """Channel values (models.Channel) as people read them (same msgids as web/labels)."""
    return {
        "mobile": _("Mobile"),
        "web": _("Web"),
        "sms": _("SMS"),
        "kiosk": _("Borne"),
        "counter": _("Guichet"),
        "phone": _("Téléphone"),
    }


def weekday_names() -> list[str]:
    return [
        _("lundi"),
        _("mardi"),
        _("mercredi"),
        _("jeudi"),
        _("vendredi"),
        _("samedi"),
        _("dimanche"),
    ]


# --- the tables -------------------------------------------------------------------------


def _summary(report: PeriodReport) -> Table:
    """The KPI tiles as a table: this period, the one before, the difference."""
    now, before = report.totals, report.previous
    lines = [
        (_("Tickets émis"), "issued", COUNT),
        (_("Servis"), "served", COUNT),
        (_("Absents"), "no_show", COUNT),
        (_("Annulés"), "cancelled", COUNT),
        (_("Transférés"), "transferred", COUNT),
        (_("Attente moyenne (min)"), "wait_mean_minutes", MINUTES),
        (_("Attente, 9 sur 10 au plus (min)"), "wait_p90_minutes", COUNT),
        (_("Appelés dans l’objectif"), "within_target", SHARE),
        (_("Durée moyenne de service (min)"), "service_mean_minutes", MINUTES),
        (_("Satisfaction moyenne (sur 5)"), "rating_mean", RATING),
    ]
    rounding = {COUNT: lambda v: v, MINUTES: _minutes, SHARE: _share, RATING: _rating}
    rows, kinds = [], []
    for title, name, kind in lines:
        value = rounding[kind](getattr(now, name))
        previous = rounding[kind](getattr(before, name))
        change = None
        if value is not None and previous is not None:
            change = rounding[kind](value - previous)
        rows.append((title, value, previous, change))
        kinds.append(kind)
    if report.revenue_fcfa is not None:
        rows.append((_("Recettes (FCFA)"), report.revenue_fcfa, None, None))
        kinds.append(FCFA)
    return Table(
        "summary",
        _("En bref"),
        [
            Column("indicator", _("Indicateur"), TEXT),
            Column("value", _("Cette période"), NUMBER),
            Column("previous", _("Période précédente"), NUMBER),
            Column("change", _("Écart"), NUMBER),
        ],
        rows,
        row_kinds=kinds,
    )


def _figure_columns() -> list[Column]:
    return [
        Column("issued", _("Émis")),
        Column("served", _("Servis")),
        Column("no_show", _("Absents")),
        Column("cancelled", _("Annulés")),
        Column("wait_mean", _("Attente moy. (min)"), MINUTES),
        Column("wait_p90", _("Attente 9/10 (min)"), COUNT),
        Column("within_target", _("Dans l’objectif"), SHARE),
        Column("service_mean", _("Service moy. (min)"), MINUTES),
        Column("rating_mean", _("Satisfaction"), RATING),
    ]


def _figure_values(f: Figures) -> tuple:
    return (
        f.issued,
        f.served,
        f.no_show,
        f.cancelled,
        _minutes(f.wait_mean_minutes),
        f.wait_p90_minutes,
        _share(f.within_target),
        _minutes(f.service_mean_minutes),
        _rating(f.rating_mean),
    )


def _by_name(key: str, title: str, name_title: str, rows: list[Row]) -> Table:
    return Table(
        key,
        title,
        [Column("name", name_title, TEXT), *_figure_columns()],
        [(row.name, *_figure_values(row.figures)) for row in rows],
    )


def _day(row: Row) -> date:
    # A long period's rows are months ("2026-11"), read as their first day.
    return date.fromisoformat(row.name if len(row.name) > 7 else row.name + "-01")


def _by_month(report: PeriodReport) -> bool:
    return bool(report.by_day) and len(report.by_day[0].name) == 7


def _day_column(report: PeriodReport) -> Column:
    if _by_month(report):
        return Column("day", _("Mois"), MONTH)
    return Column("day", _("Jour"), DATE)


def _tickets_by_day(report: PeriodReport) -> Table:
    return Table(
        "tickets_by_day",
        _("Tickets par mois") if _by_month(report) else _("Tickets par jour"),
        [
            _day_column(report),
            Column("issued", _("Émis")),
            Column("served", _("Servis")),
            Column("no_show", _("Absents")),
            Column("cancelled", _("Annulés")),
            Column("transferred", _("Transférés")),
        ],
        [
            (
                _day(r),
                r.figures.issued,
                r.figures.served,
                r.figures.no_show,
                r.figures.cancelled,
                r.figures.transferred,
            )
            for r in report.by_day
        ],
        chart="line",
        series=("issued", "served", "no_show"),
    )


def _waits_by_day(report: PeriodReport) -> Table:
    return Table(
        "waits_by_day",
        _("Attentes par mois") if _by_month(report) else _("Attentes par jour"),
        [
            _day_column(report),
            Column("wait_mean", _("Attente moyenne (min)"), MINUTES),
            Column("wait_p90", _("9 sur 10 au plus (min)"), COUNT),
            Column("within_target", _("Dans l’objectif"), SHARE),
            Column("service_mean", _("Service moyen (min)"), MINUTES),
        ],
        [
            (
                _day(r),
                _minutes(r.figures.wait_mean_minutes),
                r.figures.wait_p90_minutes,
                _share(r.figures.within_target),
                _minutes(r.figures.service_mean_minutes),
            )
            for r in report.by_day
        ],
        chart="line",
        series=("wait_mean", "wait_p90"),
    )


def _work_columns(name_title: str) -> list[Column]:
    return [
        Column("name", name_title, TEXT),
        Column("branch", _("Agence"), TEXT),
        Column("called", _("Appelés")),
        Column("served", _("Servis")),
        Column("no_show", _("Absents")),
        Column("service_mean", _("Service moy. (min)"), MINUTES),
        Column("call_to_start", _("Appel → début (min)"), MINUTES),
        Column("idle", _("Inactivité moy. (min)"), MINUTES),
    ]


def _work_values(row: AgentRow) -> tuple:
    return (
        row.name,
        row.branch_name,
        row.called,
        row.served,
        row.no_show,
        _minutes(row.service_mean_minutes),
        _minutes(row.call_to_start_mean_minutes),
        _minutes(row.idle_mean_minutes),
    )


def _by_counter(report: PeriodReport) -> Table:
    return Table(
        "by_counter",
        _("Par guichet"),
        _work_columns(_("Guichet")),
        [_work_values(r) for r in report.by_counter],
    )


def _by_agent(report: PeriodReport) -> Table:
    return Table(
        "by_agent",
        _("Par agent"),
        [
            *_work_columns(_("Agent")),
            Column("rating_n", _("Notes")),
            Column("rating_mean", _("Satisfaction"), RATING),
        ],
        [
            (*_work_values(r), r.rating_n, _rating(r.rating_mean))
            for r in report.by_agent
        ],
    )


def _arrival_hours(arrivals: list[list[int]]) -> range:
    """The hours with any arrival (first to last), or the usual opening hours."""
    busy = [h for h in range(24) if any(day[h] for day in arrivals)]
    return range(busy[0], busy[-1] + 1) if busy else range(8, 18)


def _arrivals(report: PeriodReport) -> Table:
    hours = _arrival_hours(report.arrivals)
    names = weekday_names()
    return Table(
        "arrivals",
        _("Arrivées par jour de la semaine et par heure"),
        [
            Column("weekday", _("Jour"), TEXT),
            *(Column(f"h{h}", _("%(hour)s h", hour=h)) for h in hours),
        ],
        [
            (names[weekday], *(report.arrivals[weekday][h] for h in hours))
            for weekday in range(7)
        ],
        note=_("Heures de Dakar ; chaque case compte les tickets émis."),
    )


def _channels(report: PeriodReport) -> Table:
    names = channel_names()
    total = sum(report.channels.values())
    ordered = sorted(report.channels.items(), key=lambda item: -item[1])
    return Table(
        "channels",
        _("Canaux"),
        [
            Column("channel", _("Canal"), TEXT),
            Column("tickets", _("Tickets")),
            Column("share", _("Part"), SHARE),
        ],
        [
            (names.get(value, value), count, _ratio(count, total))
            for value, count in ordered
            if count
        ],
        chart="bar",
        series=("tickets",),
    )


def _communes(report: PeriodReport) -> Table:
    total = sum(count for _name, count in report.communes)
    return Table(
        "communes",
        _("Communes d’origine"),
        [
            Column("commune", _("Commune"), TEXT),
            Column("tickets", _("Tickets")),
            Column("share", _("Part"), SHARE),
        ],
        [(name, count, _ratio(count, total)) for name, count in report.communes],
        note=_("Seulement les clients dont le trajet est connu."),
    )


def _appointments(report: PeriodReport) -> Table:
    return Table(
        "appointments",
        _("Rendez-vous"),
        [
            Column("service", _("Service"), TEXT),
            Column("appointments", _("Rendez-vous")),
            Column("kept", _("Honorés")),
            Column("missed", _("Manqués")),
            Column("kept_share", _("Part honorée"), SHARE),
        ],
        [
            (
                r.name,
                r.figures.appointments,
                r.figures.appointments_kept,
                r.figures.appointments_missed,
                _ratio(
                    r.figures.appointments_kept,
                    r.figures.appointments_kept + r.figures.appointments_missed,
                ),
            )
            for r in report.by_service
            if r.figures.appointments
        ],
    )


def _estimates(report: PeriodReport) -> Table:
    return Table(
        "estimates",
        _("Justesse des attentes annoncées"),
        [
            Column("service", _("Service"), TEXT),
            Column("told_n", _("Tickets")),
            Column("error", _("Écart moyen (min)"), MINUTES),
            Column("inside", _("Dans la fourchette"), SHARE),
        ],
        [
            (
                r.name,
                r.figures.told_n,
                _minutes(r.figures.told_error_minutes),
                _share(r.figures.told_inside),
            )
            for r in report.by_service
            if r.figures.told_n
        ],
        note=_(
            "Tickets appelés à qui une attente avait été annoncée : écart entre "
            "l’attente annoncée et l’attente réelle, et part des attentes réelles "
            "tombées dans la fourchette affichée."
        ),
    )


def _ratings(report: PeriodReport) -> Table:
    return Table(
        "ratings",
        _("Satisfaction par service"),
        [
            Column("service", _("Service"), TEXT),
            Column("rating_n", _("Notes")),
            Column("rating_mean", _("Moyenne"), RATING),
            *(Column(f"r{n}", _("%(n)s/5", n=n)) for n in range(1, 6)),
        ],
        [
            (
                r.name,
                r.figures.rating_n,
                _rating(r.figures.rating_mean),
                *r.figures.ratings,
            )
            for r in report.by_service
            if r.figures.rating_n
        ],
    )


def tables_for(report: PeriodReport, *, with_branches: bool = True) -> list[Table]:
    """Every table of a period report, in the page's order. `with_branches`: the
    per-branch table (an organization's page; a branch's own page has one row)."""
    tables = [_summary(report)]
    if with_branches:
        tables.append(
            _by_name("by_branch", _("Par agence"), _("Agence"), report.by_branch)
        )
    tables += [
        _by_name("by_service", _("Par service"), _("Service"), report.by_service),
        _tickets_by_day(report),
        _waits_by_day(report),
        _arrivals(report),
        _channels(report),
        _by_counter(report),
        _by_agent(report),
        _estimates(report),
        _ratings(report),
        _appointments(report),
        _communes(report),
    ]
    return tables
