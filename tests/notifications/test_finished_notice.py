"""The "finished" notice: when a ticket is served, its holder is thanked on their
channels with a link to rate the visit, once; its SMS is one GSM-7 part."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from smartqueue.models import (
    Channel,
    DeliveryChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from smartqueue.notifications import gsm, notices, texts
from smartqueue.queueing import operations as ops

FINISHED = NotificationKind.TICKET_FINISHED
PHONE = "+221771234567"
pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _finished_rows(db, ticket_id) -> list[Notification]:
    db.session.expire_all()
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.ticket_id == ticket_id, Notification.kind == FINISHED)
            .order_by(Notification.id)
        )
    )
    db.session.commit()
    return rows


@pytest.fixture
def sms_dir(app, tmp_path):
    app.config["SMS_DIR"] = str(tmp_path / "sms")
    return Path(app.config["SMS_DIR"])


def test_a_served_ticket_is_thanked_once_with_a_link_to_rate(
    app, db, client, make_hall, make_user, mailbox, sms_dir, frozen
):
    hall = make_hall()
    customer = make_user(email="awa@example.sn")
    customer.phone = PHONE
    db.session.commit()
    ticket = ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)
    ops.finish(ops.call_next(hall.counter, by=hall.agent), by=hall.agent)

    rows = {row.channel: row for row in _finished_rows(db, ticket.id)}
    assert set(rows) == {
        DeliveryChannel.IN_APP,
        DeliveryChannel.SMS,
        DeliveryChannel.EMAIL,
    }
    assert {row.status for row in rows.values()} == {NotificationStatus.SENT}
    link = rows[DeliveryChannel.IN_APP].link
    assert link.endswith(f"/t/{ticket.token}#ticket-rating")
    sms = rows[DeliveryChannel.SMS]
    assert link in sms.body and "Notez-la de 1 à 5" in sms.body
    assert sms.segments == 1
    mails = mailbox.wait_for("awa@example.sn", count=2)  # the ticket taken, then this
    [mail] = [m for m in mails if "Merci de votre visite" in str(m["Subject"])]
    assert link in mail.get_body(("plain",)).get_content()

    # Written once, however often its job runs.
    assert notices.tell_ticket(ticket.id, FINISHED) == 0
    assert len(_finished_rows(db, ticket.id)) == 3

    # The link opens the ticket's page at the rating form.
    page = client.get(urlsplit(link).path).get_data(as_text=True)
    assert 'id="ticket-rating"' in page and 'name="rating"' in page


def test_nobody_to_tell_and_no_other_end_writes_nothing(db, make_hall, frozen):
    hall = make_hall()
    anonymous = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    ops.finish(ops.call_next(hall.counter, by=hall.agent), by=hall.agent)
    assert _finished_rows(db, anonymous.id) == []
    # A ticket that ended otherwise (cancelled) is never thanked for a visit.
    other = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone=PHONE)
    ops.cancel_ticket(other)
    assert notices.tell_ticket(other.id, FINISHED) == 0
    assert _finished_rows(db, other.id) == []


def test_the_finished_sms_fits_one_gsm7_part_with_the_longest_names(app):
    link = "https://www.smartqueue.sn/t/" + "x" * 32 + "#ticket-rating"
    said = texts.words(
        FINISHED, "fr", code="A1000", branch="B" * texts.NAME_CHARS, link=link
    )
    assert link in said.text
    assert gsm.segments(gsm.to_gsm7(said.text)) == ("gsm7", 1), len(said.text)
