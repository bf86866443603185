"""Exports of a period's figures: a table as CSV (UTF-8 with a BOM, so that Excel reads
the accents right), tables as an XLSX workbook (one sheet each), and the ticket-level CSV,
written row by row as it is read so that a million tickets never sit in memory.

A table is anything with `key`, `title`, `columns` (their headers) and `rows` (lists of
cells): the shape of `analytics/tables.py`, shared with the period pages. Cells are
written as they are: numbers stay numbers (a dot for decimals), dates ISO, times in
Dakar, `None` empty."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .. import clock
from . import tables

BOM = "\ufeff"
CSV_MIMETYPE = "text/csv"  # Flask adds "; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows per chunk of a streamed CSV: a few hundred kilobytes, not one write per row.
STREAM_BATCH_ROWS = 1000
# A spreadsheet runs a text cell that starts with one of these as a formula: a customer's
# comment "=HYPERLINK(...)" must stay text (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _local_naive(moment: datetime) -> datetime:
    """A stored UTC time as Dakar's wall clock (spreadsheets know no time zones)."""
    if moment.tzinfo is None:
        return moment
    return clock.local(moment).replace(tzinfo=None)


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value) -> str:
    """A cell as CSV text: numbers plain, dates ISO, times in Dakar, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the tables round; repr keeps what they hold, dot decimal
    if isinstance(value, datetime):
        return _local_naive(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    return _text(str(value))  # str() also renders lazy (translated) strings


def _csv_text(rows: Iterable[Iterable]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _headers(columns) -> list[str]:
    """Column titles: `tables.Column`s, or plain names (the ticket-level columns)."""
    return [
        str(column.title if isinstance(column, tables.Column) else column)
        for column in columns
    ]


def table_csv(table) -> bytes:
    """One table as a CSV file: a BOM, the headers, the rows."""
    text = _csv_text([_headers(table.columns), *table.rows])
    return (BOM + text).encode("utf-8")


def stream_csv(columns, rows: Iterable[Iterable]) -> Iterator[bytes]:
    """A CSV file in chunks, as `rows` yields them: never more than one chunk of rows
    in memory, whatever the number of rows."""
    yield (BOM + _csv_text([_headers(columns)])).encode("utf-8")
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= STREAM_BATCH_ROWS:
            yield _csv_text(batch).encode("utf-8")
            batch.clear()
    if batch:
        yield _csv_text(batch).encode("utf-8")


# Excel number formats by column kind (tables.py): the cell holds the number itself, a
# share stays 0..1 and is shown as a percentage.
KIND_FORMATS = {
    tables.MINUTES: "0.0",
    tables.SHARE: "0.0%",
    tables.RATING: "0.00",
    tables.FCFA: "#,##0",
    tables.COUNT: "0",
}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def _xlsx_cell(sheet, value, kind: str | None) -> WriteOnlyCell:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        value = _local_naive(value)
    elif value is not None and not isinstance(value, int | float | Decimal | date):
        value = str(value)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take "=..." for a formula
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif value is not None and kind in KIND_FORMATS:
        cell.number_format = KIND_FORMATS[kind]
    return cell


def _row_kinds(table, index: int) -> list[str | None]:
    """Each cell's kind: its column's, or its row's in a summary (NUMBER columns)."""
    row_kind = table.row_kinds[index] if index < len(table.row_kinds) else None
    kinds = []
    for column in table.columns:
        kind = getattr(column, "kind", None)
        kinds.append(row_kind if kind == tables.NUMBER else kind)
    return kinds


def sheet_name(title: str, taken: set[str]) -> str:
    """A title as a sheet name Excel accepts: 31 characters, none of []:*?/\\, unique."""
    name = " ".join(SHEET_NAME_FORBIDDEN.sub(" ", str(title)).split())
    name = name[:SHEET_NAME_MAX].strip() or "Feuille"
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def tables_xlsx(tables_: Iterable) -> bytes:
    """A workbook with one sheet per table: a bold header row, numbers as numbers (shares
    as percentages), dates as dates. Made in memory: a period's tables are small (the
    tickets go as CSV)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    for table in tables_:
        sheet = workbook.create_sheet(sheet_name(table.title, taken))
        headers = _headers(table.columns)
        for number, header in enumerate(headers, start=1):
            width = min(max(len(header) + 2, 10), 50)
            sheet.column_dimensions[get_column_letter(number)].width = width
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, header)
            cell.data_type = "s"
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for index, row in enumerate(table.rows):
            kinds = _row_kinds(table, index)
            sheet.append(
                [
                    _xlsx_cell(sheet, value, kind)
                    for value, kind in zip(row, kinds, strict=True)
                ]
            )
    if not workbook.worksheets:
        workbook.create_sheet("Feuille")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def slug(text: str) -> str:
    """ASCII words joined by dashes, for file names: "Agence Thiès" -> "agence-thies"."""
    ascii_text = (
        unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "export"


def filename(scope: str, table: str, start: date, end: date, extension: str) -> str:
    """smartqueue-<scope>-<table>-<start>_<end>.<extension>, ASCII only."""
    return (
        f"smartqueue-{slug(scope)}-{slug(table)}-"
        f"{start.isoformat()}_{end.isoformat()}.{extension}"
    )
