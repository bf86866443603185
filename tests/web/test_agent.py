"""The agent counter screen: who may use it, every action and its refusals, its live socket."""

import html as htmllib
import re
from types import SimpleNamespace

import pytest
import simple_websocket
from sqlalchemy import select

from smartqueue.extensions import db as _db
from smartqueue.models import Channel, CounterStatus, Service, Ticket, TicketStatus
from smartqueue.queueing import operations
from tests.conftest import PASSWORD, at

HTMX = {"HX-Request": "true"}


@pytest.fixture
def desk(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """Branch Plateau (services A, B; counters 1 = A+B, 2 = A), a second branch of the same
    organization, another organization, and one user per role."""
    org, rival = make_org(name="Banque Teranga"), make_org(name="Banque Rivale")
    branch = make_branch(org, name="Plateau")
    other = make_branch(org, name="Médina")
    rival_branch = make_branch(rival, name="Rivale Plateau")
    a = make_service(branch, "A", "Ouverture de compte")
    b = make_service(branch, "B", "Dépôt et retrait", minutes=5)
    elsewhere = make_service(other, "C", "Crédit")
    counter = make_counter(branch, 1, [a, b])
    counter2 = make_counter(branch, 2, [a])
    make_counter(other, 1, [elsewhere])
    make_counter(rival_branch, 7, [make_service(rival_branch, "R", "Rivale")])
    counter.status = CounterStatus.OPEN
    db.session.commit()
    return SimpleNamespace(
        branch=branch,
        a=a,
        b=b,
        elsewhere=elsewhere,
        counter=counter,
        counter2=counter2,
        users={
            "agent": make_user(role="agent", branch=branch),
            "manager": make_user(role="branch_manager", branch=branch),
            "admin": make_user(role="org_admin", org=org),
            "agent_other_branch": make_user(role="agent", branch=other),
            "admin_other_org": make_user(role="org_admin", org=rival),
            "customer": make_user(),
            "platform": make_user(role="platform_admin"),
        },
    )


@pytest.fixture
def agent(desk, auth):
    """The client signed in as an agent of the branch."""
    auth.login(desk.users["agent"])
    return desk.users["agent"]


def issue(service, **kwargs) -> Ticket:
    return operations.issue_ticket(service, channel=Channel.KIOSK, **kwargs)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def url(desk, action: str = "") -> str:
    return f"/agent/counters/{desk.counter.id}" + (f"/{action}" if action else "")


def current(desk) -> Ticket | None:
    _db.session.expire_all()
    return _db.session.scalar(
        select(Ticket).where(
            Ticket.counter_id == desk.counter.id,
            Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
        )
    )


# --- access ----------------------------------------------------------------------------------

ACTIONS = ["call", "recall", "start", "finish", "no-show", "transfer", "pause", "close"]
# Who may use a branch's counter pages (and its appointments list): its staff only.
BRANCH_STAFF_ACCESS = [
    ("agent", True),
    ("manager", True),
    ("admin", True),
    ("agent_other_branch", False),
    ("admin_other_org", False),
    ("customer", False),
    ("platform", False),
]


@pytest.mark.parametrize("role, allowed", BRANCH_STAFF_ACCESS)
def test_counter_pages_are_for_the_staff_of_its_branch(
    client, auth, desk, role, allowed
):
    auth.login(desk.users[role])
    pages = [("GET", url(desk))] + [("POST", url(desk, a)) for a in ["open", *ACTIONS]]
    for method, path in pages:
        response = client.open(path, method=method, headers=HTMX)
        if allowed:
            assert response.status_code != 403, (method, path)
        else:
            assert response.status_code == 403, (method, path)
    if not allowed:  # refused, and nothing moved
        _db.session.expire_all()
        assert desk.counter.status is CounterStatus.OPEN


def test_counter_pages_send_anonymous_visitors_to_sign_in(client, desk):
    for method, path in [
        ("GET", "/agent/"),
        ("GET", url(desk)),
        ("POST", url(desk, "call")),
    ]:
        response = client.open(path, method=method)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "platform"])
def test_counter_list_refuses_who_has_no_counter(client, auth, desk, role):
    auth.login(desk.users[role])
    assert client.get("/agent/").status_code == 403


def test_counter_list_shows_the_counters_of_the_agents_branch_only(client, agent, desk):
    page = text(client.get("/agent/"))
    assert "Plateau" in page and "Guichet 1" in page and "Guichet 2" in page
    assert "Médina" not in page and "Rivale" not in page


