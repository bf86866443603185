"""Answering a message received by SMS: each command, its reply (written once as an SMS),
refusals as replies, a message received twice, a number that writes too much; on both
databases."""

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as appointments
from smartqueue.models import (
    AppointmentStatus,
    Channel,
    ContactOptOut,
    DeliveryChannel,
    InboundMessage,
    Notification,
    NotificationKind,
    NotificationStatus,
    QueueStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartqueue.notifications import conversation, notices
from smartqueue.notifications.gsm import segments, to_gsm7
from smartqueue.queueing import operations as queueing
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

PHONE = "+221771234567"
_ids = count(1)


@pytest.fixture
def app_config(app_config, tmp_path):
    """The embedded SMS gateway, writing into this test's own folder."""
    return {**app_config, "SMS_PROVIDER": "file", "SMS_DIR": str(tmp_path / "sms")}


def say(text, sender=PHONE, message_id=None):
    return conversation.answer("test", message_id or f"m{next(_ids)}", sender, text)


def replies_to(db, phone=PHONE):
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.kind == NotificationKind.SMS_REPLY)
            .where(Notification.recipient == phone)
            .order_by(Notification.id)
        )
    )


def test_ticket_by_sms_is_issued_with_the_sms_channel_and_the_number(db, hall):
    queueing.issue_ticket(hall.a, channel=Channel.KIOSK)  # one ahead
    said = say("ticket plateau a", sender="77 123 45 67")
    ticket = db.session.get(Ticket, said.ticket_id)
    assert ticket.channel is Channel.SMS and ticket.contact_phone == PHONE
    assert ticket.service_id == hall.a.id and ticket.locale == "fr"
    assert said.ticket_code == ticket.code == "A002" and not said.replayed
    assert "A002" in said.reply and "1 avant vous" in said.reply
    assert "env. 10 min" in said.reply
    inbound = db.session.scalar(select(InboundMessage))
    assert (inbound.sender, inbound.reply, inbound.ticket_id) == (
        PHONE,
        said.reply,
        ticket.id,
    )
    [reply] = replies_to(db)
    assert reply.body == said.reply and reply.channel is DeliveryChannel.SMS
    assert reply.status is NotificationStatus.SENT  # by the embedded send job
    assert reply.ticket_id == ticket.id and reply.organization_id == hall.org.id


def test_the_same_message_again_issues_nothing_and_gets_the_same_reply(db, hall):
    first = say("TICKET PLATEAU A", message_id="gw-1")
    again = say("TICKET PLATEAU A", message_id="gw-1")
    assert again.replayed and again.reply == first.reply
    assert again.ticket_id == first.ticket_id and again.ticket_code == "A001"
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    assert len(replies_to(db)) == 1


def test_a_wolof_keyword_gives_a_ticket_in_wolof(db, hall):
    said = say("Jël plateau b")
    ticket = db.session.get(Ticket, said.ticket_id)
    assert ticket.locale == "wo" and ticket.service_id == hall.b.id
    assert replies_to(db)[0].locale == "wo"


def test_the_letter_may_be_left_out_when_one_line_is_open(db, hall, make_hall):
    asked = say("TICKET PLATEAU")
    assert asked.ticket_id is None and "(A, B)" in asked.reply
    assert "TICKET PLATEAU A" in asked.reply
    queueing.set_queue_status(hall.b.queue, QueueStatus.PAUSED, by=hall.agent)
    said = say("TICKET PLATEAU", sender="+221761234567")
    assert db.session.get(Ticket, said.ticket_id).service_id == hall.a.id


@pytest.mark.parametrize(
    "text,says",
    [
        ("TICKET NULLEPART A", "aucune agence n'a le code NULLEPART"),
        ("TICKET PLATEAU C", "n'a pas de service C. Services : A, B."),
    ],
)
def test_an_unknown_branch_or_service_is_told(db, hall, text, says):
    said = say(text)
    assert said.ticket_id is None and says in said.reply
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert len(replies_to(db)) == 1


def test_a_refusal_of_the_engine_is_the_reply(db, hall, frozen):
    queueing.set_queue_status(hall.a.queue, QueueStatus.PAUSED, by=hall.agent)
    paused = say("TICKET PLATEAU A")
    assert paused.reply == "SmartQueue: Cette file est fermée pour le moment."
    frozen.set(at(1, 20))  # after closing time
    closed = say("TICKET PLATEAU B", sender="+221761234567")
    assert closed.reply == "SmartQueue: L'agence est ouverte de 08:00 à 17:00."
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    stored = db.session.scalars(
        select(InboundMessage.reply).order_by(InboundMessage.id)
    )
    assert list(stored) == [paused.reply, closed.reply]


