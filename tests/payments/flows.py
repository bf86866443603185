"""The payment flows end to end, shared by the providers' flow tests: the app served as
`live_server`, the simulator as a process of its own, the payer's clicks on the
simulator's pages, and the provider's callbacks reaching the app's hooks over HTTP.

The simulator is started once per module (a second each) while each test has its own
live server on a new port; Wave's webhook address is fixed when the simulator starts.
So the callbacks go through a `Relay`, a tiny HTTP server that forwards each request
to the live server of the moment, keeps what it forwarded (raw body and headers, for
the replay and tampering tests, and the app's answer) and can hold callbacks back (a
callback that comes after the payer is back)."""

import html
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from flask import current_app
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.appointments import operations as appointments
from smartqueue.appointments import planning
from smartqueue.appointments.errors import SlotUnavailable
from smartqueue.extensions import db
from smartqueue.models import (
    Notification,
    NotificationKind,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    QueueType,
    Ticket,
)
from smartqueue.payments import operations as payments
from tests.conftest import at

HOOKS = {
    PaymentMethod.WAVE: "/hooks/payments/wave",
    PaymentMethod.ORANGE_MONEY: "/hooks/payments/orange-money/{reference}",
    PaymentMethod.FREE_MONEY: "/hooks/payments/free-money",
}
PAYER_PHONE = "+221770000042"
_keys = iter(range(1_000_000))


# --- HTTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A callback as the relay forwarded it, and what the app answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