def test_counter_list_shows_an_org_admin_every_branch_of_the_organization(
    client, auth, desk
):
    auth.login(desk.users["admin"])
    page = text(client.get("/agent/"))
    assert "Plateau" in page and "Médina" in page and "Rivale" not in page


def test_counter_for_a_missing_counter_is_not_found(client, agent):
    assert client.get("/agent/counters/999999").status_code == 404


# --- choosing and running a counter ----------------------------------------------------------


def test_choosing_a_counter_opens_it_and_shows_its_screen(client, agent, desk):
    response = client.post(f"/agent/counters/{desk.counter2.id}/open")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/agent/counters/{desk.counter2.id}")
    _db.session.expire_all()
    assert desk.counter2.status is CounterStatus.OPEN
    page = text(client.get(response.headers["Location"]))
    assert 'id="counter-panel"' in page and "Aucun ticket en cours" in page
    assert f'ws-connect="/ws/counter/{desk.counter2.id}?panel=' in page


def test_counter_page_shows_waiting_lines_with_counts_and_longest_wait(
    client, agent, desk, frozen
):
    issue(desk.a)
    frozen.set(at(1, 10, 12))
    issue(desk.a)
    issue(desk.b)
    frozen.set(at(1, 10, 20))
    page = text(client.get(url(desk)))
    waiting = page[page.index('id="waiting-list"') :]
    assert re.search(r'class="total">3<', waiting)
    assert re.search(r'id="line-a".*?class="line-count"[^>]*>2<', waiting, re.S)
    assert re.search(r'id="line-b".*?class="line-count"[^>]*>1<', waiting, re.S)
    assert "20 min" in waiting and "8 min" in waiting  # oldest of A, of B
    assert "A001" in waiting and "A002" in waiting and "B001" in waiting


def test_call_next_calls_the_first_waiting_ticket(client, agent, desk):
    issue(desk.a)
    response = client.post(url(desk, "call"))
    assert response.status_code == 303
    ticket = current(desk)
    assert ticket.code == "A001" and ticket.status is TicketStatus.CALLED
    page = text(client.get(url(desk)))
    panel = page[page.index('id="counter-panel"') : page.index('id="waiting-list"')]
    assert "A001" in panel and "Ouverture de compte" in panel and "Appelé" in panel
    assert "0/3" in panel


def test_call_next_with_no_one_waiting_says_so(client, agent, desk):
    response = client.post(url(desk, "call"), headers=HTMX)
    assert response.status_code == 200
    assert "Personne n'attend pour les services de ce guichet." in text(response)
    # without scripts: back to the screen, with the same message
    response = client.post(url(desk, "call"), follow_redirects=True)
    assert "Personne n'attend pour les services de ce guichet." in text(response)


def test_call_next_with_a_ticket_at_the_counter_is_refused(client, agent, desk):
    issue(desk.a), issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(url(desk, "call"), headers=HTMX)
    assert response.status_code == 409
    assert "Terminez d'abord le ticket en cours." in text(response)
    assert current(desk).code == "A001"


