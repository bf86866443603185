"""The kiosk at a branch's entrance: device link, services, priority, contact, ticket."""

import html as htmllib
import re

import pytest
from sqlalchemy import select

from smartqueue.models import (
    Channel,
    DeviceKind,
    Priority,
    QueueStatus,
    Ticket,
)
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device, revoke_device
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker
from smartqueue.web.qr import qr_svg
from tests.conftest import at
from tests.live import published_so_far
from tests.scenarios import OPENING


@pytest.fixture
def kiosk(db, make_hall):
    """A branch with services A (named in Wolof too) and B (by appointment), and its kiosk."""
    kiosk = make_hall(
        services=[("A", OPENING), ("B", "Prêt immobilier")],
        counters={1: "A"},
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée")],
        name="Agence Plateau",
    )
    kiosk.a.name_wo = "Ubbi kont"
    kiosk.b.requires_appointment = True
    db.session.commit()
    return kiosk


def _take(client, kiosk, priority="normal", contact="", skip=True, service=None):
    data = {"priority": priority, "contact": contact}
    data["skip" if skip else "submit"] = "x"
    service_id = (service or kiosk.a).id
    return client.post(f"{kiosk.url}/services/{service_id}/tickets", data=data)


def _tickets(db):
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "path", ["", "/services/{a}", "/services/{a}/contact", "/tickets/nothing"]
)
@pytest.mark.parametrize("link", ["unknown", "revoked", "board"])
def test_kiosk_refuses_links_that_are_not_an_active_kiosk(
    client, db, kiosk, path, link
):
    if link == "unknown":
        token = "not-a-device-token"
    elif link == "revoked":
        device, token = create_device(
            kiosk.branch, DeviceKind.KIOSK, "Ancienne", by=kiosk.manager
        )
        revoke_device(device, by=kiosk.manager)
    else:
        _, token = create_device(kiosk.branch, DeviceKind.BOARD, "TV", by=kiosk.manager)
    url = f"/kiosk/{token}" + path.format(a=kiosk.a.id)
    assert client.get(url).status_code == 404
    posted = client.post(
        f"/kiosk/{token}/services/{kiosk.a.id}/tickets", data={"skip": "x"}
    )
    assert posted.status_code == 404
    assert _tickets(db) == []


def test_kiosk_start_lists_services_with_waiting_counts_and_estimates(client, kiosk):
    for _ in range(2):
        operations.issue_ticket(kiosk.a, channel=Channel.WEB)
    html = _text(client.get(kiosk.url))
    assert "Agence Plateau" in html
    a = re.search(r'id="service-%d".*?</a>' % kiosk.a.id, html, re.S).group(0)
    assert "Ouverture de compte" in a
    assert "2 personnes en attente" in a
    assert "environ 15–25 min" in a  # 2 ahead x 10 min / 1 open counter
    b = re.search(r'id="service-%d".*?</a>' % kiosk.b.id, html, re.S).group(0)
    assert "Sur rendez-vous uniquement" in b


def test_kiosk_issues_numbers_in_order_with_kiosk_channel_and_priority(
    client, db, kiosk
):
    first = _take(client, kiosk, "normal")
    second = _take(client, kiosk, "high")
    tickets = _tickets(db)
    assert [t.code for t in tickets] == ["A001", "A002"]
    assert [t.channel for t in tickets] == [Channel.KIOSK, Channel.KIOSK]
    assert [t.priority for t in tickets] == [Priority.NORMAL, Priority.HIGH]
    assert first.status_code == 303
    assert first.headers["Location"].endswith(
        f"{kiosk.url}/tickets/{tickets[0].token}?print=1"
    )
    assert second.headers["Location"].endswith(f"/tickets/{tickets[1].token}?print=1")


def test_kiosk_priority_screen_offers_the_three_priorities_as_high(client, kiosk):
    html = _text(client.get(f"{kiosk.url}/services/{kiosk.a.id}"))
    for who in ("Personne âgée", "Femme enceinte", "Personne handicapée"):
        assert who in html
    links = re.findall(r'href="([^"]*/contact\?priority=\w+)"', html)
    assert sorted(set(p.rsplit("=", 1)[1] for p in links)) == ["high", "normal"]
    assert len(links) == 4


