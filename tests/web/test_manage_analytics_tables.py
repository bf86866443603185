"""analytics.tables: a period report as the tables the pages show and the exports write."""

from datetime import date

import pytest
from babel import Locale, dates, numbers

from smartqueue.analytics.report import AgentRow, Figures, PeriodReport, Row
from smartqueue.analytics.tables import tables_for
from smartqueue.web.manage.analytics import CellFormat


def _report() -> PeriodReport:
    """A hand-made report of two days at one branch, two services."""
    totals = Figures(
        issued=30,
        served=24,
        cancelled=2,
        no_show=3,
        transferred=1,
        wait_mean_minutes=12.345,
        wait_p90_minutes=25,
        within_target=0.8333,
        service_mean_minutes=6.05,
        rating_n=4,
        rating_mean=4.25,
        ratings=(0, 0, 1, 1, 2),
    )
    previous = Figures(
        issued=20, served=18, wait_mean_minutes=15.0, wait_p90_minutes=30
    )
    deposits = Figures(
        issued=20, served=16, told_n=10, told_error_minutes=3.26, told_inside=0.7,
        appointments=4, appointments_kept=3, appointments_missed=1,
        rating_n=4, rating_mean=4.25, ratings=(0, 0, 1, 1, 2),
    )  # fmt: skip
    report = PeriodReport(
        start=date(2026, 12, 1),
        end=date(2026, 12, 2),
        totals=totals,
        previous=previous,
        by_branch=[Row(1, "Plateau", totals)],
        by_service=[
            Row(1, "Dépôts (Plateau)", deposits),
            Row(2, "Retraits (Plateau)", Figures(issued=10, served=8)),
        ],
        by_day=[
            Row(None, "2026-12-01", Figures(issued=18, served=15)),
            Row(None, "2026-12-02", Figures(issued=12, served=9)),
        ],
        channels={"kiosk": 20, "web": 10, "sms": 0},
        communes=[("Plateau", 3), ("Médina", 1)],
        by_agent=[AgentRow(7, "Awa Ndiaye", "Plateau", called=20, served=18)],
        by_counter=[AgentRow(3, "Guichet 1", "Plateau", called=20, served=18)],
        revenue_fcfa=15000,
    )
    report.arrivals[1][9] = 5  # a Tuesday at 9
    report.arrivals[2][14] = 2
    return report


def test_tables_for_keys_in_page_order(app):
    with app.test_request_context():
        keys = [t.key for t in tables_for(_report())]
    assert keys[:3] == ["summary", "by_branch", "by_service"]
    assert {"tickets_by_day", "waits_by_day", "arrivals", "channels"} <= set(keys)
    with app.test_request_context():
        assert "by_branch" not in [
            t.key for t in tables_for(_report(), with_branches=False)
        ]


def test_tables_rows_are_plain_rounded_values(app):
    with app.test_request_context():
        tables = {t.key: t for t in tables_for(_report())}
    summary = tables["summary"]
    assert summary.rows[0][1:] == (30, 20, 10)
    wait = summary.rows[5]
    assert wait[1:] == (12.3, 15.0, -2.7)
    assert summary.rows[-1][1] == 15000  # revenue, only when there is some
    assert summary.row_kinds[-1] == "fcfa"
    service = tables["by_service"]
    assert service.rows[0][0] == "Dépôts (Plateau)"
    assert tables["tickets_by_day"].rows[0][:3] == (date(2026, 12, 1), 18, 15)
    for table in tables.values():
        assert all(len(row) == len(table.columns) for row in table.rows), table.key
        for row in table.rows:
            assert all(
                v is None or isinstance(v, (str, int, float, date)) for v in row
            ), table.key


def test_tables_channels_skip_empty_and_share(app):
    with app.test_request_context():
        channels = {t.key: t for t in tables_for(_report())}["channels"]
    assert channels.rows == [("Borne", 20, 0.667), ("Web", 10, 0.333)]
    assert channels.chart == "bar"


def test_tables_heat_map_keeps_busy_hours_only(app):
    with app.test_request_context():
        arrivals = {t.key: t for t in tables_for(_report())}["arrivals"]
    assert [c.key for c in arrivals.columns] == ["weekday"] + [
        f"h{h}" for h in range(9, 15)
    ]
    assert arrivals.rows[1] == ("mardi", 5, 0, 0, 0, 0, 0)


def test_tables_estimates_ratings_appointments_only_services_with_data(app):
    with app.test_request_context():
        tables = {t.key: t for t in tables_for(_report())}
    assert tables["estimates"].rows == [("Dépôts (Plateau)", 10, 3.3, 0.7)]
    assert tables["ratings"].rows == [("Dépôts (Plateau)", 4, 4.25, 0, 0, 1, 1, 2)]
    assert tables["appointments"].rows == [("Dépôts (Plateau)", 4, 3, 1, 0.75)]


@pytest.mark.parametrize("locale", ["fr", "en", "wo"])
def test_cell_format_writes_what_babel_writes(locale):
    """The page's quick formatter gives Babel's text for every kind of value."""
    parsed = Locale.parse(locale)
    cell = CellFormat(parsed)
    for value in (0, 7, 1234, 1234567):
        assert cell(value, "count") == numbers.format_decimal(
            value, "#,##0", locale=parsed
        )
    for value in (0.0, 12.3, 1234.5):
        assert cell(value, "minutes") == numbers.format_decimal(
            value, "#,##0.0", locale=parsed
        )
    for value in (0.0, 0.667, 1.0):
        assert cell(value, "share") == numbers.format_percent(value, locale=parsed)
    for value in (4.2, 4.0, 4.5, 1.3):
        assert cell(value, "rating") == numbers.format_decimal(
            value, "0.0", locale=parsed
        )
    for day in (date(2026, 11, 16), date(2026, 12, 6)):
        assert cell(day, "date") == dates.format_date(day, "EEE d MMM", locale=parsed)
    assert cell(None, "minutes") == "–" and cell("Plateau", "text") == "Plateau"


def test_a_long_periods_rows_are_months(app):
    report = _report()
    report.by_day = [
        Row(None, "2026-11", Figures(issued=300, served=280)),
        Row(None, "2026-12", Figures(issued=30, served=24)),
    ]
    with app.test_request_context():
        tables = {t.key: t for t in tables_for(report)}
    tickets = tables["tickets_by_day"]
    assert str(tickets.title) == "Tickets par mois"
    assert str(tables["waits_by_day"].title) == "Attentes par mois"
    assert tickets.columns[0].kind == "month"
    assert tickets.rows[0][:3] == (date(2026, 11, 1), 300, 280)
    assert CellFormat(Locale.parse("fr"))(date(2026, 11, 1), "month") == "nov. 2026"