def test_one_live_ticket_per_number_and_line(db, hall):
    first = say("TICKET PLATEAU A")
    again = say("TICKET PLATEAU A")
    assert again.ticket_id is None
    assert again.reply == (
        "SmartQueue: vous avez déjà le ticket A001 dans cette file. STATUT pour suivre."
    )
    other_line = say("TICKET PLATEAU B")
    assert other_line.ticket_id not in (None, first.ticket_id)


def test_a_number_holds_a_few_live_tickets_at_once(db, make_hall, frozen):
    hall = make_hall(services=[(p, f"Service {p}") for p in "ABCD"])
    hall.branch.sms_code = "PLATEAU"
    db.session.commit()
    for letter in "ABC":
        assert say(f"TICKET PLATEAU {letter}").ticket_id
    fourth = say("TICKET PLATEAU D")
    assert fourth.ticket_id is None and "déjà 3 tickets en cours" in fourth.reply
    say("ANNULER")  # C
    frozen.tick(minutes=1)  # six messages: past the minute's pace
    assert say("TICKET PLATEAU D").ticket_id


def test_status_says_the_place_then_the_counter(db, hall):
    assert "aucun ticket en cours" in say("STATUT").reply
    queueing.issue_ticket(hall.a, channel=Channel.KIOSK)
    mine = say("TICKET PLATEAU A")
    status = say("statut")
    assert status.ticket_id == mine.ticket_id
    assert "A002" in status.reply and "1 avant vous" in status.reply
    first = queueing.call_next(hall.counter, by=hall.agent)
    queueing.finish(first, by=hall.agent)
    queueing.call_next(hall.counter, by=hall.agent)  # A002
    called = say("Naka")
    assert "A002" in called.reply and "guichet 1" in called.reply
    assert replies_to(db)[-1].locale == "wo"


def test_cancel_cancels_the_numbers_live_ticket(db, hall):
    mine = say("TICKET PLATEAU A")
    said = say("ANNULER")
    assert said.ticket_id == mine.ticket_id and "A001" in said.reply
    assert "annulé" in said.reply
    ticket = db.session.get(Ticket, mine.ticket_id)
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.CANCELLED and ticket.finished_at is not None
    moves = db.session.scalars(
        select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)
    )
    assert list(moves) == ["issue", "cancel"]
    assert "amul benn ticket" in say("bayi").reply  # asked in Wolof: told in Wolof


def test_stop_then_no_more_notices_by_sms_and_start_again(db, hall):
    mine = say("TICKET PLATEAU A")
    stop = say("STOP")
    assert "START" in stop.reply
    assert db.session.scalar(
        select(ContactOptOut).where(ContactOptOut.address == PHONE)
    )
    # STOP's own reply goes: it answers a message.
    assert replies_to(db)[-1].status is NotificationStatus.SENT
    notices.tell_ticket(mine.ticket_id, NotificationKind.TICKET_NEAR)
    near = db.session.scalar(
        select(Notification).where(Notification.kind == NotificationKind.TICKET_NEAR)
    )
    assert near.status is NotificationStatus.NOT_SENT and near.reason == "désabonné"
    say("reprendre")
    assert db.session.scalar(select(func.count(ContactOptOut.id))) == 0


def test_a_new_ticket_by_sms_takes_sms_back(db, hall):
    say("STOP")
    say("TICKET PLATEAU A")
    assert db.session.scalar(select(func.count(ContactOptOut.id))) == 0


@pytest.mark.parametrize("text", ["AIDE", "ndimbal", "bonjour", "TICKETPLATEAU A", ""])
def test_help_and_anything_not_understood_get_the_help(db, hall, text):
    said = say(text)
    example = "TIKET PLATEAU A" if text == "ndimbal" else "TICKET PLATEAU A"  # Wolof
    assert said.ticket_id is None and example in said.reply


def test_too_many_messages_from_one_number_get_no_ticket(db, hall, frozen):
    for _ in range(conversation.INBOUND_PER_MINUTE):
        say("AIDE")
    over = say("TICKET PLATEAU A")
    assert over.ticket_id is None and "trop de messages" in over.reply
    assert say("TICKET PLATEAU A").reply is None  # told once
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert len(replies_to(db)) == conversation.INBOUND_PER_MINUTE + 1
    assert say("TICKET PLATEAU A", sender="+221761234567").ticket_id  # others served
    frozen.tick(minutes=1)
    assert say("TICKET PLATEAU A").ticket_id is not None


