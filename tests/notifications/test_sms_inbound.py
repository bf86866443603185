"""The SMS gateways' hooks over HTTP: a ticket by SMS and the other commands, the
signature and its age, replays, Orange's shapes, delivery reports; and 50 phones asking
at once on each database, through a real threaded server."""

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.models import (
    Channel,
    InboundMessage,
    Notification,
    NotificationKind,
    NotificationStatus,
    Ticket,
)
from smartqueue.notifications import notices

SECRET = "gateway-secret"
PHONE = "+221771234567"
SIMULTANEOUS = 50
# Requests a server process works on at once (gunicorn's --threads): Werkzeug's threaded
# server takes them all, and in the embedded mode each also runs its send job on a second
# connection after its commit, so 50 at once would wait on the pool (5 + 10) for good.
SERVER_THREADS = 6


@pytest.fixture
def app_config(app_config, tmp_path):
    """The embedded SMS gateway in this test's folder, and a gateway secret."""
    return {
        **app_config,
        "SMS_PROVIDER": "file",
        "SMS_DIR": str(tmp_path / "sms"),
        "SMS_INBOUND_SECRET": SECRET,
    }


def signed(payload, stamp=None, secret=SECRET):
    """The body and headers the generic gateway sends."""
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    stamp = str(int(clock.now().timestamp() if stamp is None else stamp))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return body, {
        "Content-Type": "application/json",
        "X-SmartQueue-Timestamp": stamp,
        "X-SmartQueue-Signature": f"sha256={mac.hexdigest()}",
    }


def message(text, message_id="gw-1", sender=PHONE):
    return {"id": message_id, "from": sender, "text": text, "timestamp": 0}


def post(client, text, message_id="gw-1", sender=PHONE):
    body, headers = signed(message(text, message_id, sender))
    response = client.post("/hooks/sms/inbound", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def sms_files(app) -> list[str]:
    folder = Path(app.config["SMS_DIR"])
    return (
        sorted(p.read_text() for p in folder.glob("*.txt")) if folder.exists() else []
    )


def test_a_signed_message_gets_a_ticket_and_its_reply_by_sms(app, client, db, hall):
    said = post(client, "TICKET PLATEAU A")
    ticket = db.session.scalar(select(Ticket))
    assert said == {"reply": said["reply"], "ticket": "A001", "replayed": False}
    assert ticket.channel is Channel.SMS and ticket.contact_phone == PHONE
    [sms] = sms_files(app)
    assert f"To: {PHONE}" in sms and "A001" in sms


@pytest.mark.backends("sqlite", "postgresql")
def test_a_replayed_request_issues_nothing_and_gets_the_same_reply(
    app, client, db, hall
):
    body, headers = signed(message("TICKET PLATEAU A"))
    first = client.post("/hooks/sms/inbound", data=body, headers=headers).get_json()
    again = client.post("/hooks/sms/inbound", data=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == {**first, "replayed": True}
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1
    replies = db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.SMS_REPLY)
    ).all()
    assert [r.status for r in replies] == [NotificationStatus.SENT]
    assert len(sms_files(app)) == 1  # sent once


@pytest.mark.parametrize(
    "age,status", [(299, 200), (301, 403), (-59, 200), (-61, 403), (3600, 403)]
)
def test_a_request_older_than_five_minutes_or_from_the_future_is_refused(
    client, db, hall, age, status
):
    body, headers = signed(
        message("AIDE", f"age{age}"), stamp=clock.now().timestamp() - age
    )
    response = client.post("/hooks/sms/inbound", data=body, headers=headers)
    assert response.status_code == status
    received = db.session.scalar(select(func.count(InboundMessage.id)))
    assert received == (1 if status == 200 else 0)


def test_a_bad_signature_is_refused(client, db, hall):
    body, headers = signed(message("TICKET PLATEAU A"), secret="guessed")
    assert (
        client.post("/hooks/sms/inbound", data=body, headers=headers).status_code == 403
    )
    body, headers = signed(message("TICKET PLATEAU A"))
    tampered = body.replace(b"PLATEAU A", b"PLATEAU B")
    response = client.post("/hooks/sms/inbound", data=tampered, headers=headers)
    assert response.status_code == 403
    del headers["X-SmartQueue-Signature"]
    assert (
        client.post("/hooks/sms/inbound", data=body, headers=headers).status_code == 403
    )
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


