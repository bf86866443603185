"""Manage area: a period's figures (a day, a week, a month, a year, a range of Dakar
days) for an organization or one of its branches, optionally one service: KPI tiles
against the period before, then the tables of `analytics.tables`, which the page's
script draws as charts (the tables stay: they are the figures with scripts off).

Who sees what is the blueprint's access check (access.py): an organization's page for its
admins and the platform's, a branch's page for its managers too."""

from dataclasses import dataclass
from datetime import date, timedelta

from babel import Locale
from flask import abort, g, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from ... import clock
from ...analytics import queries as analytics_queries
from ...analytics import ratings
from ...analytics.periods import BadPeriod, Period, month_of, period_from, year_of
from ...analytics.report import Figures, Scope
from ...analytics.tables import (
    DATE,
    NUMBER,
    PAGE_ROWS,
    TEXT,
    Table,
    page_table,
    tables_for,
)
from ...orgs import queries as org_queries
from ..safety import parse_id
from . import bp

# The KPI tiles: (Figures attribute, label, kind, which way is better: 1 up, -1 down,
# 0 neither).
TILES = (
    ("issued", _l("Tickets émis"), "count", 0),
    ("served", _l("Servis"), "count", 1),
    ("no_show", _l("Absents"), "count", -1),
    ("cancelled", _l("Annulés"), "count", -1),
    ("wait_mean_minutes", _l("Attente moyenne"), "minutes", -1),
    ("wait_p90_minutes", _l("9 sur 10 ont attendu au plus"), "minutes", -1),
    ("within_target", _l("Appelés dans l’objectif"), "share", 1),
    ("service_mean_minutes", _l("Durée moyenne de service"), "minutes", 0),
    ("rating_mean", _l("Satisfaction"), "rating", 1),
)


@dataclass
class Tile:
    key: str
    label: str
    kind: str
    value: float | int | None
    previous: float | int | None
    better: int

    @property
    def change(self) -> float | int | None:
        if self.value is None or self.previous is None:
            return None
        change = self.value - self.previous
        return round(change, 3) if isinstance(change, float) else change

    @property
    def trend(self) -> str:
        """ "good", "bad" or "flat" (no change, or no better way), for the arrow's colour."""
        change = self.change
        if not change or not self.better:
            return "flat"
        return "good" if (change > 0) == (self.better > 0) else "bad"


class CellFormat:
    """A table's values as the page shows them, in the reader's locale: `cell(value,
    kind)`. A year's page has ~4 000 cells and Babel's format_* cost ~50 µs each (200 ms
    a page), so the locale's symbols and names are read once per page and the numbers
    formatted by Python: the same text as Babel's patterns #,##0 / #,##0.0 / the
    locale's percent, and dates as "EEE d MMM"."""

    def __init__(self, locale: Locale):
        symbols = locale.number_symbols["latn"]
        self.decimal, self.group = symbols["decimal"], symbols["group"]
        pattern = locale.percent_formats[None].pattern
        self.percent_before = pattern[: pattern.index("#")].replace(
            "%", symbols["percentSign"]
        )
        self.percent_after = pattern[pattern.rindex("0") + 1 :].replace(
            "%", symbols["percentSign"]
        )
        self.weekdays = locale.days["format"]["abbreviated"]
        self.months = locale.months["format"]["abbreviated"]

    def number(self, value: float, decimals: int) -> str:
        text = f"{value:,.{decimals}f}"
        return (
            text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.group)
        )

    def __call__(self, value, kind: str) -> str:
        if value is None:
            return "–"
        if kind == "text":
            return value
        if kind == "date":
            weekday, month = self.weekdays[value.weekday()], self.months[value.month]
            return f"{weekday} {value.day} {month}"
        if kind == "month":
            return f"{self.months[value.month]} {value.year}"
        if kind == "minutes":
            return self.number(value, 1)
        if kind == "share":
            return (
                self.percent_before + self.number(value * 100, 0) + self.percent_after
            )
        if kind == "rating":  # one decimal, as the satisfaction part writes it
            return self.number(value, 1)
        return self.number(value, 0)


def format_change(tile: "Tile") -> str:
    """A tile's difference with the period before, signed (shares in points)."""
    change = tile.change
    if change is None:
        return ""
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    size = abs(change)
    if tile.kind == "share":
        return _(
            "%(sign)s%(points)s pts",
            sign=sign,
            points=format_decimal(size * 100, "#,##0"),
        )
    if tile.kind == "minutes":
        return _(
            "%(sign)s%(minutes)s min",
            sign=sign,
            minutes=format_decimal(size, "#,##0.#"),
        )
    if tile.kind == "rating":
        return sign + format_decimal(size, "0.0#")
    return sign + format_decimal(size, "#,##0")


HEAT_LEVELS = 6


def heat_level(value: int, top: int) -> int:
    """The shade of a heat map cell, 0 (none) to HEAT_LEVELS (the busiest hour)."""
    if not value or not top:
        return 0
    return max(1, round(HEAT_LEVELS * value / top))


