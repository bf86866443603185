"""The period pages (manage/analytics.py): a day's figures from real moves, the service
filter, bad periods answered 400 in French, and a branch manager kept to their branch."""

import re

import pytest

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TODAY = "?period=day&start=2026-12-01"


@pytest.fixture
def day(make_hall, make_branch, make_service, make_user, frozen):
    """Tuesday 1 December at Plateau (org Banque A): deposits (A) and withdrawals (B);
    three A tickets and one B at 10:00, three of them served; a
    second branch, Médina, with one ticket; the org admin and Plateau's manager."""
    hall = make_hall(
        services=[("A", "Dépôts"), ("B", "Retraits")],
        staff=("agent", "branch_manager"),
        org="Banque A",
        name="Plateau",
    )
    medina = make_branch(hall.org, name="Médina")
    change = make_service(medina, "C", "Change")
    for _ in range(3):
        ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    ops.issue_ticket(hall.b, channel=Channel.WEB)
    ops.issue_ticket(change, channel=Channel.KIOSK)
    frozen.tick(minutes=12)
    for _ in range(3):  # three of the four, in the line's order
        ticket = ops.call_next(hall.counter, by=hall.agent)
        frozen.tick(minutes=1)
        ops.start_serving(ticket, by=hall.agent)
        frozen.tick(minutes=5)
        ops.finish(ticket, by=hall.agent)
    hall.medina, hall.change = medina, change
    hall.admin = make_user(role="org_admin", org=hall.org)
    return hall


def _tile(html: str, key: str) -> str:
    """The value shown on a KPI tile, without its unit."""
    found = re.search(
        rf'id="tile-{key}">\s*<h3>[^<]*</h3>\s*<p class="tile-value">([^<]*)<', html
    )
    assert found, key
    return found.group(1).strip()