@pytest.mark.backends("sqlite", "postgresql")
def test_nul_characters_are_no_server_error(client, db, hall):
    said = post(client, "TICKET\x00 PLATEAU A\x00", "nul-1")
    assert said["ticket"] == "A001"
    body, headers = signed(message("AIDE", "nul\x00id"))
    response = client.post("/hooks/sms/inbound", data=body, headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "stamp,signature",
    [
        ("١٧٠٠٠٠٠٠٠٠", "sha256=00"),
        ("-5", "sha256=00"),
        ("99999999999999999999999", "sha256=00"),
        ("1", "sha256=é"),
        ("1", "md5=00"),
    ],
)
def test_odd_signature_headers_are_refused_not_errors(client, hall, stamp, signature):
    body, headers = signed(message("AIDE"))
    headers.update(
        {
            "X-SmartQueue-Timestamp": stamp.encode().decode("latin-1"),
            "X-SmartQueue-Signature": signature.encode().decode("latin-1"),
        }
    )
    response = client.post("/hooks/sms/inbound", data=body, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe",
        json.dumps({"from": PHONE, "text": "AIDE"}).encode(),
        json.dumps({"id": "x", "text": "AIDE"}).encode(),
        json.dumps({"id": "x", "from": PHONE, "text": None}).encode(),
    ],
)
def test_a_signed_body_that_is_not_a_message_is_400(client, hall, body):
    body, headers = signed(body)
    assert (
        client.post("/hooks/sms/inbound", data=body, headers=headers).status_code == 400
    )


def test_without_a_secret_the_hooks_do_not_exist(app, client, hall):
    app.config["SMS_INBOUND_SECRET"] = None
    body, headers = signed(message("AIDE"))
    for path in (
        "/hooks/sms/inbound",
        "/hooks/sms/delivery",
        "/hooks/sms/orange/inbound?token=",
        "/hooks/sms/orange/delivery?token=",
    ):
        assert client.post(path, data=body, headers=headers).status_code == 404


def test_the_hook_needs_no_csrf_token(app, db, hall):
    app.config["WTF_CSRF_ENABLED"] = True
    said = post(app.test_client(), "TICKET PLATEAU A")
    assert said["ticket"] == "A001"


def test_status_cancel_stop_help_and_wolof_over_http(app, client, db, hall):
    """The commands one after another, as a customer would write them."""
    app.config["SMS_INBOUND_PER_MINUTE"] = 10
    mine = post(client, "tiket plateau a", "m1")
    ticket = db.session.scalar(select(Ticket))
    assert mine["ticket"] == "A001" and ticket.locale == "wo"
    status = post(client, "Statut", "m2")
    assert status["ticket"] == "A001" and "0 avant vous" in status["reply"]
    cancelled = post(client, "ANNULER", "m3")
    assert "A001" in cancelled["reply"] and "annulé" in cancelled["reply"]
    assert "amul benn ticket" in post(client, "naka", "m4")["reply"]  # in Wolof
    help_ = post(client, "aide", "m5")["reply"]
    assert "TICKET PLATEAU A" in help_
    stop = post(client, "STOP", "m6")["reply"]
    assert "START" in stop
    again = post(client, "TICKET PLATEAU B", "m7", sender="+221761234567")
    other = db.session.scalar(select(Ticket).where(Ticket.code == again["ticket"]))
    other.contact_phone = PHONE  # a ticket of this number taken elsewhere
    db.session.commit()
    notices.tell_ticket(other.id, NotificationKind.TICKET_NEAR)
    near = db.session.scalar(
        select(Notification).where(Notification.kind == NotificationKind.TICKET_NEAR)
    )
    assert near.status is NotificationStatus.NOT_SENT and near.reason == "désabonné"
    # Every answer above went out once by SMS, STOP's own included; the notice did not.
    texts = sms_files(app)
    assert len(texts) == 7 and not any("approche" in t for t in texts)