def test_an_unknown_number_gets_nothing(db, hall):
    said = say("TICKET PLATEAU A", sender="+33612345678")
    assert said == conversation.Answer(None)
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


@pytest.fixture
def reminded(db, agenda, make_user):
    """Two appointments of a customer whose phone is PHONE, reminded the day before."""
    agenda.customer.phone = PHONE
    db.session.commit()
    first = appointments.book_appointment(agenda.customer, agenda.service, at(2, 9))
    second = appointments.book_appointment(agenda.customer, agenda.service, at(3, 9))
    for appointment in (first, second):
        appointment.reminder_24h_sent_at = at(1, 9)
    db.session.commit()
    return first, second


def test_yes_confirms_the_next_reminded_appointment(db, reminded):
    first, second = reminded
    said = say("OUI")
    assert first.number in said.reply and "confirmé" in said.reply
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.customer_confirmed_at is not None
    assert second.customer_confirmed_at is None
    assert replies_to(db)[-1].body == said.reply


def test_no_cancels_it_and_frees_the_slot(db, reminded):
    first, _ = reminded
    said = say("Déedéet")
    assert first.number in said.reply
    db.session.refresh(first)
    assert first.status is AppointmentStatus.CANCELLED
    again = say("NON", message_id="later")
    assert reminded[1].number in again.reply  # the next one now


def test_yes_without_an_appointment_is_told(db, hall):
    assert "aucun rendez-vous" in say("oui").reply
    assert "amul benn rendez-vous" in say("waaw").reply


def test_every_reply_fits_one_gsm7_sms_in_french_and_wolof(
    app, db, make_hall, make_user, frozen
):
    """The longest names and numbers a reply may carry, each reply in both languages."""
    app.config["SMS_INBOUND_PER_MINUTE"] = 1000
    long = "Agence de la Grande Mosquée de Touba Darou Khoudoss " * 2
    services = [(chr(65 + i), long, 10) for i in range(12)]
    hall = make_hall(services=services, name=long)
    hall.branch.sms_code = "GRANDMOSQUEE"
    db.session.commit()
    for _ in range(120):  # 3-digit places ahead, 4-digit minutes
        queueing.issue_ticket(hall.a, channel=Channel.KIOSK)
    replies = []
    for locale, words in (
        ("fr", ("TICKET", "STATUT", "ANNULER", "AIDE", "OUI", "NON")),
        ("wo", ("TIKET", "NAKA", "BAYI", "NDIMBAL", "WAAW", "DEDET")),
    ):
        ticket, status, cancel, help_, yes, no = words
        phone = "+22177000000" + str(len(replies) % 10)
        for text in (
            help_,
            f"{ticket} XXXXXXXXXXXX A",
            f"{ticket} GRANDMOSQUEE Z",
            f"{ticket} GRANDMOSQUEE",
            status,
            cancel,
            f"{ticket} GRANDMOSQUEE A",
            f"{ticket} GRANDMOSQUEE A",
            status,
            cancel,
            "STOP",
            "START",
            yes,
            no,
        ):
            replies.append((locale, say(text, sender=phone).reply))
    for prefix in "BCD":  # as many live tickets as a number may hold
        queueing.issue_ticket(
            hall.services[prefix], channel=Channel.SMS, contact_phone=PHONE
        )
    replies.append(("fr", say("TICKET GRANDMOSQUEE E").reply))
    app.config["SMS_INBOUND_PER_MINUTE"] = 1
    replies.append(("fr", say("AIDE").reply))
    frozen.tick(hours=12)  # closed
    replies.append(("fr", say("TICKET GRANDMOSQUEE D", sender="+221761111111").reply))
    assert len({reply for _, reply in replies}) >= 15
    for locale, reply in replies:
        assert reply, locale
        assert segments(to_gsm7(reply)) == ("gsm7", 1), (locale, len(reply), reply)


def test_a_reminder_answer_fits_one_sms_with_a_long_branch_name(
    db, agenda, make_user, frozen
):
    agenda.branch.name = "Agence de la Grande Mosquée de Touba Darou Khoudoss"
    agenda.customer.phone = PHONE
    db.session.commit()
    made = [
        appointments.book_appointment(agenda.customer, agenda.service, at(day, 11, 30))
        for day in (2, 3)
    ]
    for appointment in made:
        appointment.reminder_24h_sent_at = frozen.now - timedelta(hours=1)
    db.session.commit()
    for text in ("OUI", "NON", "WAAW", "DEDET"):
        reply = say(text).reply
        assert segments(to_gsm7(reply)) == ("gsm7", 1), reply
