"""Web push: the adapter over real HTTP against a push service stand-in that checks the
VAPID signature and decrypts the payload (push_service.py), through delivery's send_one
too (a gone subscription is forgotten); the subscribe routes, the service worker's
route, the button on the ticket page, and `flask vapid-keys`."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from smartqueue.models import (
    Channel,
    DeliveryChannel,
    Notification,
    NotificationKind,
    PushSubscription,
)
from smartqueue.notifications import delivery
from smartqueue.notifications.adapters import NotConfigured, Refused, Sent
from smartqueue.notifications.push import (
    PushUnavailable,
    new_vapid_keys,
    public_key_of,
    send_push,
)
from smartqueue.queueing import operations as ops

from .push_service import SUBJECT, PushService, b64url, push_settings

CALLED = {
    "title": "C'est votre tour : ticket A007, guichet 3",
    "body": "SmartQueue: ticket A007, c'est votre tour ! Présentez-vous au guichet 3.",
    "link": "https://smartqueue.sn/t/abc",
    "tag": "ticket_called:7",
}


@pytest.fixture
def vapid():
    """A new VAPID key pair: (private, public), as `flask vapid-keys` prints them."""
    return new_vapid_keys()


@pytest.fixture
def app_config(app_config, vapid):
    """The test app with web push on."""
    return {**app_config, **push_settings(vapid)}


@pytest.fixture
def service():
    """The push service stand-in, on a free port, stopped after the test."""
    with PushService() as running:
        yield running


@pytest.fixture
def subscribed(db, make_user, service):
    """A customer whose browser subscribed through the push service."""
    customer = make_user(email="awa@example.sn")
    info = service.subscribe()
    subscription = PushSubscription(
        user_id=customer.id,
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription


def queued_push(db, subscription, kind=NotificationKind.URGENT) -> int:
    """A push message written and waiting for its job, as writing.py leaves it."""
    note = Notification(
        kind=kind,
        channel=DeliveryChannel.PUSH,
        recipient=f"push:{subscription.id}",
        user_id=subscription.user_id,
        push_subscription_id=subscription.id,
        subject="Message de l'agence",
        body="L'agence ferme à 15 h aujourd'hui.",
        link="https://smartqueue.sn/",
    )
    db.session.add(note)
    db.session.commit()
    return note.id


# --- the adapter -----------------------------------------------------------------------


def test_send_push_is_signed_with_our_key_and_readable_only_by_the_browser(
    app, subscribed, service, vapid
):
    sent = send_push(subscribed, **CALLED)

    [received] = service.received
    assert received.status == 201, received.problem
    assert received.payload == {
        "title": CALLED["title"],
        "body": CALLED["body"],
        "url": CALLED["link"],
        "tag": CALLED["tag"],
    }
    assert received.vapid_key == vapid[1]  # the key browsers subscribed with
    assert received.claims["aud"] == service.url
    assert received.claims["sub"] == SUBJECT
    assert received.headers["ttl"] == "3600"
    assert received.headers["urgency"] == "high"  # "called" wakes the phone at once
    assert sent == Sent(provider_ref="1")  # the id in the service's Location


def test_send_push_lets_the_service_batch_what_is_not_urgent(app, subscribed, service):
    send_push(subscribed, **dict(CALLED, tag="ticket_near:7"))

    [received] = service.received
    assert received.status == 201, received.problem
    assert received.headers["urgency"] == "normal"


def test_send_push_takes_a_pem_private_key(app, subscribed, service):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    app.config["VAPID_PRIVATE_KEY"] = pem.replace("\n", "\\n")  # one line, as in .env
    send_push(subscribed, **CALLED)

    [received] = service.received
    assert received.status == 201, received.problem
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert received.vapid_key == b64url(public) == public_key_of(pem)


@pytest.mark.parametrize("behaviour", ["gone", "not_found"])
def test_send_push_says_a_subscription_the_service_forgot_is_gone(
    app, subscribed, service, behaviour
):
    service.behaviour = behaviour
    with pytest.raises(Refused) as refused:
        send_push(subscribed, **CALLED)
    assert refused.value.gone


def test_send_push_refuses_for_good_on_another_client_error(app, subscribed, service):
    subscribed.auth = b64url(os.urandom(16))  # not the secret the browser holds
    with pytest.raises(Refused) as refused:
        send_push(subscribed, **CALLED)
    assert service.received[0].status == 400  # it could not decrypt the message
    assert not refused.value.gone


def test_send_push_fails_to_be_tried_again_on_a_server_error(app, subscribed, service):
    service.behaviour = "error"
    with pytest.raises(PushUnavailable, match="500"):
        send_push(subscribed, **CALLED)


def test_send_push_fails_to_be_tried_again_when_nothing_answers(app, subscribed):
    service_gone = PushService()
    subscribed.endpoint = service_gone.url + "/wpush/nobody"
    service_gone.close()
    with pytest.raises(PushUnavailable):
        send_push(subscribed, **CALLED)


def test_send_push_refuses_keys_no_browser_made(app, subscribed, service):
    subscribed.p256dh = b64url(b"\x04" + os.urandom(10))
    with pytest.raises(Refused) as refused:
        send_push(subscribed, **CALLED)
    assert refused.value.gone
    assert service.received == []


def test_send_push_is_not_configured_without_keys(app, subscribed, service):
    app.config["PUSH_ENABLED"] = False
    with pytest.raises(NotConfigured):
        send_push(subscribed, **CALLED)
    assert service.received == []


# --- through delivery ------------------------------------------------------------------


def test_delivery_sends_a_queued_push_message(app, db, subscribed, service):
    note_id = queued_push(db, subscribed)

    assert delivery.send_one(note_id, []) == "sent"

    [received] = service.received
    assert received.payload["body"] == "L'agence ferme à 15 h aujourd'hui."
    assert received.payload["tag"] == f"urgent:{note_id}"
    note = db.session.get(Notification, note_id, populate_existing=True)
    assert note.provider_ref == "1"


def test_delivery_forgets_a_subscription_the_service_says_is_gone(
    app, db, subscribed, service
):
    service.behaviour = "gone"
    subscription_id = subscribed.id
    note_id = queued_push(db, subscribed)

    assert delivery.send_one(note_id, []) == "failed"

    db.session.expire_all()
    assert db.session.get(PushSubscription, subscription_id) is None
    note = db.session.get(Notification, note_id)
    assert note.reason == "abonnement push expiré (410)"
    assert note.push_subscription_id is None  # kept, without its address


def test_delivery_keeps_push_not_sent_when_push_is_off(app, db, subscribed, service):
    app.config["PUSH_ENABLED"] = False
    note_id = queued_push(db, subscribed)

    assert delivery.send_one(note_id, []) == "not_sent"
    assert service.received == []
    assert db.session.get(PushSubscription, subscribed.id) is not None


# --- the routes ------------------------------------------------------------------------

SUBSCRIPTION = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
    "keys": {"p256dh": "BNc" + "A" * 84, "auth": "tBHItJI5svbpez7KI4CCXg"},
}


@pytest.fixture
def customer(make_user, auth):
    """A signed-in customer."""
    user = make_user(email="fatou@example.sn")
    auth.login(user)
    return user


def test_subscribe_keeps_the_browser_for_the_signed_in_customer(db, client, customer):
    response = client.post("/push/subscribe", json=SUBSCRIPTION)

    assert response.status_code == 201
    assert response.json == {"subscribed": True}
    [kept] = db.session.scalars(select(PushSubscription)).all()
    assert (kept.user_id, kept.endpoint) == (customer.id, SUBSCRIPTION["endpoint"])
    assert kept.p256dh == SUBSCRIPTION["keys"]["p256dh"]


def test_subscribe_names_the_device_from_its_browser(db, client, customer):
    client.post(
        "/push/subscribe",
        json=SUBSCRIPTION,
        headers={
            "User-Agent": "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
        },
    )
    assert db.session.scalar(select(PushSubscription.device)) == "Chrome · Android"


def test_unsubscribe_forgets_the_browser(db, client, customer):
    client.post("/push/subscribe", json=SUBSCRIPTION)

    response = client.post(
        "/push/unsubscribe", json={"endpoint": SUBSCRIPTION["endpoint"]}
    )

    assert response.status_code == 200
    assert response.json == {"subscribed": False, "forgotten": True}
    assert db.session.scalars(select(PushSubscription)).all() == []


@pytest.mark.parametrize("path", ["/push/subscribe", "/push/unsubscribe"])
def test_push_routes_are_for_signed_in_customers(db, client, path):
    response = client.post(path, json=SUBSCRIPTION)

    assert response.status_code == 401
    assert response.json["error"]
    assert db.session.scalars(select(PushSubscription)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": "not json", "content_type": "application/json"},
        {
            "data": "endpoint=https://x",
            "content_type": "application/x-www-form-urlencoded",
        },
        {"json": ["https://fcm.googleapis.com/fcm/send/abc123"]},
        {"json": {"endpoint": SUBSCRIPTION["endpoint"]}},
        {"json": {"endpoint": SUBSCRIPTION["endpoint"], "keys": "p256dh"}},
        {"json": {**SUBSCRIPTION, "keys": {"p256dh": 12, "auth": None}}},
        {"json": {**SUBSCRIPTION, "endpoint": "ftp://push.example/1"}},
        {"json": {**SUBSCRIPTION, "endpoint": "https://" + "x" * 1000}},
        {"json": {**SUBSCRIPTION, "endpoint": "https://push.example/\u0000"}},
        {"json": {**SUBSCRIPTION, "keys": {"p256dh": "B" * 300, "auth": "abc"}}},
        {"json": {**SUBSCRIPTION, "keys": {"p256dh": "<script>", "auth": "x y"}}},
    ],
)
def test_subscribe_refuses_what_is_not_a_subscription_with_a_message(
    db, client, customer, body
):
    response = client.post("/push/subscribe", **body)

    assert response.status_code == 400
    assert response.json == {"error": "Abonnement push invalide."}
    assert db.session.scalars(select(PushSubscription)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": "{", "content_type": "application/json"},
        {"json": {"x": 1}},
        {"json": {"endpoint": "https://push.example/\u0000"}},
    ],
)
def test_unsubscribe_refuses_what_names_no_browser_with_a_message(
    client, customer, body
):
    response = client.post("/push/unsubscribe", **body)

    assert response.status_code == 400
    assert response.json == {"error": "Abonnement push invalide."}


def test_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b'addEventListener("push"' in response.data


# --- the button ------------------------------------------------------------------------


@pytest.fixture
def ticket_of(make_hall):
    """Factory: a waiting ticket taken by `customer` (None: a walk-in's)."""
    hall = make_hall()

    def make(customer=None):
        return ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)

    return make


