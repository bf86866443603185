"""The counter screen with two agents, calls out of turn, the recall count on the buttons,
and a counter without services refused (issue 17, "Agents")."""

import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from smartqueue.extensions import db as _db
from smartqueue.models import Channel, Counter, CounterStatus, Ticket, TicketStatus
from smartqueue.queueing import operations
from tests.scenarios import OPENING

HTMX = {"HX-Request": "true"}


@pytest.fixture
def desk(make_hall):
    """Branch Plateau with services A, B; counter 1 (A+B, closed); two agents, a manager."""
    desk = make_hall(
        services=[("A", OPENING), ("B", "Dépôt et retrait")],
        opened=(),
        staff=(
            {"role": "agent", "full_name": "Awa Diop"},
            {"role": "agent", "full_name": "Moussa Fall"},
            "branch_manager",
        ),
        name="Plateau",
    )
    desk.awa, desk.moussa = desk.staff[:2]
    return desk


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def url(desk, action: str = "") -> str:
    return f"/agent/counters/{desk.counter.id}" + (f"/{action}" if action else "")


def issue(service) -> Ticket:
    return operations.issue_ticket(service, channel=Channel.KIOSK)


def button(page: str, endpoint: str) -> str:
    """The <button> of one action form of the panel."""
    form = page[page.index(f"act-{endpoint}") :]
    return form[form.index("<button") : form.index("</button>")]


def holder(desk):
    _db.session.expire_all()
    return _db.session.get(Counter, desk.counter.id).agent_id


def test_agent_counters_list_shows_who_holds_each_counter(client, auth, desk):
    auth.login(desk.awa)
    assert client.post(url(desk, "open")).status_code == 303
    assert holder(desk) == desk.awa.id
    mine = text(client.get("/agent/"))
    assert "Vous depuis 10:00" in mine
    auth.logout()

    auth.login(desk.moussa)
    page = text(client.get("/agent/"))
    card = page[page.index(f'id="pick-counter-{desk.counter.id}"') :].split("</li>")[0]
    assert "Awa Diop depuis 10:00" in card and "Voir et prendre" in card
    # A link to the screen, where taking over is a button of its own: no open form.
    assert f'href="{url(desk)}"' in card and "agent.open_counter" not in card
    assert f'action="{url(desk, "open")}"' not in card


def test_agent_counters_second_agent_is_refused_until_taking_over(client, auth, desk):
    issue(desk.a)
    operations.set_counter_status(desk.counter, CounterStatus.OPEN, by=desk.awa)
    called = operations.call_next(desk.counter, by=desk.awa)
    auth.login(desk.moussa)

    page = text(client.get(url(desk)))
    assert "Awa Diop tient ce guichet depuis 10:00" in page
    assert "Prendre ce guichet" in page
    for endpoint in ("call-next", "finish", "recall", "start", "no-show"):
        assert " disabled" in button(page, endpoint), endpoint
    # Pressed anyway (a stale page, a script): refused with the reason, nothing moves.
    for action in ("call", "finish", "recall", "start", "pause", "close", "transfer"):
        data = {"ticket": called.id, "service_id": desk.b.id}
        response = client.post(url(desk, action), data=data, headers=HTMX)
        assert response.status_code == 409, action
        assert "Awa Diop tient ce guichet" in text(response), action
    _db.session.expire_all()
    assert _db.session.get(Ticket, called.id).status is TicketStatus.CALLED
    assert holder(desk) == desk.awa.id

    assert client.post(url(desk, "take-over")).status_code == 303
    assert holder(desk) == desk.moussa.id
    page = text(client.get(url(desk)))
    assert "Prendre ce guichet" not in page and " disabled" not in button(
        page, "finish"
    )
    assert (
        client.post(url(desk, "finish"), data={"ticket": called.id}).status_code == 303
    )


def test_agent_counters_first_agent_sees_the_takeover_and_is_refused(
    client, auth, desk
):
    issue(desk.a)
    operations.set_counter_status(desk.counter, CounterStatus.OPEN, by=desk.awa)
    called = operations.call_next(desk.counter, by=desk.awa)
    operations.take_over_counter(desk.counter, by=desk.moussa)
    auth.login(desk.awa)

    page = text(client.get(url(desk)))
    assert "Moussa Fall a pris ce guichet à 10:00" in page
    response = client.post(
        url(desk, "finish"), data={"ticket": called.id}, headers=HTMX
    )
    assert response.status_code == 409
    assert "Moussa Fall tient ce guichet depuis 10:00" in text(response)
    # With no ticket at the counter the refusal names the holder too (not "no ticket").
    operations.finish(called, by=desk.moussa)
    response = client.post(url(desk, "recall"), headers=HTMX)
    assert response.status_code == 409
    assert "Moussa Fall tient ce guichet" in text(response)


