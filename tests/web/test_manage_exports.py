"""Manage area: a period's tables as CSV and XLSX, and its tickets as a streamed CSV, for
an organization and for one branch, each within what its reader may see."""

import csv
import html
import io

import openpyxl
import pytest

from smartqueue.models import Channel, CounterStatus
from smartqueue.queueing import operations as ops
from tests.conftest import AuthActions, at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TWO_DAYS = "period=range&start=2026-12-01&end=2026-12-02"


@pytest.fixture
def bank(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """Banque de Thiès: Agence Thiès (3 tickets served on Tuesday 1 December) and
    Agence Médina (2 served on Wednesday 2, 1 cancelled), each with its manager, and an
    organization admin; the clock on Thursday 3 at 10:00."""
    org = make_org(name="Banque de Thiès")
    bank = {"org": org, "admin": make_user(role="org_admin", org=org)}
    for key, name, day, served in (("thies", "Agence Thiès", 1, 3), ("medina", "Agence Médina", 2, 2)):  # fmt: skip
        branch = make_branch(org, name=name)
        service = make_service(branch, "A", "Dépôts")
        counter = make_counter(branch, 1, [service])
        counter.status = CounterStatus.OPEN
        db.session.commit()
        agent = make_user(role="agent", branch=branch)
        frozen.set(at(day, 10))
        for _ in range(served):
            ops.issue_ticket(service, channel=Channel.KIOSK)
            frozen.tick(minutes=7)
            ticket = ops.call_next(counter, by=agent)
            ops.start_serving(ticket, by=agent)
            frozen.tick(minutes=4)
            ops.finish(ticket, by=agent)
        bank[key] = branch
        bank[f"{key}_service"] = service
        bank[f"{key}_manager"] = make_user(role="branch_manager", branch=branch)
    cancelled = ops.issue_ticket(bank["medina_service"], channel=Channel.WEB)
    ops.cancel_ticket(cancelled)
    frozen.set(at(3, 10))
    return bank


def _signed_in(app, user):
    client = app.test_client()
    AuthActions(client).login(user)
    return client


def _csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_xlsx_all_tables_one_sheet_each(app, bank):
    client = _signed_in(app, bank["admin"])
    response = client.get(
        f"/manage/organizations/{bank['org'].id}/analytics/export.xlsx?{TWO_DAYS}"
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=smartqueue-banque-de-thies-all-2026-12-01_2026-12-02.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[:3] == ["En bref", "Par agence", "Par service"]
    summary = {row[0]: row[1:] for row in book["En bref"].iter_rows(values_only=True)}
    assert summary["Tickets émis"] == (6, 0, 6)  # numbers, not text
    assert summary["Servis"][0] == 5
    by_branch = list(book["Par agence"].iter_rows(values_only=True))
    assert sorted(row[:3] for row in by_branch[1:]) == [
        ("Agence Médina", 3, 2),
        ("Agence Thiès", 3, 3),
    ]


def test_export_csv_one_table_with_bom_and_accents(app, bank):
    client = _signed_in(app, bank["admin"])
    response = client.get(
        f"/manage/organizations/{bank['org'].id}/analytics/export.csv"
        f"?{TWO_DAYS}&table=by_branch"
    )
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert (
        "filename=smartqueue-banque-de-thies-by-branch-2026-12-01_2026-12-02.csv"
        in (response.headers["Content-Disposition"])
    )
    rows = _csv_rows(response)
    assert rows[0][:3] == ["Agence", "Émis", "Servis"]
    assert sorted(row[:3] for row in rows[1:]) == [
        ["Agence Médina", "3", "2"],
        ["Agence Thiès", "3", "3"],
    ]


def test_export_of_a_branch_holds_only_that_branch(app, bank):
    client = _signed_in(app, bank["thies_manager"])
    response = client.get(
        f"/manage/branches/{bank['thies'].id}/analytics/export.csv"
        f"?{TWO_DAYS}&table=by_service"
    )
    assert response.status_code == 200
    rows = _csv_rows(response)
    assert len(rows) == 2
    assert rows[1][1:3] == ["3", "3"]


@pytest.mark.parametrize(
    "query,message",
    [
        (f"{TWO_DAYS}&table=nothing", "Ce tableau n'existe pas."),
        (TWO_DAYS, "un seul tableau"),
        (f"{TWO_DAYS}&table=all", "un seul tableau"),
        ("period=range&start=2026-12-02&end=2026-12-01&table=summary", "avant son"),
        ("period=day&start=2026-13-01&table=summary", "AAAA-MM-JJ"),
    ],
)
def test_export_refuses_what_it_cannot_read_with_a_message(app, bank, query, message):
    client = _signed_in(app, bank["admin"])
    response = client.get(
        f"/manage/organizations/{bank['org'].id}/analytics/export.csv?{query}"
    )
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_branch_manager_cannot_export_another_branch(app, bank):
    client = _signed_in(app, bank["thies_manager"])
    medina, org = bank["medina"].id, bank["org"].id
    for url in (
        f"/manage/branches/{medina}/analytics/export.xlsx?{TWO_DAYS}",
        f"/manage/branches/{medina}/analytics/export.csv?{TWO_DAYS}&table=summary",
        f"/manage/branches/{medina}/analytics/tickets.csv?{TWO_DAYS}",
        f"/manage/organizations/{org}/analytics/export.xlsx?{TWO_DAYS}",
        f"/manage/organizations/{org}/analytics/tickets.csv?{TWO_DAYS}",
    ):
        assert client.get(url).status_code == 403, url
    # Nor through a service of the other branch named in the query string.
    url = (
        f"/manage/branches/{bank['thies'].id}/analytics/tickets.csv"
        f"?{TWO_DAYS}&service={bank['medina_service'].id}"
    )
    assert client.get(url).status_code == 404


def test_ticket_export_streams_one_line_per_ticket(app, bank):
    client = _signed_in(app, bank["admin"])
    response = client.get(
        f"/manage/organizations/{bank['org'].id}/analytics/tickets.csv?{TWO_DAYS}"
    )
    assert response.status_code == 200
    assert response.is_streamed
    assert (
        "filename=smartqueue-banque-de-thies-tickets-2026-12-01_2026-12-02.csv"
        in (response.headers["Content-Disposition"])
    )
    text = response.get_data().decode("utf-8-sig")
    assert len(text.splitlines()) == 6 + 1  # a header and the 6 tickets
    assert len(_csv_rows(response)) == 6 + 1


def test_ticket_export_of_a_branch_or_a_day_holds_only_those(app, bank):
    client = _signed_in(app, bank["thies_manager"])
    thies = bank["thies"].id
    response = client.get(f"/manage/branches/{thies}/analytics/tickets.csv?{TWO_DAYS}")
    assert response.is_streamed
    rows = _csv_rows(response)
    assert len(rows) == 3 + 1
    assert all("Agence Thiès" in row for row in rows[1:])
    one_day = client.get(
        f"/manage/branches/{thies}/analytics/tickets.csv?period=day&start=2026-12-02"
    )
    assert len(_csv_rows(one_day)) == 1  # the header only: Thiès served on the 1st