def test_recall_counts_up_to_the_limit_then_refuses(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    ticket_id = current(desk).id
    for n in (1, 2, 3):
        response = client.post(url(desk, "recall"), data={"ticket": ticket_id})
        assert response.status_code == 303
        assert current(desk).recall_count == n
    response = client.post(
        url(desk, "recall"), data={"ticket": ticket_id}, headers=HTMX
    )
    assert response.status_code == 409
    assert "Déjà rappelé 3 fois : marquez-le absent." in text(response)
    assert "3/3" in text(response)


def test_no_show_before_three_recalls_shows_the_engines_refusal(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(url(desk, "no-show"), headers=HTMX)
    assert response.status_code == 409
    body = text(response)
    assert "Rappelez d'abord le ticket (3 fois) avant de le marquer absent." in body
    assert 'role="alert"' in body
    assert current(desk).status is TicketStatus.CALLED


def test_no_show_after_three_recalls_counts_in_the_tally(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    for _ in range(3):
        client.post(url(desk, "recall"))
    response = client.post(url(desk, "no-show"), headers=HTMX)
    assert response.status_code == 200
    assert current(desk) is None
    tally = text(response)[text(response).index('id="tally"') :]
    assert re.search(r'tally-no-show"><dt>Absents</dt><dd>1<', tally)


def test_start_then_finish_serves_the_ticket(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    assert client.post(url(desk, "start")).status_code == 303
    assert current(desk).status is TicketStatus.SERVING
    response = client.post(url(desk, "finish"), headers=HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "Aucun ticket en cours" in body
    assert re.search(r'tally-served"><dt>Servis</dt><dd>1<', body)
    served = _db.session.scalar(select(Ticket).where(Ticket.code == "A001"))
    assert served.status is TicketStatus.SERVED


def test_finish_without_a_ticket_is_refused(client, agent, desk):
    response = client.post(url(desk, "finish"), headers=HTMX)
    assert response.status_code == 409
    assert "Aucun ticket en cours à ce guichet." in text(response)


def test_an_action_on_a_ticket_the_screen_no_longer_shows_is_refused(
    client, agent, desk
):
    issue(desk.a), issue(desk.a)
    client.post(url(desk, "call"))
    stale = current(desk).id
    client.post(url(desk, "finish"))
    client.post(url(desk, "call"))  # A002 now
    response = client.post(url(desk, "finish"), data={"ticket": stale}, headers=HTMX)
    assert response.status_code == 409
    assert "L'écran n'était plus à jour" in text(response)
    assert current(desk).code == "A002"


def test_an_action_with_a_garbled_ticket_is_bad_input(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(url(desk, "finish"), data={"ticket": "x'1"}, headers=HTMX)
    assert response.status_code == 422
    assert "Ticket inconnu." in text(response)
    assert current(desk).status is TicketStatus.CALLED


def test_transfer_sends_the_ticket_to_another_service_of_the_branch(
    client, agent, desk
):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(url(desk, "transfer"), data={"service_id": desk.b.id})
    assert response.status_code == 303
    old = _db.session.scalar(select(Ticket).where(Ticket.code == "A001"))
    new = _db.session.scalar(select(Ticket).where(Ticket.service_id == desk.b.id))
    assert old.status is TicketStatus.TRANSFERRED
    assert new.status is TicketStatus.WAITING and new.transferred_from_id == old.id
    page = text(client.get(url(desk)))
    assert re.search(r'tally-transferred"><dt>Transférés</dt><dd>1<', page)
    assert new.code in page[page.index('id="waiting-list"') :]


def test_transfer_to_a_service_of_another_branch_is_refused(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(
        url(desk, "transfer"), data={"service_id": desk.elsewhere.id}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Choisissez un autre service de cette agence." in text(response)
    assert current(desk).code == "A001"
    assert (
        _db.session.scalar(select(Ticket).where(Ticket.service_id == desk.elsewhere.id))
        is None
    )


def test_transfer_to_the_tickets_own_service_is_refused(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(
        url(desk, "transfer"), data={"service_id": desk.a.id}, headers=HTMX
    )
    assert response.status_code == 409
    assert "Choisissez un autre service de la même agence." in text(response)


def test_transfer_lists_the_other_services_of_the_branch(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    page = text(client.get(url(desk)))
    select_html = page[page.index('id="transfer-service"') :].split("</select>")[0]
    assert "Dépôt et retrait" in select_html
    assert "Ouverture de compte" not in select_html and "Crédit" not in select_html


def test_pause_stops_calls_until_resumed(client, agent, desk):
    issue(desk.a)
    assert client.post(url(desk, "pause")).status_code == 303
    _db.session.expire_all()
    assert desk.counter.status is CounterStatus.PAUSED
    response = client.post(url(desk, "call"), headers=HTMX)
    assert response.status_code == 409
    assert "Ouvrez le guichet avant d'appeler." in text(response)
    assert "Reprendre" in text(response)
    client.post(url(desk, "open"))
    assert client.post(url(desk, "call")).status_code == 303
    assert current(desk).code == "A001"


def test_close_with_a_customer_at_the_counter_is_refused(client, agent, desk):
    issue(desk.a)
    client.post(url(desk, "call"))
    response = client.post(url(desk, "close"), headers=HTMX)
    assert response.status_code == 409
    assert "Terminez d'abord le ticket en cours." in text(response)
    client.post(url(desk, "finish"))
    assert client.post(url(desk, "close")).status_code == 303
    _db.session.expire_all()
    assert desk.counter.status is CounterStatus.CLOSED
    assert "Ouvrir le guichet" in text(client.get(url(desk)))


def test_htmx_gets_the_regions_not_the_page(client, agent, desk):
    issue(desk.a)
    for response in (
        client.get(url(desk), headers=HTMX),
        client.post(url(desk, "call"), headers=HTMX),
    ):
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<html" not in body and '<header class="topbar' not in body
        for region in ("counter-panel", "waiting-list", "tally"):
            assert re.search(rf'id="{region}"[^>]*hx-swap-oob="true"', body), region
        assert "HX-Request" in response.headers.get("Vary", "")
    assert "A001" in body


def test_counter_buttons_show_their_keyboard_shortcuts(client, agent, desk):
    page = client.get(url(desk)).get_data(as_text=True)
    for keys, kbd in [("n space", "N"), ("r", "R"), ("s", "S"), ("d", "D"), ("a", "A")]:
        assert re.search(
            rf'data-keys="{keys}"[^>]*>\s*<span class="act-label">[^<]+</span> <kbd>{kbd}</kbd>',
            page,
        ), keys
    assert 'data-keys="p"' in page
    assert re.search(r'src="/static/js/agent\.[0-9a-f]{10}\.js"', page)  # hashed name


# --- the live socket -------------------------------------------------------------------------


def _session_cookie(server, user) -> str:
    """Sign in through the real login form of the live server (CSRF on); its cookie."""
    browser = server.test_client()
    form = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = browser.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return f"session={browser.get_cookie('session').value}"


def _socket(server, desk, user, query=""):
    address = (
        server.url.replace("http://", "ws://") + f"/ws/counter/{desk.counter.id}{query}"
    )
    return simple_websocket.Client.connect(
        address, headers={"Cookie": _session_cookie(server, user)}
    )


def test_counter_socket_sends_the_screen_then_each_new_ticket(live_server, desk):
    ws = _socket(live_server, desk, desk.users["agent"])
    try:
        snapshot = ws.receive(timeout=5)
        for region in ("counter-panel", "waiting-list", "tally"):
            assert f'id="{region}"' in snapshot
        service_id = desk.a.id
        update = None
        for _ in range(5):  # a ticket issued before the socket has subscribed is missed
            with live_server.app_context():  # its broker: the one its sockets listen to
                ticket = issue(_db.session.get(Service, service_id))
                code = ticket.code
            update = ws.receive(timeout=2)
            if update:
                break
        assert update and 'id="waiting-list"' in update and code in update
        assert 'id="counter-panel"' not in update  # unchanged: left alone
    finally:
        ws.close()


def test_counter_socket_sends_the_panel_when_another_tab_calls(live_server, desk):
    issue(desk.a)
    ws = _socket(live_server, desk, desk.users["agent"])
    try:
        ws.receive(timeout=5)
        counter_id, agent_id = desk.counter.id, desk.users["agent"].id
        with live_server.app_context():
            from smartqueue.models import Counter, User

            operations.call_next(
                _db.session.get(Counter, counter_id), by=_db.session.get(User, agent_id)
            )
        update = ws.receive(timeout=5)
        assert 'id="counter-panel"' in update and "A001" in update
    finally:
        ws.close()


def test_counter_socket_leaves_the_panel_the_page_already_shows(live_server, desk):
    with live_server.test_client() as browser:
        cookie = _session_cookie(live_server, desk.users["agent"])
        browser.set_cookie("session", cookie.split("=", 1)[1])
        page = browser.get(f"/agent/counters/{desk.counter.id}").get_data(as_text=True)
    version = re.search(r"\?panel=(\w+)", page).group(1)
    ws = _socket(live_server, desk, desk.users["agent"], f"?panel={version}")
    try:
        snapshot = ws.receive(timeout=5)
        assert 'id="waiting-list"' in snapshot
        assert (
            'id="counter-panel"' not in snapshot
        )  # nothing to replace under the agent
    finally:
        ws.close()


@pytest.mark.parametrize("role", ["customer", "agent_other_branch", None])
def test_counter_socket_closes_on_who_may_not_staff_it(live_server, desk, role):
    if role is None:
        address = live_server.url.replace("http://", "ws://")
        ws = simple_websocket.Client.connect(address + f"/ws/counter/{desk.counter.id}")
    else:
        ws = _socket(live_server, desk, desk.users[role])
    with pytest.raises(simple_websocket.ConnectionClosed) as closed:
        ws.receive(timeout=5)
    assert closed.value.reason == 1008
