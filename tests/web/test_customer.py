"""Customer pages: take a ticket remotely, the live ticket page and its socket, my tickets."""

import gzip
import html as entities
import re
import threading
from html.parser import HTMLParser

import pytest
from simple_websocket import Client, ConnectionClosed
from sqlalchemy import select

from smartqueue.extensions import db as _db
from smartqueue.models import (
    Channel,
    Counter,
    QueueStatus,
    Ticket,
    TicketStatus,
    User,
)
from smartqueue.queueing import operations as ops
from smartqueue.queueing.expiry import expire_tickets
from smartqueue.realtime import channels
from tests.queueing import conftest as queueing

# The queue engine's own fixtures: a Tuesday 10:00 clock, a branch with services A and B
# and open counters 1 (A+B) and 2 (A).
desk = queueing.desk

PHONE_UA = "Mozilla/5.0 (Linux; Android 10; itel A56) Mobile Safari/537.36"
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
HTMX = {"HX-Request": "true"}


def _take(client, service, ua=DESKTOP_UA, headers=None):
    return client.post(
        f"/branches/{service.branch_id}/services/{service.id}/ticket",
        headers={"User-Agent": ua, **(headers or {})},
    )


def _text(response) -> str:
    return entities.unescape(response.get_data(as_text=True))


def _kiosk(service):
    return ops.issue_ticket(service, channel=Channel.KIOSK)


def _token(response) -> str:
    match = re.fullmatch(
        r"(?:http://localhost)?/t/([\w-]+)", response.headers["Location"]
    )
    assert match, response.headers["Location"]
    return match.group(1)


@pytest.fixture
def customer(make_user, auth):
    """A verified customer, signed in on the test client."""
    user = make_user(email="awa@example.sn")
    auth.login(user)
    return user


# --- taking a ticket ---------------------------------------------------------------------


def test_take_ticket_redirects_to_the_live_ticket_page(client, db, desk, customer):
    response = _take(client, desk.a, ua=PHONE_UA)
    assert response.status_code == 303
    ticket = db.session.scalar(select(Ticket).where(Ticket.token == _token(response)))
    assert (ticket.code, ticket.channel, ticket.customer_id, ticket.locale) == (
        "A001",
        Channel.MOBILE,
        customer.id,
        "fr",
    )
    html = _text(client.get(response.headers["Location"]))
    assert "A001" in html and "Avant vous" in html
    assert ticket.branch.organization.name in html


def test_take_ticket_from_a_computer_is_the_web_channel(client, db, desk, customer):
    token = _token(_take(client, desk.b))
    ticket = db.session.scalar(select(Ticket).where(Ticket.token == token))
    assert (ticket.code, ticket.channel) == ("B001", Channel.WEB)


def test_take_ticket_anonymous_goes_to_login_and_back_to_the_branch(client, db, desk):
    response = _take(client, desk.a)
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"/auth/login?next=/branches/{desk.branch.id}"
    )
    assert db.session.scalars(select(Ticket)).all() == []
    htmx = _take(client, desk.a, headers=HTMX)
    assert htmx.headers["HX-Redirect"].startswith("/auth/login?next=")


def test_take_ticket_unverified_is_refused(client, db, desk, customer):
    customer.email_verified_at = None
    db.session.commit()
    response = _take(client, desk.a)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/branches/{desk.branch.id}")
    page = _text(client.get(response.headers["Location"]))
    assert "Vérifiez d'abord votre adresse e-mail" in page
    assert db.session.scalars(select(Ticket)).all() == []


def test_take_ticket_limits_show_the_engines_message(client, db, desk, customer):
    _take(client, desk.a)
    again = _take(client, desk.a)
    assert again.status_code == 303
    page = _text(client.get(again.headers["Location"]))
    assert "Vous avez déjà un ticket en cours dans cette file." in page
    htmx = _take(client, desk.a, headers=HTMX)
    html = _text(htmx)
    assert htmx.status_code == 409
    assert html.lstrip().startswith(
        f'<div class="take-ticket" id="take-ticket-{desk.a.id}">'
    )
    assert "Vous avez déjà un ticket en cours dans cette file." in html
    assert db.session.scalar(select(Ticket.code).where(Ticket.service_id == desk.a.id))


