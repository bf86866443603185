"""Payments when a part goes down (docs/FAULTS.md), with the production pieces: the app
served over HTTP on PostgreSQL with a private Redis, `flask worker` processes, and the
Free Money simulator whose callbacks reach the app's hook.

- Redis stopped while callbacks complete payments whose purposes enqueue jobs (the
  appointment's confirmation notice; the refund of a payment whose appointment was
  cancelled meanwhile): no 5xx, the payments are completed, and the jobs run once Redis
  is back.
- A worker killed in the middle of a refund (the provider has given the money back,
  the worker has not heard it): the job runs again and the payment is refunded once;
  the provider's books count one refund.
"""

import signal
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.appointments import operations as appointments
from smartqueue.extensions import db
from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    OutboxJob,
    PaymentMethod,
    PaymentStatus,
)
from tests.payments import flows
from tests.payments.simulator import Simulator
from tests.processes import production_env, run_flask, stop
from tests.services import RedisServer

pytestmark = pytest.mark.backends("postgresql")

API_KEY = "fm-fault-key"
WEBHOOK_SECRET = "fm-fault-secret"
FREE = PaymentMethod.FREE_MONEY
# A killed worker's job is retried JOB_TIMEOUT + 5 s after it started (jobs/worker.py);
# the process that pushes a job to RQ gives it its timeout, so every process has this.
JOB_TIMEOUT = 4


@pytest.fixture(scope="module")
def sim():
    with Simulator(
        FREE_MONEY_API_KEY=API_KEY, FREE_MONEY_WEBHOOK_SECRET=WEBHOOK_SECRET
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def relay():
    """Free Money's network: its callbacks reach each test's live server through it,
    which keeps what the app answered."""
    with flows.Relay() as relay:
        yield relay


def free_money_settings(api_url: str) -> dict[str, str]:
    return {
        "FREE_MONEY_API_URL": api_url,
        "FREE_MONEY_API_KEY": API_KEY,
        "FREE_MONEY_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@pytest.fixture
def outage_redis():
    """A private Redis this test may stop and restart (the run's own Redis stays up)."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, outage_redis, sim):
    return {
        **app_config,
        **free_money_settings(sim.url + "/free-money"),
        "REDIS_URL": f"redis://127.0.0.1:{outage_redis.port}/0",
        "JOB_TIMEOUT": JOB_TIMEOUT,
    }


@pytest.fixture
def site(live_server, relay):
    relay.target = live_server.url
    return live_server.url


@pytest.fixture
def real_time(agenda):
    """The workers read the real clock: so does this test."""
    clock.freeze(None)
    return agenda


@pytest.fixture
def workers(app_config, tmp_path):
    """Start `flask worker` processes (the app's settings, Free Money's at `api_url`);
    stops whatever was started."""
    started = []

    def start(api_url: str):
        env = production_env(
            app_config, JOB_TIMEOUT=str(JOB_TIMEOUT), **free_money_settings(api_url)
        )
        process = run_flask(env, "worker", log=tmp_path / "worker.log")
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)


def prompt(sim, payment) -> str:
    return f"{sim.url}/free-money/phone/{payment.provider_ref}"


def books(sim, payment) -> dict:
    """Free Money's record of the payment (refunded_amount: what it gave back)."""
    return flows.free_money_record(
        sim.url + "/free-money", API_KEY, payment.provider_ref
    )


def waiting_jobs(name: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count(OutboxJob.id)).where(OutboxJob.func.endswith(name))
    )


def test_redis_down_when_callbacks_complete_payments_loses_nothing(
    real_time, sim, relay, site, outage_redis, workers
):
    workers(sim.url + "/free-money")
    (kept, kept_payment), (dropped, dropped_payment) = flows.book_deposits(
        real_time, FREE, 2, relay, site
    )
    # One appointment is cancelled before its deposit is paid: that payment, once
    # completed, can only be refunded (a job as well).
    appointments.cancel_appointment(dropped, by=real_time.customer)
    flows.wait_for(lambda: waiting_jobs("notify_appointment") == 0, "Redis's jobs")

    outage_redis.halt()
    for payment in (kept_payment, dropped_payment):
        flows.decide(prompt(sim, payment), "approve")
        assert relay.wait_delivery(payment.reference).answered == 200  # never a 5xx

    assert flows.completed_once(kept_payment)
    assert db.session.get(Appointment, kept.id).status is AppointmentStatus.CONFIRMED
    dropped_payment = flows.fresh(dropped_payment)
    assert dropped_payment.status is PaymentStatus.COMPLETED
    assert dropped_payment.fulfilment_error
    # Their jobs wait in the outbox, written with the completions.
    assert waiting_jobs("notify_appointment") == 1
    assert waiting_jobs("refund_payment") == 1
    assert flows.confirmation_notices(kept.id) == 0

    outage_redis.start()

    flows.wait_for(
        lambda: flows.fresh(dropped_payment).status is PaymentStatus.REFUNDED,
        "the refund after Redis came back",
        timeout=60,
    )
    assert books(sim, dropped_payment)["refunded_amount"] == 2000
    flows.wait_for(
        lambda: flows.confirmation_notices(kept.id) > 0,
        "the confirmation notice after Redis came back",
        timeout=60,
    )
    assert flows.fresh(kept_payment).status is PaymentStatus.COMPLETED


class RefundHolder:
    """Free Money's API as a worker reaches it, through this proxy: everything is
    forwarded; the first refund is forwarded too (Free Money gives the money back), but
    its answer is held, so that the worker can be killed before it hears it."""

    def __init__(self, target: str):
        self.target = target
        self.refund_calls = 0
        self.first_refund_done = threading.Event()
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self):
        holder = self

        class Forward(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() in {"authorization", "content-type"}
                }
                request = urllib.request.Request(
                    holder.target + self.path,
                    data=body,
                    headers=headers,
                    method=self.command,
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, payload = error.code, error.read()
                if self.command == "POST" and self.path.endswith("/refunds"):
                    holder.refund_calls += 1
                    if holder.refund_calls == 1:
                        holder.first_refund_done.set()
                        holder.release.wait(60)
                        return  # no answer: the worker that asked is dead by now
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        return Forward

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def test_a_worker_killed_mid_refund_refunds_once(real_time, sim, relay, site, workers):
    [(booked, payment)] = flows.book_deposits(real_time, FREE, 1, relay, site)
    flows.decide(prompt(sim, payment), "approve")
    assert relay.wait_delivery(payment.reference).answered == 200
    assert flows.completed_once(payment)

    with RefundHolder(sim.url) as holder:
        first = workers(holder.url + "/free-money")
        appointments.cancel_appointment(booked, by=real_time.customer)  # in time
        assert holder.first_refund_done.wait(60), "the worker never asked the refund"
        stop(first, signal.SIGKILL)  # the money is back, the worker never heard it

        assert flows.fresh(payment).status is PaymentStatus.COMPLETED
        assert books(sim, payment)["refunded_amount"] == 2000

        workers(holder.url + "/free-money")
        flows.wait_for(
            lambda: flows.fresh(payment).status is PaymentStatus.REFUNDED,
            "the refund job to run again",
            timeout=60,
        )

    assert holder.refund_calls == 2  # asked again, with the same reference
    record = books(sim, payment)
    assert (record["status"], record["refunded_amount"]) == ("refunded", 2000)
    assert flows.statuses(payment) == [
        PaymentStatus.PENDING,
        PaymentStatus.COMPLETED,
        PaymentStatus.REFUNDED,
    ]
