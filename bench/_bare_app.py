"""The baselines of bench/http_load.py, served by gunicorn with the same settings as the
app (`gunicorn ... --pythonpath bench _bare_app:app`):

  GET /        a bare Flask route returning a constant (the issue's baseline);
  POST /write  (diagnostic) the floor of any route that records something: one
               INSERT ... RETURNING and its COMMIT on the app's PostgreSQL, through
               SQLAlchemy Core (no ORM, no session, no form, no template).
  POST /issue-floor/<kiosk token>/<service id>
               (diagnostic) the floor of a correct kiosk ticket: the app's own statements
               (queueing/statements.py) and nothing around them: the kiosk link checked,
               the rules' inputs read and checked, the numbered ticket and its event
               written in one statement, the commit; a 303 to the ticket like the app.
               No Flask-SQLAlchemy session, no cookie session, no CSRF, no form, no
               Babel, no announcement to the live screens.
  WS /ws/floor (bench/relay_floor.py) the floor of a live page on this stack: the app's
               Redis broker (one listener a process) and a greenlet a socket, which
               sends a constant 300-byte frame for each message published on
               sq:bench:floor ("send"), or only wakes ("wake"): no session, no database,
               no template.
"""

import os
import secrets

from flask import Flask, abort, redirect
from flask_sock import Sock
from redis import Redis
from sqlalchemy import create_engine, text

from smartqueue import clock
from smartqueue.models import Channel, DeviceKind, Priority, QueueStatus, TicketStatus
from smartqueue.queueing import rules, statements
from smartqueue.queueing.devices import _DEVICE_BRANCH
from smartqueue.queueing.strategies import rank_key
from smartqueue.realtime.broker import RedisBroker

app = Flask(__name__)
sock = Sock(app)
FLOOR_CHANNEL = "sq:bench:floor"
FLOOR_FRAME = "<p id='ticket-place' hx-swap-oob='true'>" + "x" * 250 + "</p>"
_url = os.environ.get("DATABASE_URL", "")
engine = (
    create_engine(
        _url.replace("postgresql://", "postgresql+psycopg://", 1),
        pool_pre_ping=True,  # as the app's engine (config.py)
    )
    if _url
    else None
)
_SECRET = os.environ.get("SECRET_KEY", "").encode()
if engine is not None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_write (id serial PRIMARY KEY, at timestamptz)"
            )
        )


@app.get("/")
def constant():
    return "ok"


@app.post("/write")
def write():
    with engine.begin() as conn:
        new_id = conn.execute(
            text("INSERT INTO bench_write (at) VALUES (now()) RETURNING id")
        ).scalar()
    return str(new_id)


@app.post("/issue-floor/<token>/<int:service_id>")
def issue_floor(token: str, service_id: int):
    import hashlib
    import hmac

    token_hash = hmac.new(_SECRET, token.encode(), hashlib.sha256).hexdigest()
    now = clock.now()
    local = clock.local(now)
    with engine.begin() as conn:
        branch_id = conn.execute(
            _DEVICE_BRANCH, {"token_hash": token_hash, "kind": DeviceKind.KIOSK}
        ).scalar()
        if branch_id is None:
            abort(404)
        inputs = statements.issue_inputs(conn, service_id, local)
        if inputs is None or inputs.branch_id != branch_id:
            abort(404)
        closed = rules.closed_reason_for(
            local, inputs.opens_at, inputs.closes_at, inputs.closed_today
        )
        if (
            closed
            or inputs.queue_status is not QueueStatus.ACTIVE
            or not (
                inputs.service_active
                and inputs.branch_active
                and inputs.organization_active
            )
            or inputs.requires_appointment
            or inputs.capacity
            or rules.PLAN_TICKETS_PER_DAY.get(inputs.plan) is not None
        ):
            abort(409)  # the benchmark's branch passes every rule
        ticket_token = secrets.token_urlsafe(24)[:32]
        values = dict.fromkeys(statements.TICKET_VALUES)
        values.update(
            token=ticket_token,
            branch_id=branch_id,
            service_id=service_id,
            day=clock.today(),
            status=TicketStatus.WAITING,
            priority=Priority.NORMAL,
            channel=Channel.KIOSK,
            locale="fr",
            rank_key=rank_key(inputs.strategy, Priority.NORMAL, now),
            arrived_at=now,
            created_at=now,
            recall_count=0,
            pass_count=0,
        )
        event = dict.fromkeys(statements.EVENT_VALUES)
        event.update(to_status="waiting", action="issue", at=now, note="kiosk")
        statements.insert_numbered_ticket(conn, inputs.prefix, values, event)
    return redirect(f"/kiosk/{token}/tickets/{ticket_token}?print=1", 303)


_broker = None


def _floor_broker() -> RedisBroker:
    """One broker a process, as the app's get_broker() makes it (without an app)."""
    global _broker
    if _broker is None:
        url = os.environ["REDIS_URL"]
        listening = Redis.from_url(url, socket_timeout=None, protocol=2)
        _broker = RedisBroker(
            Redis.from_url(url), listening.connection_pool.make_connection
        )
    return _broker


@sock.route("/ws/floor")
def floor(ws):
    with _floor_broker().subscribe([FLOOR_CHANNEL]) as messages:
        ws.send("hello")
        for message in messages:
            if not ws.connected:
                break
            if message == "send":
                ws.send(FLOOR_FRAME)