def test_take_ticket_in_a_closed_branch_says_when_it_opens(
    client, desk, frozen, customer
):
    frozen.tick(hours=8)  # 18:00
    response = _take(client, desk.a)
    page = _text(client.get(response.headers["Location"]))
    assert "ouverte de 08:00 à 17:00" in page


def test_take_ticket_unknown_service_is_404(client, desk, customer, make_branch):
    other = make_branch()
    assert (
        client.post(f"/branches/{other.id}/services/{desk.a.id}/ticket").status_code
        == 404
    )
    assert (
        client.post(f"/branches/{desk.branch.id}/services/999/ticket").status_code
        == 404
    )


# --- the branch page ---------------------------------------------------------------------


def test_branch_page_shows_each_line_and_a_take_ticket_button(
    client, desk, auth, make_user
):
    _kiosk(desk.a), _kiosk(desk.a)
    html = _text(client.get(f"/branches/{desk.branch.id}"))
    assert "2 personnes en attente" in html and "attente estimée 5–15 min" in html
    assert "Personne n'attend" in html  # service B
    assert f'href="/auth/login?next=/branches/{desk.branch.id}"' in html  # anonymous

    auth.login(make_user())
    html = _text(client.get(f"/branches/{desk.branch.id}"))
    assert f'action="/branches/{desk.branch.id}/services/{desk.a.id}/ticket"' in html
    _take(client, desk.a)
    html = _text(client.get(f"/branches/{desk.branch.id}"))
    assert "Voir mon ticket A003" in html


# --- the live ticket page ----------------------------------------------------------------


def test_ticket_page_follows_the_line_until_it_is_your_turn(client, desk):
    _kiosk(desk.a)
    mine = _kiosk(desk.a)
    html = _text(client.get(f"/t/{mine.token}"))
    assert re.search(r"<dt>Avant vous</dt><dd>1</dd>", html)
    assert "<dt>Attente estimée</dt><dd>0–10 min</dd>" in html
    assert (
        '<meta http-equiv="refresh" content="20">' in html
    )  # scripts off: reloads itself
    assert (
        f'ws-connect="/ws/ticket/{mine.token}"' in html
    )  # a path: ws or wss as served

    ops.call_next(desk.counter2, by=desk.agent)  # A001 to counter 2
    html = _text(client.get(f"/t/{mine.token}"))
    assert "<dd>0</dd>" in html and "Vous êtes le prochain" in html

    ops.call_next(desk.counter, by=desk.agent)  # counter 2 is busy: counter 1 calls
    html = _text(client.get(f"/t/{mine.token}"))
    assert "C'est votre tour" in html and "Guichet 1" in html
    assert 'data-status="called"' in html


def test_ticket_page_says_when_its_service_stops_calling_and_when_it_resumes(
    client, desk
):
    mine = _kiosk(desk.a)
    stopped = "Ce service n'appelle plus pour l'instant. Votre place est gardée"
    for status in (QueueStatus.PAUSED, QueueStatus.CLOSED):
        ops.set_queue_status(desk.a.queue, status, by=desk.agent)
        html = _text(client.get(f"/t/{mine.token}"))
        assert stopped in html and "Vous êtes le prochain" not in html
        assert re.search(r"<dt>Avant vous</dt><dd>0</dd>", html)  # the place is kept
    ops.set_queue_status(desk.a.queue, QueueStatus.ACTIVE, by=desk.agent)
    html = _text(client.get(f"/t/{mine.token}"))
    assert stopped not in html and "Vous êtes le prochain" in html
    desk.a.is_active = False  # the service switched off: not called either
    _db.session.commit()
    assert stopped in _text(client.get(f"/t/{mine.token}"))


