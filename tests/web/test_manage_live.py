"""What a manager changes in a branch reaches the live screens at once (queue state,
services, counters), within what the plan and the people being served allow."""

import html as htmllib
import re

import pytest
from sqlalchemy import select

from smartqueue.models import Counter, Queue, QueueStatus, Service
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker
from tests.live import published_so_far

# The manage service form, filled in.
SERVICE_FORM = {
    "name_fr": "Service",
    "estimated_minutes": "7",
    "price_fcfa": "0",
    "queue_type": "normal",
    "queue_status": "active",
    "strategy": "priority",
    "capacity": "0",
    "expiry_minutes": "0",
    "notify_before": "3",
    "is_active": "y",
}


@pytest.fixture
def manager(client, auth, world):
    users, ids = world
    auth.login(users["manager_a1"])
    return ids


def _status(db, service_id: int) -> QueueStatus:
    db.session.expire_all()
    return db.session.scalar(select(Queue.status).where(Queue.service_id == service_id))


def _screens(ids) -> list[str]:
    return [
        channels.board(ids["branch"]),
        channels.branch(ids["branch"]),
        channels.service(ids["service"]),
    ]


def _buttons(page: str) -> dict[str, str]:
    """The queue buttons of the branch page: the state each sets -> its words."""
    return dict(re.findall(r'name="status" value="(\w+)"[^>]*>([^<]+)<', page))


def test_branch_page_offers_the_other_queue_states_in_one_click(client, manager):
    page = htmllib.unescape(client.get(f"/manage/branches/{manager['branch']}").text)
    action = f'action="/manage/services/{manager["service"]}/queue"'
    assert action in page
    assert _buttons(page) == {"paused": "Mettre en pause", "closed": "Fermer"}


def test_pausing_a_queue_tells_boards_counters_and_the_line_at_once(
    client, db, manager
):
    with get_broker().subscribe(_screens(manager)) as messages:
        response = client.post(
            f"/manage/services/{manager['service']}/queue", data={"status": "paused"}
        )
        published = published_so_far(messages)
    assert response.status_code == 302
    assert response.location.endswith(
        f"/manage/branches/{manager['branch']}#service-list"
    )
    assert _status(db, manager["service"]) is QueueStatus.PAUSED
    board = [m for m in published if "board-waiting" in m]
    assert len(board) == 1 and "File en pause · reprend bientôt" in htmllib.unescape(
        board[0]
    )
    # the counter screens' and the line's channel (the line's carries a change id)
    assert [channels.action(m) for m in published if "board-waiting" not in m] == [
        "service",
        "service",
    ]
    page = htmllib.unescape(client.get(f"/manage/branches/{manager['branch']}").text)
    assert "File « Ouverture de compte » : En pause." in page
    assert _buttons(page) == {"active": "Ouvrir", "closed": "Fermer"}


def test_reopening_clears_the_boards_notice(client, db, manager, frozen):
    # frozen: a weekday at 10:00, so the branch itself is open (no "Fermé" badge)
    url = f"/manage/services/{manager['service']}/queue"
    client.post(url, data={"status": "closed"})
    with get_broker().subscribe([channels.board(manager["branch"])]) as messages:
        client.post(url, data={"status": "active"})
        published = published_so_far(messages)
    assert _status(db, manager["service"]) is QueueStatus.ACTIVE
    assert len(published) == 1 and "service-state" not in published[0]


@pytest.mark.parametrize("data", [{}, {"status": "gold"}, {"status": ""}])
def test_a_queue_state_that_is_not_one_changes_nothing_and_says_so(
    client, db, manager, data
):
    with get_broker().subscribe(_screens(manager)) as messages:
        response = client.post(
            f"/manage/services/{manager['service']}/queue", data=data
        )
        published = published_so_far(messages)
    assert response.status_code == 302
    assert _status(db, manager["service"]) is QueueStatus.ACTIVE
    assert published == []
    page = htmllib.unescape(client.get(f"/manage/branches/{manager['branch']}").text)
    assert "L'état de la file n'a pas changé : rechargez la page et réessayez." in page


def test_editing_a_service_reaches_the_board_with_its_new_name(client, db, manager):
    service = db.session.get(Service, manager["service"])
    form = dict(SERVICE_FORM, prefix=service.prefix, name_fr="Retraits et dépôts")
    with get_broker().subscribe(_screens(manager)) as messages:
        response = client.post(f"/manage/services/{manager['service']}", data=form)
        published = published_so_far(messages)
    assert response.status_code == 302
    board = [m for m in published if "board-waiting" in m]
    assert len(board) == 1 and "Retraits et dépôts" in htmllib.unescape(board[0])
    assert [channels.action(m) for m in published if "board-waiting" not in m] == [
        "service",
        "service",
    ]


