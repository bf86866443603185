"""Manage area: a period's tables as CSV (one table) or XLSX (one table, or all of them
as sheets), and its tickets one per line as a CSV streamed while it is read (a month of a
large organization is a million rows: they never sit in memory).

The query string is the period pages' (period, start, end, service). The access check
(access.py) has loaded g.org or g.branch; the scope is built from them only, so a branch
manager's export never reaches past their branch."""

from datetime import date

from flask import Response, abort, g, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _

from ... import clock
from ...analytics import exports, queries
from ...analytics.periods import BadPeriod, Period, period_from
from ...analytics.report import Figures, PeriodReport, Scope
from ...analytics.tables import tables_for
from ...extensions import db
from ...models import Service
from ..errors import BadLink
from ..safety import parse_id
from . import bp

ALL_TABLES = "all"


def _period() -> Period:
    try:
        return period_from(request.args, clock.today())
    except BadPeriod as error:
        raise BadLink(str(error.message)) from None


def _service(branch_ids: set[int]) -> Service | None:
    """The service the query string narrows to, if any: one of the scope's, else 404."""
    raw = request.args.get("service", "").strip()
    if not raw:
        return None
    service_id = parse_id(raw)
    if service_id is None:
        raise BadLink(_("Ce service n'existe pas."))
    service = db.session.get(Service, service_id)
    if service is None or service.branch_id not in branch_ids:
        abort(404)  # another organization's or branch's
    return service


def _scope() -> tuple[Scope, str, bool]:
    """Whose figures the URL names: (scope, its name for file names, whether it spans
    branches)."""
    if "branch" in g:
        branch = g.branch
        service = _service({branch.id})
        scope = Scope(branch.organization_id, (branch.id,), service and service.id)
        name, many_branches = branch.name, False
    else:
        service = _service({branch.id for branch in g.org.branches})
        scope = Scope(g.org.id, None, service and service.id)
        name, many_branches = g.org.name, service is None
    if service is not None:
        name = f"{name} {service.name_fr}"
    return scope, name, many_branches


def _table_keys(with_branches: bool) -> set[str]:
    """The tables a period report has, whatever its figures (asked before reading them)."""
    empty = PeriodReport(date.min, date.min, Figures(), Figures())
    return {table.key for table in tables_for(empty, with_branches=with_branches)}


def _attachment(response: Response, filename: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export(fmt: str):
    period = _period()
    scope, name, many_branches = _scope()
    key = (request.args.get("table") or "").strip()
    if fmt == "csv" and key in ("", ALL_TABLES):
        raise BadLink(
            _(
                "Un fichier CSV contient un seul tableau : choisissez-le, ou "
                "téléchargez le classeur XLSX, qui les contient tous."
            )
        )
    if key not in ("", ALL_TABLES) and key not in _table_keys(many_branches):
        raise BadLink(_("Ce tableau n'existe pas."))
    end = min(period.end, clock.today())
    report = queries.period_report(
        scope, period.start, end, locale=str(get_locale() or "fr")
    )
    tables = tables_for(report, with_branches=many_branches)
    if key not in ("", ALL_TABLES):
        tables = [table for table in tables if table.key == key]
    label = key or ALL_TABLES
    if fmt == "csv":
        data, mimetype = exports.table_csv(tables[0]), exports.CSV_MIMETYPE
    else:
        data, mimetype = exports.tables_xlsx(tables), exports.XLSX_MIMETYPE
    filename = exports.filename(name, label, period.start, end, fmt)
    return _attachment(Response(data, mimetype=mimetype), filename)


def _tickets():
    period = _period()
    scope, name, _many = _scope()
    end = min(period.end, clock.today())
    rows = queries.ticket_rows(scope, period.start, end)
    chunks = exports.stream_csv(queries.TICKET_TITLES.values(), rows)
    response = Response(
        stream_with_context(chunks),
        mimetype=exports.CSV_MIMETYPE,
        direct_passthrough=True,
    )
    response.headers["X-Accel-Buffering"] = "no"  # a proxy passes chunks on at once
    filename = exports.filename(name, "tickets", period.start, end, "csv")
    return _attachment(response, filename)


@bp.get("/organizations/<int:org_id>/analytics/export.<any(csv, xlsx):fmt>")
def organization_analytics_export(org_id: int, fmt: str):
    return _export(fmt)


@bp.get("/branches/<int:branch_id>/analytics/export.<any(csv, xlsx):fmt>")
def branch_analytics_export(branch_id: int, fmt: str):
    return _export(fmt)


@bp.get("/organizations/<int:org_id>/analytics/tickets.csv")
def organization_analytics_tickets(org_id: int):
    return _tickets()


@bp.get("/branches/<int:branch_id>/analytics/tickets.csv")
def branch_analytics_tickets(branch_id: int):
    return _tickets()