def test_ticket_page_answers_htmx_with_the_fragment(client, desk):
    ticket = _kiosk(desk.a)
    response = client.get(f"/t/{ticket.token}", headers=HTMX)
    html = _text(response)
    assert html.lstrip().startswith('<section id="ticket-live"') and "<html" not in html
    assert "hx-swap-oob" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_ticket_unknown_token_is_404(client, desk):
    for url in ("/t/nope", "/t/" + "x" * 70):
        assert client.get(url).status_code == 404
    assert client.post("/t/nope/cancel").status_code == 404
    assert client.post("/t/nope/pass").status_code == 404


def test_let_others_pass_moves_back_three_places_twice_at_most(client, desk, frozen):
    mine = _kiosk(desk.a)  # the token is the access: a walk-in, no account
    for _ in range(6):
        frozen.tick(minutes=1)
        _kiosk(desk.a)
    response = client.post(f"/t/{mine.token}/pass")
    assert response.status_code == 303
    html = _text(client.get(f"/t/{mine.token}"))
    assert "<dt>Avant vous</dt><dd>3</dd>" in html and "encore 1 fois" in html

    htmx = client.post(f"/t/{mine.token}/pass", headers=HTMX)
    assert htmx.status_code == 200 and "<dd>6</dd>" in _text(htmx)
    assert "Laisser passer</button>" not in _text(htmx)

    refused = client.post(f"/t/{mine.token}/pass")
    assert refused.status_code == 409
    assert "Vous avez déjà cédé votre place 2 fois." in _text(refused)
    refused = client.post(f"/t/{mine.token}/pass", headers=HTMX)
    assert refused.status_code == 409
    assert _text(refused).lstrip().startswith('<section id="ticket-live"')


def test_a_called_ticket_may_let_others_pass(client, db, desk):
    mine = _kiosk(desk.a)
    _kiosk(desk.a)
    ops.call_next(desk.counter2, by=desk.agent)
    client.post(f"/t/{mine.token}/pass")
    db.session.expire_all()
    assert db.session.get(Ticket, mine.id).status is TicketStatus.WAITING


def test_cancel_then_cancel_again_is_refused(client, db, desk):
    mine = _kiosk(desk.a)
    response = client.post(f"/t/{mine.token}/cancel", headers=HTMX)
    html = _text(response)
    assert response.status_code == 200 and "Ce ticket est annulé." in html
    assert "Annuler mon ticket" not in html and "Prendre un autre ticket" in html
    refused = client.post(f"/t/{mine.token}/cancel")
    assert refused.status_code == 409
    assert "Ce ticket n'en est plus à cette étape." in _text(refused)
    assert client.post(f"/t/{mine.token}/pass").status_code == 409


def test_serving_ticket_cannot_be_cancelled(client, desk):
    mine = _kiosk(desk.a)
    ops.call_next(desk.counter, by=desk.agent)
    ops.start_serving(mine, by=desk.agent)
    html = _text(client.get(f"/t/{mine.token}"))
    assert "Vous êtes en cours de service au guichet 1." in html
    assert "Annuler mon ticket" not in html
    assert client.post(f"/t/{mine.token}/cancel").status_code == 409


@pytest.mark.parametrize(
    "ending, says",
    [
        ("served", "Service terminé."),
        ("no_show", "Vous n'étiez pas là à l'appel"),
        ("expired", "Ce ticket a expiré"),
    ],
)
def test_ticket_page_final_states(client, desk, frozen, ending, says):
    mine = _kiosk(desk.a)
    if ending == "expired":
        frozen.tick(hours=8)
        expire_tickets(desk.branch.id)
    else:
        ops.call_next(desk.counter, by=desk.agent)
        if ending == "served":
            ops.finish(mine, by=desk.agent)
        else:
            for _ in range(3):
                ops.recall(mine, by=desk.agent)
            ops.mark_no_show(mine, by=desk.agent)
    html = _text(client.get(f"/t/{mine.token}"))
    assert says in html
    assert (
        "ws-connect" not in html and "http-equiv" not in html
    )  # nothing more to follow


