"""Web push in Chromium: a signed-in customer turns push on from their ticket page, an
agent calls the ticket, the "called" message reaches the phone's service worker, and
the customer turns push off again.

Chromium cannot reach Google's push service from here, so an init script replaces
`PushManager.prototype.subscribe` (and `getSubscription`): it answers a subscription
whose endpoint is the test's push service (push_service.py) and whose keys the page
made with WebCrypto (ECDH P-256, and 16 random bytes of auth secret), exporting the
private key back to the test so that the push service can decrypt what we send.
Everything else is real: /sw.js registers as the page's service worker, the button
posts the subscription with its CSRF token, the call sends the message through
pywebpush to the push service, which checks its VAPID signature and decrypts it; the
decrypted message is then handed to the service worker through the DevTools protocol
(`ServiceWorker.deliverPushMessage`, as a push service's delivery would), and the worker
shows it as a notification (permission granted to the context).
"""

import base64
import json
import re
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from smartqueue.models import Channel, PushSubscription
from smartqueue.notifications.push import new_vapid_keys
from smartqueue.queueing import operations as ops
from tests.live import call_next_in
from tests.notifications.push_service import SUBJECT, PushService, push_settings

PHONE = {"width": 360, "height": 740}

# Run in the page before its scripts: a PushManager whose subscribe() makes its keys
# with WebCrypto and points at the test's push service (the module's docstring says why).
FAKE_PUSH_MANAGER = """
(() => {
  const endpoint = %s;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(current);
  };
  PushManager.prototype.subscribe = async function (options) {
    const pair = await crypto.subtle.generateKey(
      { name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const publicKey = await crypto.subtle.exportKey("raw", pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    window.__pushKeys = {
      pkcs8: b64url(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
      auth: b64url(auth),
      applicationServerKey: b64url(options.applicationServerKey),
      userVisibleOnly: options.userVisibleOnly,
    };
    const keys = { p256dh: b64url(publicKey), auth: b64url(auth) };
    current = {
      endpoint,
      expirationTime: null,
      options: { applicationServerKey: options.applicationServerKey.buffer,
                 userVisibleOnly: true },
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: () => { current = null; return Promise.resolve(true); },
    };
    return current;
  };
})();
"""

# What the worker showed, once it has shown something (the push event runs on its own).
SHOWN_NOTIFICATIONS = """
async () => {
  const registration = await navigator.serviceWorker.ready;
  for (let i = 0; i < 240; i++) {
    const shown = await registration.getNotifications();
    if (shown.length) return shown.map(n => (
      { title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url }));
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  return [];
}
"""


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def vapid():
    """A VAPID key pair for the app under test: (private, public)."""
    return new_vapid_keys()


@pytest.fixture
def app_config(app_config, vapid):
    """The app with web push on."""
    return {**app_config, **push_settings(vapid)}


@pytest.fixture
def push_service():
    """The push service the phone's subscription points at."""
    with PushService() as service:
        yield service


def _registration_id(page, cdp, origin: str) -> str:
    """The service worker registration of the site's root, as DevTools names it."""
    seen = {}

    def note(event):
        for registration in event["registrations"]:
            if not registration.get("isDeleted"):
                seen[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", note)
    cdp.send("ServiceWorker.enable")
    for _ in range(500):
        if origin + "/" in seen:
            return seen[origin + "/"]
        page.wait_for_timeout(20)  # Playwright hands DevTools' events over meanwhile
    raise AssertionError(f"no service worker registration for {origin}/: {seen}")


def test_customer_turns_push_on_and_receives_called_in_the_service_worker(
    browser: Browser,
    live_server,
    db,
    make_hall,
    make_user,
    push_service,
    vapid,
    screenshots_dir,
):
    hall = make_hall()
    customer = make_user(email="awa@example.sn", full_name="Awa Ndiaye")
    ticket = ops.issue_ticket(hall.a, channel=Channel.WEB, customer=customer)
    path = f"/wpush/{secrets.token_urlsafe(12)}"
    origin = live_server.url

    context = browser.new_context(
        viewport=PHONE, locale="fr-SN", timezone_id="Africa/Dakar", is_mobile=True
    )
    context.grant_permissions(["notifications"], origin=origin)
    context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(push_service.url + path))
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(origin + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))
    page.goto(f"{origin}/t/{ticket.token}")

    # The worker really registers, for the whole site.
    worker = page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.active.scriptURL)"
    )
    assert worker == origin + "/sw.js"
    toggle = page.locator("#push-toggle")
    button = toggle.get_by_role("button")
    expect(button).to_have_text("Recevoir les notifications sur ce téléphone")
    page.screenshot(path=screenshots_dir / "push-ticket-offer.png", full_page=True)

    button.click()
    expect(button).to_have_text("Ne plus recevoir les notifications sur ce téléphone")
    expect(toggle.get_by_role("status")).to_have_text(
        "Ce téléphone recevra vos notifications, même page fermée."
    )
    page.screenshot(path=screenshots_dir / "push-ticket-on.png", full_page=True)
    made = page.evaluate("window.__pushKeys")
    assert (
        made["applicationServerKey"] == vapid[1]
    )  # our public key, as the page got it
    assert made["userVisibleOnly"] is True
    db.session.rollback()  # a fresh read: the server's thread wrote it
    kept = db.session.scalar(select(PushSubscription))
    assert (kept.user_id, kept.endpoint) == (customer.id, push_service.url + path)

    private_key = serialization.load_der_private_key(
        b64url_decode(made["pkcs8"]), password=None
    )
    push_service.add(path, private_key, b64url_decode(made["auth"]))
    call_next_in(live_server, hall.counter.id, hall.agent.id)

    [received] = push_service.wait_for(1)
    assert received.status == 201, (
        received.problem
    )  # signed by us, readable by the page
    assert received.vapid_key == vapid[1]
    assert received.claims["sub"] == SUBJECT
    assert received.headers["urgency"] == "high"
    message = received.payload
    assert message["title"] == "C'est votre tour : ticket A001, guichet 1"
    assert "A001" in message["body"] and "guichet 1" in message["body"]
    assert message["url"].endswith(f"/t/{ticket.token}")

    cdp = context.new_cdp_session(page)
    registration_id = _registration_id(page, cdp, origin)
    # DevTools' delivery stands for the push service's: under a loaded CI machine it
    # once reached no worker at all (nothing shown after 10 s), so it is tried again
    # as a push service retries; the tag makes a second delivery replace the first.
    for _ in range(3):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": origin,
                "registrationId": registration_id,
                "data": json.dumps(message),
            },
        )
        shown = page.evaluate(SHOWN_NOTIFICATIONS)
        if shown:
            break
    assert shown == [
        {
            "title": message["title"],
            "body": message["body"],
            "tag": message["tag"],
            "url": message["url"],
        }
    ]

    button.click()  # and off again
    expect(button).to_have_text("Recevoir les notifications sur ce téléphone")
    expect(toggle.get_by_role("status")).to_have_text(
        "Ce téléphone ne recevra plus vos notifications."
    )
    db.session.rollback()
    assert db.session.scalar(select(PushSubscription)) is None
    assert problems == []
    context.close()