def test_agent_counters_call_out_of_turn_needs_a_reason_and_shows_it(
    client, auth, desk
):
    first, second = issue(desk.a), issue(desk.b)
    auth.login(desk.awa)
    client.post(url(desk, "open"))
    page = text(client.get(url(desk)))
    assert "Appeler un ticket hors tour" in page
    choices = page[page.index('id="out-of-turn-ticket"') :].split("</select>")[0]
    assert re.findall(r">([AB]\d{3})<", choices) == ["A001", "B001"]

    response = client.post(
        url(desk, "call-ticket"),
        data={"waiting": second.id, "reason": "  "},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Dites pourquoi ce ticket passe avant son tour." in text(response)
    response = client.post(
        url(desk, "call-ticket"),
        data={"waiting": "x", "reason": "revenu"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Choisissez un ticket en attente." in text(response)
    _db.session.expire_all()
    assert _db.session.get(Ticket, second.id).status is TicketStatus.WAITING

    response = client.post(
        url(desk, "call-ticket"),
        data={"waiting": second.id, "reason": "Client revenu de la caisse"},
        headers=HTMX,
    )
    assert response.status_code == 200
    words = " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())
    assert "B001" in words and "Appelé hors tour : Client revenu de la caisse" in words
    _db.session.expire_all()
    assert _db.session.get(Ticket, second.id).status is TicketStatus.CALLED
    assert _db.session.get(Ticket, first.id).status is TicketStatus.WAITING


def test_agent_counters_absent_waits_for_the_recalls_and_shows_the_count(
    client, auth, desk
):
    issue(desk.a)
    auth.login(desk.awa)
    client.post(url(desk, "open"))
    page = text(client.post(url(desk, "call"), headers=HTMX))
    absent, recall = button(page, "no-show"), button(page, "recall")
    assert " disabled" in absent and "rappel 0/3" in absent
    assert " disabled" not in recall and "rappel 0/3" in recall
    for n in (1, 2, 3):
        page = text(client.post(url(desk, "recall"), headers=HTMX))
        assert f"rappel {n}/3" in button(page, "recall")
    absent, recall = button(page, "no-show"), button(page, "recall")
    assert " disabled" not in absent and "rappel 3/3" in absent
    assert " disabled" in recall
    assert client.post(url(desk, "no-show"), headers=HTMX).status_code == 200


def test_agent_counters_a_counter_without_services_is_refused(client, auth, desk):
    auth.login(desk.manager)
    before = _db.session.scalar(select(func.count(Counter.id)))
    response = client.post(
        f"/manage/branches/{desk.branch.id}/counters/new", data={"number": "5"}
    )
    assert response.status_code == 422
    assert "Choisissez au moins un service traité à ce guichet." in text(response)
    assert _db.session.scalar(select(func.count(Counter.id))) == before
    # Nor can an existing counter lose all its services.
    response = client.post(f"/manage/counters/{desk.counter.id}", data={"number": "1"})
    assert response.status_code == 422
    _db.session.expire_all()
    assert [s.prefix for s in _db.session.get(Counter, desk.counter.id).services] == [
        "A",
        "B",
    ]


def test_agent_counters_transfer_says_the_number_stays(client, auth, desk):
    issue(desk.a)
    auth.login(desk.awa)
    client.post(url(desk, "open"))
    called = operations.call_next(desk.counter, by=desk.awa)
    response = client.post(
        url(desk, "transfer"),
        data={"ticket": called.id, "service_id": desk.b.id},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert (
        "A001 attend maintenant à « Dépôt et retrait », sous le même numéro."
        in text(response)
    )
    _db.session.expire_all()
    moved = _db.session.scalar(
        select(Ticket).where(Ticket.service_id == desk.b.id, Ticket.code == "A001")
    )
    assert moved is not None and moved.status is TicketStatus.WAITING