def test_adding_and_removing_a_counter_refreshes_the_counter_screens(
    client, db, manager
):
    branch = channels.branch(manager["branch"])
    with get_broker().subscribe([branch]) as messages:
        created = client.post(
            f"/manage/branches/{manager['branch']}/counters/new",
            data={"number": "7", "service_ids": [str(manager["service"])]},
        )
        assert created.status_code == 302
        counter_id = db.session.scalar(select(Counter.id).where(Counter.number == 7))
        client.post(f"/manage/counters/{counter_id}/delete")
        published = published_so_far(messages)
    assert [channels.action(m) for m in published] == ["counter", "counter"]


def test_a_counter_with_a_customer_at_it_stays_and_the_manager_is_told_why(
    client, db, frozen, manager, world
):
    from smartqueue.models import Channel, CounterStatus
    from smartqueue.queueing import operations as queueing

    users, _ids = world
    counter = db.session.get(Counter, manager["counter"])
    queueing.set_counter_status(counter, CounterStatus.OPEN, by=users["agent_a1"])
    queueing.issue_ticket(
        db.session.get(Service, manager["service"]), channel=Channel.KIOSK
    )
    queueing.call_next(counter, by=users["agent_a1"])
    with get_broker().subscribe([channels.branch(manager["branch"])]) as messages:
        response = client.post(f"/manage/counters/{manager['counter']}/delete")
        published = published_so_far(messages)
    assert response.status_code == 302 and published == []
    db.session.expire_all()
    assert db.session.get(Counter, manager["counter"]) is not None
    page = htmllib.unescape(client.get(f"/manage/branches/{manager['branch']}").text)
    assert "Un client est à ce guichet : terminez d'abord son ticket." in page


def test_a_service_beyond_the_plans_queues_is_refused_on_the_form(
    client, db, manager, world
):
    from smartqueue.models import Organization, Plan

    db.session.get(Organization, manager["org"]).plan = Plan.FREE  # 2; A exists
    db.session.commit()
    url = f"/manage/branches/{manager['branch']}/services/new"
    assert client.post(url, data=dict(SERVICE_FORM, prefix="B")).status_code == 302
    refused = client.post(url, data=dict(SERVICE_FORM, prefix="C"))
    assert refused.status_code == 422
    assert "Votre formule permet 2 files actives au plus" in htmllib.unescape(
        refused.text
    )
    assert db.session.scalars(
        select(Service.prefix).order_by(Service.prefix)
    ).all() == [
        "A",
        "B",
    ]


def test_the_organization_page_shows_what_the_plan_allows_and_what_is_used(
    client, db, auth, world
):
    from smartqueue.models import Organization, Plan

    users, ids = world
    db.session.get(Organization, ids["org"]).plan = Plan.FREE
    db.session.commit()
    auth.login(users["admin_a"])
    page = htmllib.unescape(client.get(f"/manage/organizations/{ids['org']}").text)
    queues = re.search(r'<span class="badge( warn)?" id="usage-1">([^<]+)<', page)
    staff = re.search(r'<span class="badge( warn)?" id="usage-2">([^<]+)<', page)
    assert queues.groups() == (None, "Files actives : 1 / 2")
    # the world's org A: an agent, a manager of A1, one of A2 and its admin = 4 of 3
    assert staff.groups() == (" warn", "Personnel : 4 / 3")


def test_the_queue_button_speaks_the_managers_language(client, db, auth, world):
    users, ids = world
    users["manager_a1"].locale = "wo"
    db.session.get(Service, ids["service"]).name_wo = "Ubbi kont"
    db.session.commit()
    auth.login(users["manager_a1"])
    url = f"/manage/services/{ids['service']}/queue"
    page = htmllib.unescape(
        client.post(url, data={"status": "paused"}, follow_redirects=True).text
    )
    assert "File « Ubbi kont » : Taxaw na." in page  # name and state in Wolof


def test_a_manager_sets_the_wait_a_service_aims_at(client, db, manager):
    url = f"/manage/services/{manager['service']}"
    service = db.session.get(Service, manager["service"])
    assert service.target_wait_minutes == 15  # the default
    assert 'name="target_wait_minutes"' in client.get(url).text
    form = dict(SERVICE_FORM, prefix=service.prefix, target_wait_minutes="20")
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, manager["service"]).target_wait_minutes == 20
    refused = client.post(url, data=dict(form, target_wait_minutes="900"))
    assert refused.status_code == 422 and "240" in refused.text
    db.session.expire_all()
    assert db.session.get(Service, manager["service"]).target_wait_minutes == 20