@pytest.mark.parametrize(
    "typed,phone,email",
    [
        ("77 123 45 67", "+221771234567", None),
        ("00221 78 000 11 22", "+221780001122", None),
        (" Awa.Diop@Example.SN ", None, "awa.diop@example.sn"),
    ],
)
def test_kiosk_keeps_the_optional_contact_normalized(
    app, client, db, kiosk, typed, phone, email
):
    app.config["SMS_ENABLED"] = True  # phones are asked for once SMS can reach them
    response = _take(client, kiosk, contact=typed, skip=False)
    assert response.status_code == 303
    (ticket,) = _tickets(db)
    assert (ticket.contact_phone, ticket.contact_email) == (phone, email)


@pytest.mark.parametrize(
    "typed,sms,message",
    [
        ("12 34", True, "Numéro de téléphone invalide"),
        ("awa@", True, "Adresse e-mail invalide."),
        ("awa@", False, "Adresse e-mail invalide."),
        # no SMS channel: a number would be kept and never used
        ("77 123 45 67", False, "Tapez une adresse e-mail : les SMS ne sont pas"),
    ],
)
def test_kiosk_bad_contact_is_shown_next_to_the_field_and_issues_nothing(
    app, client, db, kiosk, typed, sms, message
):
    app.config["SMS_ENABLED"] = sms
    response = _take(client, kiosk, priority="high", contact=typed, skip=False)
    assert response.status_code == 422
    html = _text(response)
    field = re.search(r'<div class="kiosk-field has-error">.*?</div>', html, re.S)
    assert message in field.group(0)
    assert 'value="high"' in html  # the priority chosen before is kept
    assert _tickets(db) == []


def test_kiosk_skip_ignores_a_half_typed_contact(client, db, kiosk):
    assert _take(client, kiosk, contact="77 12", skip=True).status_code == 303
    (ticket,) = _tickets(db)
    assert ticket.contact_phone is None and ticket.contact_email is None


def test_kiosk_refuses_on_a_closed_day_with_the_engines_message(
    client, db, kiosk, frozen
):
    frozen.set(at(6, 10))  # a Sunday
    assert "Fermé · ouvre demain à 08:00" in _text(client.get(kiosk.url))
    response = _take(client, kiosk)
    assert response.status_code == 409
    assert "L'agence est fermée aujourd'hui." in _text(response)
    assert "Retour à l'accueil" in _text(response)
    assert _tickets(db) == []


def test_kiosk_refuses_a_paused_queue(client, db, kiosk):
    kiosk.a.queue.status = QueueStatus.PAUSED
    db.session.commit()
    assert "File en pause · reprend bientôt" in _text(client.get(kiosk.url))
    response = _take(client, kiosk)
    assert response.status_code == 409
    assert "Cette file est fermée pour le moment." in _text(response)
    assert _tickets(db) == []


def test_kiosk_appointment_only_service_leads_to_a_message(client, db, kiosk):
    html = _text(client.get(f"{kiosk.url}/services/{kiosk.b.id}"))
    assert "Ce service est uniquement sur rendez-vous." in html
    assert "/contact" not in html
    assert _take(client, kiosk, service=kiosk.b).status_code == 409
    assert _tickets(db) == []


def test_kiosk_does_not_serve_another_branchs_service_or_ticket(
    client, db, kiosk, make_branch, make_service
):
    elsewhere = make_service(make_branch(), "A", "Ailleurs")
    assert client.get(f"{kiosk.url}/services/{elsewhere.id}").status_code == 404
    assert _take(client, kiosk, service=elsewhere).status_code == 404
    other = operations.issue_ticket(elsewhere, channel=Channel.WEB)
    assert client.get(f"{kiosk.url}/tickets/{other.token}").status_code == 404
    assert _take(client, kiosk, service=elsewhere).status_code == 404
    assert (
        client.post(f"{kiosk.url}/services/999999/tickets", data={}).status_code == 404
    )
    assert [t.id for t in _tickets(db)] == [other.id]  # nothing issued here


def test_kiosk_does_not_issue_for_a_service_switched_off(client, db, kiosk):
    kiosk.a.is_active = False
    db.session.commit()
    assert _take(client, kiosk).status_code == 404
    assert _tickets(db) == []


def test_kiosk_tickets_reach_board_and_counters_once_per_burst(app, client, kiosk):
    """Within NEW_TICKETS_DELAY, a kiosk's tickets make one board update (the final
    counts) and one 'issue' for the counter screens, not one each."""
    app.config["NEW_TICKETS_DELAY"] = 60  # never fires here: published_so_far flushes
    board, branch = channels.board(kiosk.branch.id), channels.branch(kiosk.branch.id)
    with get_broker().subscribe([board, branch]) as messages:
        for _ in range(3):
            assert _take(client, kiosk).status_code == 303
        published = published_so_far(messages)
    actions = [channels.action(m) for m in published]
    assert actions[-1] == "issue" and actions.count("issue") == 1
    updates = [m for m in published if channels.action(m) != "issue"]
    assert len(updates) == 1
    assert f'data-service="{kiosk.a.id}">3<' in updates[0]