def test_ticket_page_offers_push_to_its_signed_in_holder(client, customer, ticket_of):
    ticket = ticket_of(customer)

    page = client.get(f"/t/{ticket.token}").get_data(as_text=True)

    assert 'id="push-toggle"' in page
    assert "Recevoir les notifications sur ce téléphone" in page
    assert f'data-key="{client.application.config["VAPID_PUBLIC_KEY"]}"' in page


def test_ticket_page_offers_no_push_to_others(client, make_user, auth, ticket_of):
    ticket = ticket_of(make_user())
    assert 'id="push-toggle"' not in client.get(f"/t/{ticket.token}").text  # signed out
    auth.login(make_user())
    assert 'id="push-toggle"' not in client.get(f"/t/{ticket.token}").text  # not theirs


def test_ticket_page_offers_no_push_where_push_is_off(app, client, customer, ticket_of):
    app.config["PUSH_ENABLED"] = False
    ticket = ticket_of(customer)
    assert 'id="push-toggle"' not in client.get(f"/t/{ticket.token}").text


# --- the keys --------------------------------------------------------------------------


def test_vapid_keys_command_prints_a_pair_pywebpush_and_browsers_take(app):
    output = app.test_cli_runner().invoke(args=["vapid-keys"]).output

    values = dict(line.split("=", 1) for line in output.splitlines())
    private, public = values["VAPID_PRIVATE_KEY"], values["VAPID_PUBLIC_KEY"]
    point = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert len(point) == 65 and point[0] == 4  # an uncompressed P-256 point
    assert public_key_of(private) == public


def test_a_push_endpoint_is_https_and_a_person_keeps_ten_browsers(app, db, make_user):
    from smartqueue.notifications import operations

    me = make_user()
    app.config["PUSH_ALLOW_HTTP"] = False  # as in production: the server POSTs there
    for internal in ("http://127.0.0.1:6379/", "ftp://push.example/x"):
        with pytest.raises(operations.NotificationError):
            operations.subscribe_push(me, internal, "p" * 87, "a" * 22)
    for n in range(12):
        operations.subscribe_push(me, f"https://push.example/{n}", "p" * 87, "a" * 22)
    kept = db.session.scalars(
        select(PushSubscription.endpoint)
        .where(PushSubscription.user_id == me.id)
        .order_by(PushSubscription.id)
    ).all()
    assert kept == [f"https://push.example/{n}" for n in range(2, 12)]