class Relay:
    """The provider's network: forwards every POST to `target` (the live server of the
    running test), keeping each delivery. `with relay.holding():` keeps the callbacks
    that arrive meanwhile until the block ends (the app has not seen them yet)."""

    def __init__(self):
        self.target: str | None = None
        self.deliveries: list[Delivery] = []
        self.held = 0
        self._changed = threading.Condition()
        self._open = threading.Event()
        self._open.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler_class(self):
        relay = self

        class Forward(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                with relay._changed:
                    relay.held += 1
                    relay._changed.notify_all()
                relay._open.wait(30)
                status, answer = post(relay.target + self.path, body, headers)
                with relay._changed:
                    relay.held -= 1
                    relay.deliveries.append(Delivery(self.path, headers, body, status))
                    relay._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Forward

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    @contextmanager
    def holding(self):
        """Callbacks arriving in the block wait at the relay until it ends."""
        self._open.clear()
        try:
            yield self
        finally:
            self._open.set()

    def wait_held(self, count: int = 1, timeout: float = 10) -> None:
        """Until `count` callbacks wait at the relay (the provider has sent them)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(f"{count} callback(s) expected, {self.held} came")

    def wait_delivery(self, about: str, timeout: float = 10) -> Delivery:
        """The first callback forwarded about `about` (in its body or its path)."""
        with self._changed:
            found = self._changed.wait_for(lambda: self._about(about), timeout)
        if not found:
            raise AssertionError(f"no callback about {about} reached the app")
        return found[0]

    def deliveries_about(self, about: str) -> list[Delivery]:
        with self._changed:
            return self._about(about)

    def _about(self, about: str) -> list[Delivery]:
        return [
            d for d in self.deliveries if about.encode() in d.body or about in d.path
        ]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST raw bytes with these headers: (status, body), 4xx and 5xx included."""
    kept = {
        name: value
        for name, value in headers.items()
        if name.lower() not in {"host", "content-length", "connection"}
    }
    request = urllib.request.Request(url, data=body, headers=kept, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # where the payer is sent back is looked at, not followed


_browser = urllib.request.build_opener(_NoRedirect)


def open_page(url: str) -> tuple[int, str]:
    try:
        with _browser.open(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class _DecisionForm(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.decisions = None, set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "button" and attrs.get("name") == "decision":
            self.decisions.add(attrs.get("value"))


def decide(page_url: str, decision: str) -> tuple[int, str | None]:
    """What the payer does on the simulator's page (checkout or phone prompt): open it,
    press approve or decline. The answer's status and where it sends the payer."""
    status, html = open_page(page_url)
    assert status == 200, html[:500]
    form = _DecisionForm()
    form.feed(html)
    assert decision in form.decisions, html[:500]
    action = urllib.parse.urljoin(page_url, form.action or page_url)
    data = urllib.parse.urlencode({"decision": decision}).encode()
    try:
        with _browser.open(action, data=data, timeout=10) as answer:
            return answer.status, answer.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location")


def wait_for(condition, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot: the live server commits apart
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


# --- the app's side -----------------------------------------------------------------------


def run_periodic(job) -> None:
    """Run a periodic job as the clock runs it (jobs/schedule.py: the embedded thread,
    or RQ's cron scheduler in a worker): in an app context of its own, nothing around it
    committing what it leaves uncommitted."""
    db.session.commit()
    with current_app.app_context():
        try:
            job()
        finally:
            db.session.remove()


def hook_url(base: str, payment: Payment) -> str:
    return base + HOOKS[payment.method].format(reference=payment.reference)


def start(payment: Payment, relay: "Relay | str", site: str) -> Payment:
    """Start a payment with its provider as the payment pages do: the payer comes back
    to `site`, the callbacks go to the app's hook through the relay (or at the address
    given)."""
    back = f"{site}/payments/{payment.reference}"
    return payments.start_payment(
        payment,
        return_url=back,
        cancel_url=back + "?cancelled=1",
        notify_url=hook_url(relay if isinstance(relay, str) else relay.url, payment),
    )


def book_with_deposit(agenda, method: PaymentMethod, relay, site: str, starts_at=None):
    """A guaranteed appointment (2 000 FCFA, Wednesday 09:00 unless said) and its
    deposit's payment, started."""
    planning.set_booking_settings(agenda.service, requires_deposit=True)
    booked = appointments.book_appointment(
        agenda.customer, agenda.service, starts_at or at(2, 9)
    )
    payment = payments.pay_deposit(
        booked,
        method=method,
        payer=agenda.customer,
        payer_phone=PAYER_PHONE,
        idempotency_key=f"deposit-{booked.id}-{next(_keys)}",
    )
    return booked, start(payment, relay, site)


def coming_mornings():
    """09:00 in Dakar on the coming weekdays, from the day after tomorrow (for tests on
    the real clock, which other processes read)."""
    day = clock.today() + timedelta(days=2)
    while True:
        if day.weekday() < 5:
            yield datetime(day.year, day.month, day.day, 9, tzinfo=clock.DAKAR)
        day += timedelta(days=1)


def book_deposits(agenda, method: PaymentMethod, count: int, relay, site: str):
    """`count` guaranteed appointments on the coming mornings (real clock), their
    payments started: [(appointment, payment)]."""
    booked = []
    for morning in coming_mornings():
        try:
            booked.append(
                book_with_deposit(agenda, method, relay, site, starts_at=morning)
            )
        except SlotUnavailable:  # a day the branch is closed
            continue
        if len(booked) == count:
            return booked
    return booked


def ticket_fee_payment(
    make_service, agenda, method: PaymentMethod, relay, site: str, prefix: str = "V"
):
    """A new VIP service's ticket fee (1 000 FCFA), started; its ticket comes on
    payment."""
    vip = make_service(agenda.branch, prefix, "Clients privilège", type=QueueType.VIP)
    payment = payments.pay_ticket_fee(
        vip,
        method=method,
        payer=agenda.customer,
        payer_phone=PAYER_PHONE,
        idempotency_key=f"ticket-{vip.id}-{next(_keys)}",
    )
    return vip, start(payment, relay, site)


PAID_DEPOSIT = "Merci : votre rendez-vous est confirmé."
PAID_TICKET = "Merci : votre ticket est pris."
WAITING = "Nous attendons la réponse de"
DECLINED = "Ce paiement n'a pas abouti"


def return_page(client, payment: Payment) -> str:
    """The page the payer comes back to (/payments/<reference>), as the payer's browser
    gets it (the test client, signed in as the payer); its text."""
    db.session.rollback()  # the request shares the test's session: a fresh snapshot
    answer = client.get(f"/payments/{payment.reference}")
    assert answer.status_code == 200, answer.status_code
    return html.unescape(answer.get_data(as_text=True))


def fresh(payment: Payment) -> Payment:
    """The payment as the database has it now (the live server committed apart)."""
    db.session.rollback()
    return db.session.get(Payment, payment.id, populate_existing=True)


def statuses(payment: Payment) -> list[PaymentStatus]:
    """The payment's status history, oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(PaymentEvent.to_status)
            .where(PaymentEvent.payment_id == payment.id)
            .order_by(PaymentEvent.id)
        )
    )


def completed_once(payment: Payment) -> bool:
    return statuses(payment) == [PaymentStatus.PENDING, PaymentStatus.COMPLETED]


def tickets_of(service_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.service_id == service_id)
    )


def confirmation_notices(appointment_id: int) -> int:
    """How many "your appointment is confirmed" messages were written for it."""
    db.session.rollback()
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.appointment_id == appointment_id,
            Notification.kind == NotificationKind.APPOINTMENT_CONFIRMED,
        )
    )


def with_json(body: bytes, change) -> bytes:
    """The same JSON body, changed by `change(data)`, compact as the providers send."""
    data = json.loads(body)
    change(data)
    return json.dumps(data, separators=(",", ":")).encode()


def free_money_record(api_url: str, api_key: str, provider_ref: str) -> dict:
    """What Free Money's books say of a payment (its refunded_amount counts what the
    provider gave back: a refund asked twice with one reference is counted once)."""
    request = urllib.request.Request(
        f"{api_url}/payments/{provider_ref}",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


# --- production processes -----------------------------------------------------------------


def wait_serving(base: str) -> None:
    """Until a web process answers a request: gunicorn listens before its worker has
    loaded the app, and a first request that waits for it would race nothing."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=30).close()
            return
        except urllib.error.HTTPError:
            return  # answered (a 503 only says what is down)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def post_at_once(targets: list[tuple[str, bytes, dict]]) -> list[int]:
    """POST each (url, body, headers) from a thread of its own, all released at the
    same moment: the statuses, in order."""
    barrier = threading.Barrier(len(targets))
    answers: list[int | None] = [None] * len(targets)

    def send(index, url, body, headers):
        barrier.wait()
        answers[index] = post(url, body, headers)[0]

    threads = [
        threading.Thread(target=send, args=(index, *target))
        for index, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers
