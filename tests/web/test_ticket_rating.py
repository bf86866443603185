"""A served ticket's page asks for a rating once (POST /t/<token>/rating, post/redirect/
get or htmx), says thanks after, and refuses in French what it must."""

import pytest
from sqlalchemy import func, select

from smartqueue.analytics import ratings
from smartqueue.models import Channel, TicketRating
from smartqueue.queueing import operations as ops

pytestmark = pytest.mark.backends("sqlite", "postgresql")
HTMX = {"HX-Request": "true"}


def _served(hall):
    ticket = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    ops.finish(ops.call_next(hall.counter, by=hall.agent), by=hall.agent)
    return ticket


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TicketRating))


def test_a_served_ticket_is_rated_once_then_thanked(client, db, make_hall, frozen):
    ticket = _served(make_hall())
    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert 'id="ticket-rating"' in page and page.count('name="rating"') == 5
    assert "Très satisfait" in page and 'maxlength="500"' in page

    answer = client.post(
        f"/t/{ticket.token}/rating", data={"rating": "4", "comment": " Rapide. "}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/t/{ticket.token}#ticket-rating")
    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert "Merci pour votre avis" in page and "Votre note : 4 sur 5" in page
    assert 'name="rating"' not in page  # asked once

    again = client.post(f"/t/{ticket.token}/rating", data={"rating": "1"})
    assert again.status_code == 409
    assert "déjà noté cette visite" in again.get_data(as_text=True)
    db.session.expire_all()
    assert _count(db) == 1
    assert db.session.get(TicketRating, ticket.id).rating == 4


def test_htmx_rating_swaps_the_ticket_in_place(client, db, make_hall, frozen):
    ticket = _served(make_hall())
    answer = client.post(
        f"/t/{ticket.token}/rating", data={"rating": "5"}, headers=HTMX
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-live"')
    assert "Merci pour votre avis" in html and "<html" not in html


def test_a_waiting_or_cancelled_ticket_is_not_rated(client, db, make_hall, frozen):
    hall = make_hall()
    waiting = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    page = client.get(f"/t/{waiting.token}").get_data(as_text=True)
    assert 'id="ticket-rating"' not in page
    answer = client.post(f"/t/{waiting.token}/rating", data={"rating": "5"})
    assert answer.status_code == 409
    assert "une fois servi" in answer.get_data(as_text=True)
    ops.cancel_ticket(waiting)
    answer = client.post(f"/t/{waiting.token}/rating", data={"rating": "5"})
    assert answer.status_code == 409
    assert _count(db) == 0
    assert client.post("/t/nosuchtoken/rating", data={"rating": "5"}).status_code == 404


@pytest.mark.parametrize(
    "data, message",
    [
        ({"rating": "9", "comment": "Mon avis"}, "Choisissez une note de 1 à 5."),
        ({"comment": "Sans note"}, "Choisissez une note de 1 à 5."),
        ({"rating": "3", "comment": "x" * 501}, "trop long"),
        ({"rating": "3", "comment": "a\x01b"}, "caractères non autorisés"),
    ],
)
def test_a_bad_rating_is_refused_in_french_by_the_form(
    client, db, make_hall, frozen, data, message
):
    ticket = _served(make_hall())
    answer = client.post(f"/t/{ticket.token}/rating", data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in html.replace("&#39;", "'")
    assert 'name="rating"' in html  # the form again, with what was typed
    if data["comment"].isprintable() and len(data["comment"]) < 20:
        assert data["comment"] in html
    assert _count(db) == 0


def test_the_rating_form_closes_seven_days_after_the_visit(
    client, db, make_hall, frozen
):
    ticket = _served(make_hall())
    frozen.tick(days=8)
    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)
    assert "Le délai pour noter cette visite est passé." in page
    assert 'name="rating"' not in page
    answer = client.post(f"/t/{ticket.token}/rating", data={"rating": "5"})
    assert answer.status_code == 409 and _count(db) == 0


def test_another_organizations_manager_never_sees_the_comments(
    client, auth, db, make_hall, frozen
):
    ours = make_hall(name="Plateau", staff=("agent", "branch_manager"))
    theirs = make_hall(
        name="Médina", org="Autre banque", staff=("agent", "branch_manager")
    )
    ratings.rate_ticket(_served(ours).token, 2, "Commentaire de Plateau")
    ratings.rate_ticket(_served(theirs).token, 5, "Commentaire de Médina")
    auth.login(theirs.manager)
    day = "?period=day&start=2026-12-01"
    own = client.get(f"/manage/branches/{theirs.branch.id}/analytics{day}")
    assert own.status_code == 200
    html = own.get_data(as_text=True)
    assert "Commentaire de Médina" in html and "Commentaire de Plateau" not in html
    other = client.get(f"/manage/branches/{ours.branch.id}/analytics{day}")
    assert other.status_code in (403, 404)
    assert "Commentaire de Plateau" not in other.get_data(as_text=True)
    org = client.get(f"/manage/organizations/{ours.org.id}/analytics{day}")
    assert "Commentaire de Plateau" not in org.get_data(as_text=True)