def test_orange_inbound_with_its_token(app, client, db, hall):
    payload = {
        "inboundSMSMessageNotification": {
            "callbackData": "sq",
            "inboundSMSMessage": {
                "dateTime": "2026-12-01T10:00:00Z",
                "destinationAddress": "tel:+2212121",
                "messageId": "orange-77",
                "message": "TICKET PLATEAU B",
                "senderAddress": "tel:+221771234567",
            },
        }
    }
    url = f"/hooks/sms/orange/inbound?token={SECRET}"
    first = client.post(url, json=payload)
    assert first.status_code == 200 and first.get_json()["ticket"] == "B001"
    assert client.post(url, json=payload).get_json()["replayed"] is True
    assert (
        client.post("/hooks/sms/orange/inbound?token=x", json=payload).status_code
        == 403
    )
    assert client.post(url, json={"other": 1}).status_code == 400
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_delivery_reports_move_the_reply_sms(app, client, db, hall):
    post(client, "AIDE", "m1")
    post(client, "STATUT", "m2")
    first, second = db.session.scalars(select(Notification).order_by(Notification.id))
    assert first.provider_ref.startswith("file:")
    body, headers = signed({"id": first.provider_ref, "status": "DELIVERED"})
    response = client.post("/hooks/sms/delivery", data=body, headers=headers)
    assert response.get_json() == {"updated": 1}
    body, headers = signed({"reference": second.provider_ref, "status": "accepted"})
    assert client.post(
        "/hooks/sms/delivery", data=body, headers=headers
    ).get_json() == {"updated": 0}
    receipt = {
        "deliveryInfoNotification": {
            "callbackData": second.provider_ref,
            "deliveryInfo": {
                "address": f"tel:{PHONE}",
                "deliveryStatus": "DeliveryImpossible",
            },
        }
    }
    url = f"/hooks/sms/orange/delivery?token={SECRET}"
    assert client.post(url, json=receipt).get_json() == {"updated": 1}
    third = post(client, "AIDE", "m3")  # a gateway that reports by our reference
    [reply] = db.session.scalars(
        select(Notification).order_by(Notification.id.desc()).limit(1)
    )
    assert reply.body == third["reply"]
    body, headers = signed({"reference": f"sq-{reply.id}", "status": "DELIVERED"})
    assert client.post(
        "/hooks/sms/delivery", data=body, headers=headers
    ).get_json() == {"updated": 1}
    body, headers = signed({"id": first.provider_ref, "status": "delivered"})
    body_old, headers_old = signed(
        {"id": second.provider_ref, "status": "delivered"},
        stamp=clock.now().timestamp() - 600,
    )
    assert (
        client.post(
            "/hooks/sms/delivery", data=body_old, headers=headers_old
        ).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(Notification, first.id).status is NotificationStatus.DELIVERED
    second = db.session.get(Notification, second.id)
    assert second.status is NotificationStatus.FAILED
    assert second.reason == "DeliveryImpossible"


@pytest.mark.backends("sqlite", "postgresql")
def test_fifty_phones_at_once_get_fifty_distinct_numbers(app, db, hall, live_server):
    """50 gateway requests at the same moment, each from its own phone, through a real
    threaded server (CSRF on, as in production): 50 tickets, numbers 1 to 50."""
    answers = post_together(
        live_server,
        [
            message("TICKET PLATEAU A", f"burst-{i}", f"+22177{i:07d}")
            for i in range(SIMULTANEOUS)
        ],
    )
    assert all(status == 200 for status, _ in answers), answers
    codes = [body["ticket"] for _, body in answers]
    assert sorted(codes) == [f"A{n:03d}" for n in range(1, SIMULTANEOUS + 1)]
    db.session.expire_all()
    numbers = db.session.scalars(select(Ticket.number).order_by(Ticket.number)).all()
    assert numbers == list(range(1, SIMULTANEOUS + 1))
    phones = db.session.scalars(select(Ticket.contact_phone)).all()
    assert len(set(phones)) == SIMULTANEOUS
    sent = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.kind == NotificationKind.SMS_REPLY,
            Notification.status == NotificationStatus.SENT,
        )
    )
    assert sent == SIMULTANEOUS
    assert len(sms_files(app)) == SIMULTANEOUS


@pytest.mark.backends("sqlite", "postgresql")
def test_a_gateways_retries_racing_its_first_try_issue_one_ticket(
    app, db, hall, live_server
):
    """The same message delivered 10 times at once (a gateway retrying too early): one
    ticket, one reply SMS, and every answer says the same."""
    answers = post_together(live_server, [message("TICKET PLATEAU A", "twice")] * 10)
    assert all(status == 200 for status, _ in answers), answers
    assert {body["reply"] for _, body in answers} == {answers[0][1]["reply"]}
    assert {body["ticket"] for _, body in answers} == {"A001"}
    assert sorted(body["replayed"] for _, body in answers) == [False] + [True] * 9
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    assert len(sms_files(app)) == 1


def post_together(server, payloads: list[dict]) -> list[tuple[int, object]]:
    """POST each payload, signed, to the inbound hook from its own thread, all released
    at once; (status, JSON or error body) in the payloads' order."""
    server.wsgi_app = _bounded(server.wsgi_app, SERVER_THREADS)
    start = threading.Barrier(len(payloads))
    answers: list = [None] * len(payloads)

    def ask(index):
        body, headers = signed(payloads[index])
        request = urllib.request.Request(
            server.url + "/hooks/sms/inbound", data=body, headers=headers
        )
        start.wait(timeout=30)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers[index] = (response.status, json.load(response))
        except urllib.error.HTTPError as error:
            answers[index] = (error.code, error.read()[:300])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _bounded(wsgi_app, threads: int):
    """The app working on at most `threads` requests at once; the others wait."""
    slots = threading.BoundedSemaphore(threads)

    def app(environ, start_response):
        with slots:
            return wsgi_app(environ, start_response)

    return app