def test_transferred_ticket_links_to_the_new_one(client, desk):
    mine = _kiosk(desk.a)
    ops.call_next(desk.counter, by=desk.agent)
    new = ops.transfer(mine, desk.b, by=desk.agent)
    html = _text(client.get(f"/t/{mine.token}"))
    assert "Votre ticket a été transféré" in html
    # The same code in the new line: the customer's paper stays right (issue 17).
    assert f'href="/t/{new.token}"' in html and "Voir le nouveau ticket A001" in html


# --- my tickets --------------------------------------------------------------------------


def test_my_tickets_lists_mine_with_links(client, desk, customer):
    token = _token(_take(client, desk.a))
    _kiosk(desk.b)  # someone else's
    html = _text(client.get("/my/tickets"))
    assert f'href="/t/{token}"' in html and "A001" in html and "B001" not in html
    assert "En attente" in html


def test_my_tickets_needs_an_account(client):
    response = client.get("/my/tickets")
    assert response.status_code == 302
    assert "/auth/login?next=%2Fmy%2Ftickets" in response.headers["Location"]


# --- the socket and the weight, on a real server -----------------------------------------


def _wait_subscribed(server, channel: str) -> None:
    """Until the socket listens (relay() subscribes just after sending the snapshot)."""
    event = threading.Event()
    for _ in range(200):
        broker = server.extensions.get("sq_broker")
        if broker is not None and broker._subscribers.get(channel):
            return
        event.wait(0.01)
    raise AssertionError(f"nobody subscribed to {channel}")


def test_ticket_socket_sends_the_ticket_then_its_call(app, desk, live_server):
    mine = _kiosk(desk.a)
    port = live_server.url.rsplit(":", 1)[1]
    ws = Client.connect(f"ws://127.0.0.1:{port}/ws/ticket/{mine.token}")
    try:
        snapshot = ws.receive(timeout=5)
        assert 'id="ticket-live"' in snapshot and 'hx-swap-oob="true"' in snapshot
        assert 'data-status="waiting"' in snapshot
        _wait_subscribed(live_server, channels.ticket(mine.token))
        with live_server.app_context():  # publishes in the server's process broker
            counter = _db.session.get(Counter, desk.counter.id)
            ops.call_next(counter, by=_db.session.get(User, desk.agent.id))
            _db.session.remove()
        called = ws.receive(timeout=5)
        assert "C'est votre tour" in called and "Guichet 1" in called
        assert 'data-status="called"' in called
    finally:
        ws.close()


def test_ticket_socket_for_an_unknown_token_closes(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    ws = Client.connect(f"ws://127.0.0.1:{port}/ws/ticket/nope")
    with pytest.raises(ConnectionClosed):
        ws.receive(timeout=5)
    assert ws.close_reason == 1008  # policy violation: the ws extension does not retry


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_ticket_page_weighs_under_50_kb_compressed(client, desk):
    """Budget for phones on slow data: the page and every asset it loads, gzipped."""
    ticket = _kiosk(desk.a)
    html = client.get(f"/t/{ticket.token}").get_data()
    parser = _Assets()
    parser.feed(html.decode())
    assert any("/js/ticket." in u for u in parser.urls)  # names carry a content hash
    assert any("/vendor/ws.min." in u for u in parser.urls)
    total = len(gzip.compress(html))
    for url in parser.urls:
        response = client.get(url)
        assert response.status_code == 200, url
        total += len(gzip.compress(response.get_data()))
        response.close()
    assert total < 50 * 1024, f"{total} bytes"
