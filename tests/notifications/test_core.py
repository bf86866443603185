"""The notification core in the embedded mode (jobs run in this process after commit): a
notice written once per channel with its status, quiet hours, channels that are off or
said stop, the per-number pace, the SMS cost; on SQLite and PostgreSQL."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.jobs import notices as notice_jobs
from smartqueue.jobs.outbox import join_apart
from smartqueue.models import (
    Channel,
    ContactOptOut,
    DeliveryChannel,
    Notification,
    NotificationKind,
    NotificationStatus,
    Ticket,
    TicketStatus,
)
from smartqueue.notifications import delivery, notices, queries, writing
from smartqueue.notifications import operations as notifications
from smartqueue.queueing import operations as ops

SMS = DeliveryChannel.SMS
EMAIL = DeliveryChannel.EMAIL
IN_APP = DeliveryChannel.IN_APP
SENT = NotificationStatus.SENT
PHONE = "+221771234567"
pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _rows(db, ticket_id, kind=None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.ticket_id == ticket_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    rows = list(db.session.scalars(query.order_by(Notification.id)))
    db.session.commit()
    return rows


def _by_channel(rows):
    return {row.channel: row for row in rows}


def _sms_files(app) -> list[str]:
    folder = Path(app.config["SMS_DIR"])
    return [p.read_text() for p in sorted(folder.glob("*"))] if folder.exists() else []


@pytest.fixture
def sms_dir(app, tmp_path):
    """The embedded SMS gateway's folder, this test's own."""
    app.config["SMS_DIR"] = str(tmp_path / "sms")
    return Path(app.config["SMS_DIR"])


def _dakar(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=clock.DAKAR)


def test_called_goes_out_on_every_channel_its_holder_has(
    app, db, backend, make_hall, make_user, mailbox, sms_dir
):
    hall = make_hall()
    customer = make_user(email="awa@example.sn")
    customer.phone = PHONE
    db.session.commit()
    ticket = ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)

    ops.call_next(hall.counter, by=hall.agent)

    rows = _by_channel(_rows(db, ticket.id, NotificationKind.TICKET_CALLED))
    assert set(rows) == {IN_APP, SMS, EMAIL}
    assert {row.status for row in rows.values()} == {SENT}
    sms = rows[SMS]
    assert sms.recipient == PHONE and ticket.code in sms.body
    assert (sms.segments, sms.cost_fcfa) == (1, app.config["SMS_COST_FCFA"])
    assert sms.provider_ref.startswith("file:")
    [saved] = _sms_files(app)
    assert ticket.code in saved and PHONE in saved
    [mail] = mailbox.wait_for("awa@example.sn")
    assert "C'est votre tour" in str(mail["Subject"])
    assert queries.count_unread(customer.id) == 1
    # The organization's SMS, counted for its invoice.
    usage = queries.sms_usage(
        hall.org.id, clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    )
    assert (usage.messages, usage.segments) == (1, 1)


def test_a_notice_is_written_once_however_often_its_job_runs(
    app, db, backend, make_hall, sms_dir
):
    hall = make_hall()
    ticket = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone=PHONE)
    ops.call_next(hall.counter, by=hall.agent)
    first = _rows(db, ticket.id, NotificationKind.TICKET_CALLED)
    assert len(first) == 1

    assert notices.tell_ticket(ticket.id, NotificationKind.TICKET_CALLED) == 0
    db.session.execute(
        Ticket.__table__.update()
        .where(Ticket.id == ticket.id)
        .values(called_notified_at=None)
    )
    db.session.commit()
    # Even with its "told" mark lost, the same event writes nothing twice.
    assert notices.tell_ticket(ticket.id, NotificationKind.TICKET_CALLED) == 0
    assert _rows(db, ticket.id, NotificationKind.TICKET_CALLED) == first
    assert len(_sms_files(app)) == 1


def test_quiet_hours_hold_a_near_at_23h_and_let_a_called_through(
    app, db, backend, make_hall, frozen, sms_dir
):
    hall = make_hall()
    first = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone=PHONE)
    near = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone="+221770000001")
    gone = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone="+221770000002")
    frozen.set(_dakar(1, 23))

    ops.call_next(hall.counter, by=hall.agent)

    [called] = _rows(db, first.id, NotificationKind.TICKET_CALLED)
    assert called.status is SENT and called.hold_until is None
    for ticket in (near, gone):
        [held] = _rows(db, ticket.id, NotificationKind.TICKET_NEAR)
        assert held.status is NotificationStatus.QUEUED
        assert held.hold_until == _dakar(2, 7)
    assert len(_sms_files(app)) == 1
    ops.cancel_ticket(gone)  # left during the night

    frozen.set(_dakar(2, 6, 59))
    assert notice_jobs.release_held_notifications() == 0
    frozen.set(_dakar(2, 7))
    assert notice_jobs.release_held_notifications() == 2

    [sent] = _rows(db, near.id, NotificationKind.TICKET_NEAR)
    assert sent.status is SENT
    [stale] = _rows(db, gone.id, NotificationKind.TICKET_NEAR)
    assert stale.status is NotificationStatus.NOT_SENT
    assert stale.reason == "plus d'actualité"
    assert len(_sms_files(app)) == 2


def test_a_customers_quiet_hours_and_muted_channels_are_theirs(
    app, db, backend, make_hall, make_user, frozen, sms_dir, mailbox
):
    hall = make_hall()
    customer = make_user(email="awa@example.sn")
    customer.phone = PHONE
    db.session.commit()
    notifications.set_preferences(
        customer,
        muted={"ticket:email"},
        quiet_enabled=True,
        quiet_start=datetime(2026, 1, 1, 9).time(),
        quiet_end=datetime(2026, 1, 1, 12).time(),
    )
    ops.issue_ticket(hall.a, channel=Channel.WEB)
    mine = ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)

    ops.call_next(hall.counter, by=hall.agent)  # 10:00: inside their 09-12 quiet

    rows = _by_channel(_rows(db, mine.id, NotificationKind.TICKET_NEAR))
    assert set(rows) == {IN_APP, SMS}  # no email: muted for ticket news
    assert rows[IN_APP].status is SENT  # the bell is silent: never held
    assert rows[SMS].hold_until == _dakar(1, 12)


def test_channels_off_or_stopped_are_kept_as_not_sent(
    app, db, backend, make_hall, mailbox, sms_dir
):
    app.config.update(SMS_PROVIDER=None, SMS_ENABLED=False)
    notifications.opt_out(EMAIL, "awa@example.sn")
    hall = make_hall()
    ticket = ops.issue_ticket(
        hall.a,
        channel=Channel.WEB,
        contact_phone=PHONE,
        contact_email="Awa@example.sn",
    )

    ops.call_next(hall.counter, by=hall.agent)

    rows = _by_channel(_rows(db, ticket.id))
    assert rows[SMS].status is NotificationStatus.NOT_SENT
    assert rows[SMS].reason == "SMS non configuré"
    assert rows[EMAIL].status is NotificationStatus.NOT_SENT
    assert rows[EMAIL].reason == "désabonné"
    assert _sms_files(app) == [] and mailbox.messages("awa@example.sn") == []
    failures = queries.list_branch_failures(hall.branch.id, clock.now() - timedelta(1))
    assert {f.id for f in failures} == {rows[SMS].id, rows[EMAIL].id}


def test_an_emails_unsubscribe_link_stops_email_after_one_tap(
    app, db, backend, client, make_hall, mailbox, sms_dir
):
    hall = make_hall()
    ticket = ops.issue_ticket(
        hall.a, channel=Channel.KIOSK, contact_email="awa@example.sn"
    )
    [mail] = mailbox.wait_for("awa@example.sn")
    body = mail.get_body(("plain",)).get_content()
    assert ticket.code in body
    link = re.search(r"https?://\S+/unsubscribe/\S+", body).group(0)
    path = urlsplit(link).path

    page = client.get(path)
    assert page.status_code == 200 and "awa@example.sn" in page.text
    assert db.session.scalar(select(func.count()).select_from(ContactOptOut)) == 0
    assert client.post(path).status_code == 200
    assert (
        client.get(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 404
    )

    ops.call_next(hall.counter, by=hall.agent)
    [called] = _rows(db, ticket.id, NotificationKind.TICKET_CALLED)
    assert called.status is NotificationStatus.NOT_SENT
    assert len(mailbox.messages("awa@example.sn")) == 1


def test_a_number_gets_no_more_than_its_hourly_sms_except_called(
    app, db, backend, make_hall, sms_dir
):
    app.config["SMS_PER_NUMBER_PER_HOUR"] = 2
    hall = make_hall()
    tickets = [
        ops.issue_ticket(hall.a, channel=Channel.KIOSK, contact_phone=PHONE)
        for _ in range(3)
    ]
    issued = [_rows(db, t.id, NotificationKind.TICKET_ISSUED)[0] for t in tickets]
    assert [r.status for r in issued] == [
        SENT,
        SENT,
        NotificationStatus.NOT_SENT,
    ]
    assert issued[2].reason == "limite d'envoi atteinte"
    ops.call_next(hall.counter, by=hall.agent)  # "called" always goes
    [called] = _rows(db, tickets[0].id, NotificationKind.TICKET_CALLED)
    assert called.status is SENT


def test_a_failing_channel_is_retried_and_kept_failed_after_the_last_try(
    app, db, backend, make_hall
):
    from tests.notifications.sms_servers import FakeSmsGateway

    hall = make_hall()
    with FakeSmsGateway() as gateway:
        app.config.update(gateway.config())
        gateway.behaviour = "error"
        ticket = ops.issue_ticket(hall.a, channel=Channel.KIOSK, contact_phone=PHONE)
        [row] = _rows(db, ticket.id)
        assert (row.status, row.attempts) == (NotificationStatus.QUEUED, 1)
        for attempt in range(2, 5):  # the job's retries
            with pytest.raises(delivery.SendFailed, match="500"):
                delivery.send_batch([row.id])
            [row] = _rows(db, ticket.id)
            assert (row.status, row.attempts) == (NotificationStatus.QUEUED, attempt)
        assert delivery.send_batch([row.id]) == {"failed": 1}  # the last: kept failed
        [row] = _rows(db, ticket.id)
        assert row.status is NotificationStatus.FAILED and "500" in row.reason
        gateway.behaviour = "ok"
        delivery.send_batch([row.id])  # a late run does not send a failed message
        assert not gateway.delivered


def test_a_ticket_cancelled_by_staff_is_told_and_a_queue_pause_too(
    app, db, backend, make_hall, sms_dir
):
    hall = make_hall(staff=("agent", "branch_manager"))
    first = ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone=PHONE)
    second = ops.issue_ticket(
        hall.a, channel=Channel.WEB, contact_phone="+221770000001"
    )
    ops.cancel_ticket(first, by=hall.agent)
    [cancelled] = _rows(db, first.id, NotificationKind.TICKET_CANCELLED)
    assert cancelled.status is SENT

    ops.set_queue_status(
        hall.a.queue, hall.a.queue.status.__class__("paused"), by=hall.manager
    )
    [paused] = _rows(db, second.id, NotificationKind.QUEUE_PAUSED)
    assert paused.status is SENT and second.code in paused.body
    assert db.session.get(Ticket, second.id).status is TicketStatus.WAITING


def test_an_urgent_message_reaches_every_waiting_holder_and_returns_at_once(
    app, db, backend, make_hall, sms_dir
):
    hall = make_hall(staff=("agent", "branch_manager"))
    holders = [
        ops.issue_ticket(hall.a, channel=Channel.WEB, contact_phone=f"+22177000{i:04d}")
        for i in range(5)
    ]
    ops.issue_ticket(hall.a, channel=Channel.WEB)  # nobody to tell

    broadcast = notifications.broadcast_message(
        hall.branch, "  Coupure de courant :   reprise à 14 h. ", by=hall.manager
    )

    assert broadcast.text == "Coupure de courant : reprise à 14 h."
    join_apart()  # without Redis, the messages are written in a thread of their own
    db.session.commit()  # a fresh snapshot
    db.session.refresh(broadcast)
    assert broadcast.tickets_reached == 5 and broadcast.written_at is not None
    for ticket in holders:
        [row] = _rows(db, ticket.id, NotificationKind.URGENT)
        assert row.status is SENT and "reprise à 14 h" in row.body
    assert queries.get_active_broadcast(hall.branch.id).id == broadcast.id
    with pytest.raises(notifications.NotificationError):
        notifications.broadcast_message(hall.branch, "x" * 301, by=hall.manager)
    with pytest.raises(notifications.NotificationError):
        notifications.broadcast_message(hall.branch, "   ", by=hall.manager)


def test_writing_nothing_for_nobody(app, db, backend):
    assert writing.write(NotificationKind.URGENT, []) == []
