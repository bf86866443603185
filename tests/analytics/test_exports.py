"""analytics.exports: tables as CSV (BOM, accents, plain numbers) and XLSX (numbers as
numbers, dates as dates), and the streamed CSV; read back with csv and openpyxl."""

import csv
import io
from datetime import date, datetime, timezone
from itertools import count, islice

import openpyxl

from smartqueue.analytics import exports
from smartqueue.analytics.report import Figures, PeriodReport, Row
from smartqueue.analytics.tables import (
    COUNT,
    MINUTES,
    NUMBER,
    SHARE,
    TEXT,
    Column,
    Table,
    tables_for,
)


def _services() -> Table:
    return Table(
        "by_service",
        "Par service",
        [
            Column("name", "Service", TEXT),
            Column("served", "Servis", COUNT),
            Column("wait_mean", "Attente moy. (min)", MINUTES),
            Column("within_target", "Dans l’objectif", SHARE),
        ],
        [
            ("Dépôts (Thiès)", 12, 7.5, 0.833),
            ("Ouverture de compte (Médina)", 0, None, None),
            ('=HYPERLINK("http://x")', 1, 2.0, 1.0),
        ],
    )


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _read_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_table_csv_has_bom_accents_and_plain_numbers():
    rows = _read_csv(exports.table_csv(_services()))
    assert rows[0] == ["Service", "Servis", "Attente moy. (min)", "Dans l’objectif"]
    assert rows[1] == ["Dépôts (Thiès)", "12", "7.5", "0.833"]
    assert rows[2] == ["Ouverture de compte (Médina)", "0", "", ""]


def test_table_csv_keeps_a_formula_like_text_as_text():
    rows = _read_csv(exports.table_csv(_services()))
    assert rows[3][0] == '\'=HYPERLINK("http://x")'
    # Negative numbers are numbers, not formulas: written as they are.
    assert exports.csv_cell(-2.7) == "-2.7"


def test_csv_cell_dates_iso_and_times_in_dakar():
    assert exports.csv_cell(date(2026, 12, 1)) == "2026-12-01"
    moment = datetime(2026, 12, 1, 9, 5, 7, tzinfo=timezone.utc)
    assert exports.csv_cell(moment) == "2026-12-01 09:05:07"
    assert exports.csv_cell(None) == ""


def test_tables_xlsx_numbers_are_numbers_and_header_bold():
    book = _read_xlsx(exports.tables_xlsx([_services()]))
    sheet = book["Par service"]
    assert [c.value for c in sheet[1]] == [
        "Service",
        "Servis",
        "Attente moy. (min)",
        "Dans l’objectif",
    ]
    assert all(c.font.b for c in sheet[1])
    name, served, wait, share = sheet[2]
    assert name.value == "Dépôts (Thiès)"
    assert (served.value, served.data_type) == (12, "n")
    assert (wait.value, wait.data_type, wait.number_format) == (7.5, "n", "0.0")
    assert (share.value, share.number_format) == (0.833, "0.0%")
    assert [c.value for c in sheet[3]][1:] == [0, None, None]
    # A text that looks like a formula stays text.
    assert sheet["A4"].data_type == "s"
    assert sheet["A4"].value == '=HYPERLINK("http://x")'
    assert sheet.freeze_panes == "A2"


def test_tables_xlsx_dates_are_dates_and_summary_rows_keep_their_kind(app):
    report = PeriodReport(
        start=date(2026, 12, 1),
        end=date(2026, 12, 2),
        totals=Figures(issued=3, served=2, wait_mean_minutes=4.25, within_target=0.5),
        previous=Figures(),
        by_day=[
            Row(None, "2026-12-01", Figures(issued=2, served=1)),
            Row(None, "2026-12-02", Figures(issued=1, served=1)),
        ],
    )
    with app.test_request_context():
        tables = tables_for(report)
    book = _read_xlsx(exports.tables_xlsx(tables))
    assert len(book.sheetnames) == len(tables)  # one sheet per table
    by_day = book["Tickets par jour"]
    assert by_day["A2"].is_date
    assert by_day["A2"].value == datetime(2026, 12, 1)
    assert by_day["A2"].number_format == "yyyy-mm-dd"
    summary = book["En bref"]
    kinds = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert kinds["Tickets émis"].value == 3
    assert kinds["Attente moyenne (min)"].number_format == "0.0"
    assert kinds["Appelés dans l’objectif"].value == 0.5
    assert kinds["Appelés dans l’objectif"].number_format == "0.0%"
    assert summary["B1"].value == "Cette période"
    assert tables[0].columns[1].kind == NUMBER


def test_sheet_names_are_legal_and_unique():
    taken: set[str] = set()
    first = exports.sheet_name("Arrivées par jour de la semaine et par heure", taken)
    second = exports.sheet_name("Arrivées par jour de la semaine et par heure", taken)
    assert len(first) <= 31 and len(second) <= 31
    assert first != second and second.endswith("(2)")
    assert exports.sheet_name("Appel / début [min]: ?", set()) == "Appel début min"


def test_stream_csv_reads_rows_as_it_goes():
    """Its first chunks come out of an endless source: the rows are never gathered."""
    endless = ((n, f"A{n:03d}", "Médina") for n in count())
    chunks = exports.stream_csv(["N°", "Code", "Commune"], endless)
    first, second = islice(chunks, 2)
    assert first.startswith(b"\xef\xbb\xbf")
    assert first.decode("utf-8-sig") == "N°,Code,Commune\r\n"
    lines = second.decode("utf-8").splitlines()
    assert len(lines) == exports.STREAM_BATCH_ROWS
    assert lines[0] == "0,A000,Médina"


def test_stream_csv_of_n_rows_has_n_plus_one_lines():
    rows = [(n, n * 1.5, date(2026, 12, 1)) for n in range(2500)]
    data = b"".join(exports.stream_csv(["n", "x", "jour"], iter(rows)))
    read = _read_csv(data)
    assert len(read) == 2501
    assert read[-1] == ["2499", "3748.5", "2026-12-01"]


def test_filename_is_ascii_with_scope_table_and_period():
    name = exports.filename(
        "Agence Thiès", "by_service", date(2026, 11, 1), date(2026, 11, 30), "csv"
    )
    assert name == "smartqueue-agence-thies-by-service-2026-11-01_2026-11-30.csv"