def test_a_ticket_issued_outside_a_request_is_announced_at_once(app, db, kiosk):
    """A job or a command has no later: its new ticket is published before it returns."""
    channel = channels.branch(kiosk.branch.id)
    with get_broker().subscribe([channel]) as messages:
        operations.issue_ticket(kiosk.a, channel=Channel.KIOSK)
        assert channels.action(next(iter(messages))) == "issue"


def test_kiosk_wolof_switch_speaks_wolof_until_reset(client, db, kiosk):
    client.post(f"{kiosk.url}/language", data={"lang": "wo"})
    html = _text(client.get(kiosk.url))
    assert "Ubbi kont" in html and "Ouverture de compte" not in html
    assert 'lang="wo"' in html
    assert "Ubbi kont" in _text(client.get(f"{kiosk.url}/services/{kiosk.a.id}"))
    _take(client, kiosk)
    assert _tickets(db)[0].locale == "wo"
    # the idle reset (and the "Terminé" button) posts French
    reset = client.post(f"{kiosk.url}/language", data={"lang": "fr"})
    assert reset.status_code == 303 and reset.headers["Location"].endswith(kiosk.url)
    assert "Ouverture de compte" in _text(client.get(kiosk.url))


def test_kiosk_language_is_french_whatever_the_browser_says(client, kiosk):
    html = _text(client.get(kiosk.url, headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in html
    assert "Bienvenue" in html


def test_kiosk_ticket_page_shows_the_ticket_its_qr_and_prints(client, db, kiosk):
    operations.issue_ticket(kiosk.a, channel=Channel.WEB)
    page = client.get(_take(client, kiosk).headers["Location"])
    html = _text(page)
    ticket = _tickets(db)[-1]
    assert page.status_code == 200
    assert 'id="ticket-number">A002<' in html
    assert ticket.branch.organization.name in html
    assert "Ouverture de compte" in html
    assert "10:00" in html  # issued at 10:00 in Dakar
    # 1 ahead x 10 min / 1 open counter, shown as a range
    assert "Attente estimée : 5–15 min" in html
    assert "1 personne avant vous" in html
    # the QR code leads to the live ticket page
    assert str(qr_svg(f"http://localhost/t/{ticket.token}")) in html
    assert '<svg viewBox="0 0' in html and 'class="qr"' in html
    assert re.search(r'href="/static/css/kiosk\.[0-9a-f]{10}\.css"', html)
    assert re.search(r'src="/static/js/kiosk\.[0-9a-f]{10}\.js"', html)
    assert "data-kiosk-print" in html
    assert re.search(r'data-kiosk-idle="20"', html)


def test_kiosk_stylesheet_prints_only_the_ticket_on_80mm_paper(app):
    css = (app.static_folder + "/css/kiosk.css").replace("//", "/")
    with open(css, encoding="utf-8") as f:
        text = f.read()
    printed = text[text.index("@media print") :]
    assert "size: 80mm" in printed
    assert ".kiosk-bar" in printed and ".screen-only" in printed


def test_kiosk_forms_carry_the_csrf_token(app_config, db, kiosk):
    from smartqueue import create_app

    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    start = _text(client.get(kiosk.url))
    contact = _text(client.get(f"{kiosk.url}/services/{kiosk.a.id}/contact"))
    for html in (start, contact):
        assert re.search(r'name="csrf_token" (type="hidden" )?value="[^"]+"', html)
    assert _take(client, kiosk).status_code == 400  # no token, no ticket
    assert _tickets(db) == []


def test_only_a_ticket_that_may_jump_ahead_stirs_the_pages_of_the_line(app, db, kiosk):
    """Ticket pages re-render their position on their service's channel: a normal ticket
    joining at the back moves nobody, a priority one may."""
    with get_broker().subscribe([channels.service(kiosk.a.id)]) as messages:
        operations.issue_ticket(kiosk.a, channel=Channel.KIOSK)
        operations.issue_ticket(kiosk.a, channel=Channel.KIOSK, priority=Priority.HIGH)
        assert [channels.action(m) for m in published_so_far(messages)] == ["issue"]