def table_rows(table: Table, cell: CellFormat) -> Markup:
    """The <tr>s of a table's body: its first column a row header, the others each with
    their raw value in data-value (the charts read it), the heat map's cells shaded.
    Written here rather than in a template loop: a large organization's year is about
    13 000 cells, which a Jinja loop renders in ~170 ms and this in a fraction."""
    heat = table.key == "arrivals"
    top = max((v for row in table.rows for v in row[1:]), default=0) if heat else 0
    kinds = [column.kind for column in table.columns]
    lines = []
    for index, row in enumerate(table.rows):
        parts = ['<tr><th scope="row">', escape(cell(row[0], kinds[0])), "</th>"]
        for value, kind in zip(row[1:], kinds[1:], strict=True):
            if kind == NUMBER:
                kind = table.row_kinds[index]
            text = escape(cell(value, kind))
            if kind in (TEXT, DATE):
                parts.append(f"<td>{text}</td>")
                continue
            shade = f" heat-{heat_level(value, top)}" if heat else ""
            raw = "" if value is None else value
            parts.append(f'<td class="num{shade}" data-value="{raw}">{text}</td>')
        parts.append("</tr>")
        lines.append("".join(parts))
    return Markup("\n".join(lines))


def _tiles(now: Figures, before: Figures) -> list[Tile]:
    return [
        Tile(key, str(label), kind, getattr(now, key), getattr(before, key), better)
        for key, label, kind, better in TILES
    ]


def _quick_links(today: date) -> list[tuple[str, dict]]:
    """The periods a manager asks for most, as the query strings that the pages'
    periods write (so that the one shown is marked as the current link)."""
    yesterday = today - timedelta(days=1)
    last_month = month_of(today.replace(day=1) - timedelta(days=1))
    return [
        (_("Hier"), Period("day", yesterday, yesterday).query()),
        (_("Cette semaine"), period_from({"period": "week"}, today).query()),
        (_("Ce mois"), month_of(today).query()),
        (_("Mois dernier"), last_month.query()),
        (_("Cette année"), year_of(today).query()),
    ]


def _next(period: Period, today: date) -> Period | None:
    """The period of the same kind just after, if it has begun."""
    after = period.end + timedelta(days=1)
    args = {"period": period.kind, "start": after.isoformat()}
    if period.kind == "range":
        args["end"] = (after + timedelta(days=period.days - 1)).isoformat()
    try:
        return period_from(args, today)
    except BadPeriod:
        return None


def _service_choice(services) -> tuple[int | None, str | None]:
    """The service the query string narrows to (an id among `services`), or a message
    for a value that names none of them."""
    raw = request.args.get("service", "").strip()
    if not raw:
        return None, None
    service_id = parse_id(raw)
    if service_id is None:
        return None, _("Ce service n'existe pas.")
    if service_id not in {s.id for s in services}:
        abort(404)  # another organization's or branch's: not a page of this one
    return service_id, None


def _period_page(scope: Scope, services, *, org, branch=None):
    today = clock.today()
    service_id, error = _service_choice(services)

    def period_url(query: dict) -> str:
        """This page for another period, the same service."""
        narrowed = {"service": service_id} if service_id else {}
        return url_for(request.endpoint, **request.view_args, **query, **narrowed)

    period = None
    if error is None:
        try:
            period = period_from(request.args, today)
        except BadPeriod as refused:
            error = str(refused)
    context = dict(
        org=org,
        branch=branch,
        services=services,
        service_id=service_id,
        quick_links=_quick_links(today),
        today=today,
        period=period,
        args=request.args,
        error=error,
        period_url=period_url,
        cell=CellFormat(get_locale()),
        change=format_change,
        table_rows=table_rows,
    )
    if error is not None:
        return render_template("manage/analytics.html", **context), 400
    end = min(period.end, today)
    scope = Scope(scope.organization_id, scope.branch_ids, service_id)
    report = analytics_queries.period_report(
        scope, period.start, end, locale=str(get_locale() or "fr")
    )
    many_branches = branch is None and service_id is None
    return render_template(
        "manage/analytics.html",
        **context,
        end=end,
        report=report,
        tiles=_tiles(report.totals, report.previous),
        tables={
            t.key: page_table(t, PAGE_ROWS)
            for t in tables_for(report, with_branches=many_branches)
        },
        satisfaction=ratings.satisfaction(report, scope),
        page_rows=PAGE_ROWS,
        rating_words=ratings.rating_words(),
        export_url=_export_url(branch, period, service_id),
        compared_from=period.start - (end - period.start) - timedelta(days=1),
        compared_to=period.start - timedelta(days=1),
        next_period=_next(period, today),
    )


def _export_url(branch, period: Period, service_id: int | None):
    """A function giving the exports' links for this page's period and service:
    export_url("csv", "by_day"), export_url("xlsx"), export_url("tickets")."""
    scope = "branch" if branch is not None else "organization"
    tables = f"manage.{scope}_analytics_export"  # manage/exports.py
    tickets = f"manage.{scope}_analytics_tickets"
    query = dict(request.view_args, **period.query())
    if service_id:
        query["service"] = service_id

    def export_url(fmt: str, table: str | None = None) -> str:
        if fmt == "tickets":
            return url_for(tickets, **query)
        return url_for(tables, fmt=fmt, **query, **({"table": table} if table else {}))

    return export_url


@bp.get("/organizations/<int:org_id>/analytics")
def organization_analytics(org_id: int):
    branches = org_queries.list_branches(g.org.id)
    services = [s for b in branches for s in sorted(b.services, key=lambda s: s.prefix)]
    return _period_page(Scope(g.org.id), services, org=g.org)


@bp.get("/branches/<int:branch_id>/analytics")
def branch_analytics(branch_id: int):
    branch = g.branch
    return _period_page(
        Scope(branch.organization_id, (branch.id,)),
        org_queries.list_services(branch.id),
        org=g.org,
        branch=branch,
    )
