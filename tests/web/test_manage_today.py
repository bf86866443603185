"""The "today, live" pages: the whole page with its socket's address and a refresh link,
or the fragment alone to htmx (its every-minute refresh)."""

import pytest

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops

pytestmark = pytest.mark.backends("sqlite")


def test_today_page_or_its_fragment(client, auth, make_hall):
    hall = make_hall(staff=("branch_manager",), name="Agence Plateau")
    ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    auth.login(hall.manager)
    path = f"/manage/branches/{hall.branch.id}/today"

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'ws-connect="/ws{path}"' in html
    assert f'<a href="{path}" id="today-refresh">' in html
    assert f'id="today-service-{hall.a.id}"' in html

    fragment = client.get(path, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.startswith('<section id="today-live"')
    assert "<html" not in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