def test_branch_page_shows_the_day_in_tiles_tables_and_charts(client, auth, day):
    auth.login(day.manager)
    response = client.get(f"/manage/branches/{day.branch.id}/analytics{TODAY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _tile(html, "issued") == "4"
    assert _tile(html, "served") == "3"
    services = _section(html, "table-by-service")  # one branch: no branch after names
    assert (
        "Dépôts" in services and "Retraits" in services and "(Plateau)" not in services
    )
    assert "Change" not in html  # Médina's service is not Plateau's
    assert 'id="table-by-branch"' not in html  # one branch: no per-branch table
    # The charts' sources: tables the script draws from, and the script itself.
    assert 'data-chart="line" data-series="issued served no_show"' in html
    assert 'data-chart="bar" data-series="tickets"' in html
    assert "js/charts" in html and "vendor/chart.umd.min" in html
    assert 'id="table-arrivals" class="analytics heat-map"' in html
    assert "Dans la fourchette" in html or "Aucun ticket appelé" in html


def test_organization_page_has_a_row_per_branch(client, auth, day):
    auth.login(day.admin)
    response = client.get(f"/manage/organizations/{day.org.id}/analytics{TODAY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _tile(html, "issued") == "5"
    table = html.split('id="table-by-branch"')[1].split("</table>")[0]
    assert "Plateau" in table and "Médina" in table


def test_default_period_is_yesterday_and_says_so(client, auth, day):
    auth.login(day.manager)
    html = client.get(f"/manage/branches/{day.branch.id}/analytics").get_data(
        as_text=True
    )
    assert "Lundi 30 novembre 2026" in html
    assert _tile(html, "issued") == "0"
    assert 'aria-current="page">Hier<' in html
    month = client.get(
        f"/manage/branches/{day.branch.id}/analytics?period=month&start=2026-12-01"
    ).get_data(as_text=True)
    assert 'aria-current="page">Ce mois<' in month


def test_service_filter_narrows_every_figure(client, auth, day):
    auth.login(day.manager)
    url = f"/manage/branches/{day.branch.id}/analytics{TODAY}&service={day.b.id}"
    html = client.get(url).get_data(as_text=True)
    assert _tile(html, "issued") == "1"
    services = _section(html, "table-by-service")
    assert "Retraits" in services and "Dépôts" not in services
    assert f'<option value="{day.b.id}" selected>' in html
    # The period links keep the service.
    assert f"service={day.b.id}" in html.split('class="quick-periods"')[1]


@pytest.mark.parametrize(
    "query,message",
    [
        ("?period=day&start=2026-13-01", "Cette date n&#39;est pas valable"),
        ("?period=fortnight", "Cette période n&#39;existe pas."),
        ("?period=range&start=2026-12-01", "Donnez le premier et le dernier jour"),
        ("?period=range&start=2026-12-02&end=2026-12-01", "est avant son début"),
        ("?period=range&start=2025-01-01&end=2026-12-01", "400 jours au plus"),
        ("?period=month&start=2027-01-01", "pas encore commencé"),
        ("?service=abc", "Ce service n&#39;existe pas."),
    ],
)
def test_bad_period_is_a_400_page_in_french(client, auth, day, query, message):
    auth.login(day.manager)
    response = client.get(f"/manage/branches/{day.branch.id}/analytics{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="period-error"' in html and message in html
    assert 'id="range-form"' in html  # the picker stays, to ask again


def test_branch_manager_cannot_see_another_branch(client, auth, day):
    auth.login(day.manager)
    assert client.get(f"/manage/branches/{day.medina.id}/analytics").status_code == 403
    assert (
        client.get(f"/manage/organizations/{day.org.id}/analytics").status_code == 403
    )
    # Another branch's service named on their own page: not found, nothing shown.
    url = f"/manage/branches/{day.branch.id}/analytics?service={day.change.id}"
    assert client.get(url).status_code == 404


def test_page_links_to_the_exports_of_the_same_period(client, auth, day):
    auth.login(day.manager)
    html = client.get(
        f"/manage/branches/{day.branch.id}/analytics?period=week&start=2026-12-01"
    ).get_data(as_text=True)
    exports = html.split('id="period-exports"')[1].split("</p>")[0]
    assert "export.xlsx?period=week&amp;start=2026-11-30" in exports
    assert "tickets.csv?period=week&amp;start=2026-11-30" in exports
    assert "export.csv?period=week&amp;start=2026-11-30&amp;table=by_service" in html


def _section(html: str, table_id: str) -> str:
    """The html of one table of the page, by its id."""
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def test_long_tables_show_their_busiest_rows_and_count_the_rest(
    client, auth, day, monkeypatch
):
    """A 50-branch bank's 400 agents and counters would make a 700 KiB page: the page
    shows the busiest PAGE_ROWS rows of such tables (here 1) and how many more the
    exports hold; every table is still there, the day-by-day ones whole."""
    from smartqueue.web.manage import analytics as page

    monkeypatch.setattr(page, "PAGE_ROWS", 1)
    auth.login(day.admin)
    html = client.get(f"/manage/organizations/{day.org.id}/analytics{TODAY}").get_data(
        as_text=True
    )
    for key in ("by-branch", "by-service", "tickets-by-day", "arrivals", "by-agent"):
        assert f'id="table-{key}"' in html, key
    branches = _section(html, "table-by-branch")
    assert "Plateau" in branches and "Médina" not in branches  # 4 tickets against 1
    services = _section(html, "table-by-service")
    assert "Dépôts" in services and "Retraits" not in services
    more = html.split('id="by-service-more"')[1].split("</p>")[0]
    assert "2 autres lignes dans l’export" in more  # Retraits and Change
    assert "table=by_service" in more and "export.xlsx" in more
    assert "1 autre ligne dans l’export" in html.split('id="by-branch-more"')[1]
    assert 'id="tickets-by-day-more"' not in html  # a chart's table stays whole


def test_a_year_page_shows_its_months(client, auth, day):
    auth.login(day.admin)
    html = client.get(
        f"/manage/organizations/{day.org.id}/analytics?period=year&start=2026-01-01"
    ).get_data(as_text=True)
    assert _tile(html, "issued") == "5"
    assert "Tickets par mois" in html and "Attentes par mois" in html
    tickets = html.split('id="table-tickets-by-day"')[1].split("</table>")[0]
    assert tickets.count("<tr><th") == 12 and "déc. 2026" in tickets
