"""The bell, the list of in-app messages and the history of the other channels: signed-in
only, each person's own messages only, marked read one by one or all at once."""

import html as markup
import re
from datetime import timedelta

import pytest

from smartqueue import clock
from smartqueue.models import (
    Channel,
    DeliveryChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from smartqueue.notifications import queries
from smartqueue.notifications.recipients import REASONS
from smartqueue.queueing import operations as ops
from smartqueue.web.notifications.inbox import REASON_LABELS

C = DeliveryChannel
S = NotificationStatus


@pytest.fixture
def make_note(db):
    """Factory: make_note(user, channel=IN_APP, status=SENT, read=False, ...) ->
    Notification, written as the notification core writes them."""
    made = []

    def make(user, channel=C.IN_APP, status=S.SENT, read=False, **fields):
        now = clock.now()
        fields.setdefault("subject", f"Message {len(made) + 1}")
        fields.setdefault("body", f"Texte du message {len(made) + 1}")
        note = Notification(
            kind=fields.pop("kind", NotificationKind.TICKET_NEAR),
            channel=channel,
            status=status,
            recipient=fields.pop("recipient", f"user:{user.id}"),
            user_id=user.id,
            created_at=now + timedelta(seconds=len(made)),
            read_at=now if read else None,
            **fields,
        )
        db.session.add(note)
        db.session.commit()
        made.append(note)
        return note

    return make


def _bell(html: str) -> str:
    return re.search(r'<a id="bell".*?</a>', html, re.S).group(0)


def _text(html: str) -> str:
    return markup.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/notifications"),
        ("GET", "/notifications/bell"),
        ("POST", "/notifications/read"),
    ],
)
def test_inbox_routes_send_a_visitor_to_sign_in(client, method, path):
    response = client.open(path, method=method, data={"all": "1"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_inbox_bell_is_in_the_header_for_signed_in_people_only(
    client, auth, make_user, make_note
):
    assert 'id="bell"' not in client.get("/").get_data(as_text=True)
    assert "js/bell" not in client.get("/").get_data(as_text=True)
    customer = make_user()
    auth.login(customer)
    html = client.get("/").get_data(as_text=True)
    bell = _bell(html)
    assert 'data-unread="0"' in bell
    assert 'aria-label="Notifications"' in bell
    assert re.search(r'class="bell-count" hidden>', bell)  # no badge at 0
    assert 'data-live="/ws/me"' in bell
    assert "js/bell" in html  # the script that keeps it live

    make_note(customer)
    make_note(customer)
    make_note(customer, read=True)
    make_note(customer, channel=C.SMS, recipient="+221771234567")  # not the bell's
    bell = _bell(client.get("/").get_data(as_text=True))
    assert 'data-unread="2"' in bell
    assert 'aria-label="Notifications : 2 non lues"' in bell
    assert re.search(r'class="bell-count">2</span>', bell)


def test_inbox_bell_fragment_is_the_bell_alone(client, auth, make_user, make_note):
    customer = make_user()
    make_note(customer)
    auth.login(customer)
    response = client.get("/notifications/bell")
    html = response.get_data(as_text=True).strip()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert html.startswith('<a id="bell"') and html.endswith("</a>")  # one root
    assert 'aria-label="Notifications : 1 non lue"' in html


def test_inbox_lists_messages_newest_first_unread_marked_links_on_this_site(
    client, auth, make_user, make_note
):
    customer = make_user()
    old = make_note(customer, subject="Ticket A001 pris", read=True)
    new = make_note(
        customer,
        subject="Votre tour approche : ticket A001",
        link="http://localhost:5000/t/abc123",  # written by a job, another host
    )
    evil = make_note(customer, subject="Lien piégé", link="javascript:alert(1)")
    auth.login(customer)
    html = client.get("/notifications").get_data(as_text=True)
    items = re.findall(r'<li class="inbox-item[^"]*" id="notification-(\d+)"', html)
    assert items == [str(evil.id), str(new.id), str(old.id)]
    unread = re.findall(r'class="inbox-item is-unread" id="notification-(\d+)"', html)
    assert unread == [str(evil.id), str(new.id)]
    assert '<a href="/t/abc123">Votre tour approche : ticket A001</a>' in html
    assert "javascript:" not in html
    assert "Tout marquer comme lu" in html
    assert html.count("Marquer comme lu") == 2  # one per unread message


def test_inbox_history_shows_each_channel_status_and_why_in_words(
    client, auth, make_user, make_note, frozen
):
    customer = make_user()
    make_note(customer, channel=C.EMAIL, recipient=customer.email, status=S.DELIVERED)
    make_note(
        customer,
        channel=C.SMS,
        recipient="+221771234567",
        status=S.NOT_SENT,
        reason=REASONS["sms"],
    )
    make_note(
        customer,
        channel=C.SMS,
        recipient="+221771234567",
        status=S.FAILED,
        reason="ConnectionError: https://gateway.internal/send?key=s3cret",
    )
    make_note(
        customer,
        channel=C.PUSH,
        recipient="push:1",
        status=S.QUEUED,
        hold_until=frozen.now + timedelta(hours=9),
        subject="Ticket A004 pris",
    )
    auth.login(customer)
    html = client.get("/notifications").get_data(as_text=True)
    history = _text(html.split('id="sent-history"', 1)[1])
    assert "E-mail · " + customer.email in history and "Remis" in history
    assert "SMS · 77 123 45 67" in history
    assert "Non envoyé" in history
    assert (
        "Les SMS ne sont pas encore envoyés." in history
    )  # the known reason, in words
    assert "Échec" in history
    assert "Le service d'envoi a refusé le message." in history
    assert (
        "s3cret" not in html and "gateway.internal" not in html
    )  # staff's, not theirs
    assert "Notification push" in history and "En file d'envoi" in history
    assert "retenu jusqu'à" in history and "heures calmes" in history
    # The in-app messages are in the list above, not in this history.
    assert 'id="notification-' not in html


def test_inbox_shows_nobody_elses_messages_nor_marks_them(
    client, auth, make_user, make_note
):
    awa, moussa = make_user(), make_user()
    theirs = make_note(moussa, subject="Message de Moussa")
    sent = make_note(moussa, channel=C.SMS, recipient="+221770000001", subject="SMS M")
    mine = make_note(awa, subject="Message pour Awa")
    auth.login(awa)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Message pour Awa" in html
    assert "Message de Moussa" not in html and "SMS M" not in html
    assert 'data-unread="1"' in _bell(html)
    response = client.post("/notifications/read", data={"ids": [theirs.id, sent.id]})
    assert response.status_code == 303
    assert queries.count_unread(moussa.id) == 1  # theirs stays unread
    assert queries.count_unread(awa.id) == 1  # and nothing of Awa's moved
    client.post("/notifications/read", data={"all": "1"})
    assert queries.count_unread(moussa.id) == 1
    assert queries.count_unread(awa.id) == 0
    assert mine.id


def test_inbox_marks_one_message_read_then_all(client, auth, make_user, make_note):
    customer = make_user()
    first, second, third = (make_note(customer) for _ in range(3))
    auth.login(customer)
    response = client.post("/notifications/read", data={"ids": str(second.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notifications")
    assert queries.count_unread(customer.id) == 2
    html = client.get("/notifications").get_data(as_text=True)
    assert f'class="inbox-item" id="notification-{second.id}"' in html  # read now
    assert 'data-unread="2"' in _bell(html)

    client.post("/notifications/read", data={"ids": ["junk", "-1", "9" * 12]})
    assert queries.count_unread(customer.id) == 2  # junk ids: nothing happens

    client.post("/notifications/read", data={"all": "1"})
    assert queries.count_unread(customer.id) == 0
    html = client.get("/notifications").get_data(as_text=True)
    assert "is-unread" not in html and "Tout marquer comme lu" not in html
    assert 'data-unread="0"' in _bell(html)
    assert first.id and third.id


@pytest.mark.backends("sqlite", "postgresql")
def test_inbox_counts_the_notices_of_a_called_line(client, auth, make_hall, make_user):
    """The real path: a call writes "near" for the next ones and "called" for the
    called one (jobs, run at once in the embedded mode); each in-app message counts
    once in its holder's bell."""
    hall = make_hall(counters={1: "A", 2: "A"}, staff=("agent", "agent"))
    customer = make_user()
    ops.issue_ticket(hall.a, channel=Channel.KIOSK)  # someone ahead
    mine = ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)
    auth.login(customer)
    assert queries.count_unread(customer.id) == 0

    ops.call_next(hall.counters[1], by=hall.staff[0])  # the one ahead: mine is near
    assert queries.count_unread(customer.id) == 1
    ops.call_next(hall.counters[2], by=hall.staff[1])  # mine
    assert queries.count_unread(customer.id) == 2
    html = client.get("/notifications").get_data(as_text=True)
    assert f"ticket {mine.code}" in html
    assert 'data-unread="2"' in _bell(html)


def test_inbox_has_words_for_every_reason_a_message_is_not_sent():
    """A reason added to recipients.REASONS gets its words for the customer here."""
    assert set(REASON_LABELS) == set(REASONS.values())
