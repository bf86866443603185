"""Never overbooked, on each database: 20 processes book at the same instant.

Each child (multiprocessing "spawn") builds its own app and connection pool on the test's
database, waits on a barrier, then books, in turn: one contested slot of capacity 2 for
its own customer; a slot of its own; a slot for a customer shared by all (3 a day at
most). The clock is the real one (children do not share a frozen clock): the slots are
the day after tomorrow, in a branch open around the clock.
"""

import multiprocessing
import traceback
from collections import Counter as Tally
from datetime import time, timedelta

from sqlalchemy import select

from smartqueue import clock
from smartqueue.appointments import queries
from smartqueue.appointments.slots import at
from smartqueue.models import Appointment

from .helpers import open_all_week

CHILDREN = 20
PRELOAD = [
    "config",
    "psycopg",
    "sqlite3",
    "smartqueue.cli",
    "smartqueue.realtime.publishers",
    "smartqueue.web",
    "smartqueue.appointments.operations",
    __name__,
]
RESULT_TIMEOUT = 120  # a stuck child fails the test instead of hanging it


def _child(index, config, ids, barrier, results):
    """Build an app, wait for the others, book three times; send back the outcomes."""
    from smartqueue import create_app
    from smartqueue.extensions import db

    try:
        app = create_app(config)
        with app.app_context():
            got = _book(index, ids, barrier)
            db.session.remove()
            db.engine.dispose()
        results.put((index, got, None))
    except BaseException:
        barrier.abort()  # wake the others: the run is lost anyway
        results.put((index, None, traceback.format_exc()))


def _book(index, ids, barrier):
    from smartqueue.appointments import operations as ops
    from smartqueue.errors import DomainError
    from smartqueue.extensions import db
    from smartqueue.models import Service, User

    service = db.session.get(Service, ids["service"])
    mine = db.session.get(User, ids["customers"][index])
    shared = db.session.get(User, ids["shared"])
    db.session.commit()  # hold no transaction while waiting on the barrier
    attempts = [
        ("contested", mine, ids["contested"]),
        ("own", mine, ids["own"][index]),
        ("shared", shared, ids["shared_slots"][index]),
    ]
    barrier.wait(timeout=60)
    outcomes = []
    for kind, customer, starts_at in attempts:
        try:
            booked = ops.book_appointment(customer, service, starts_at)
        except DomainError as error:
            outcomes.append((kind, type(error).__name__, str(error.message)))
        else:
            outcomes.append((kind, "booked", booked.number))
    return outcomes


def _run_children(config, ids):
    # Fresh processes forked from a clean server that has imported the app's modules
    # once (not from this test process and its connections): 20 spawned interpreters
    # would spend most of the test importing.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    barrier = ctx.Barrier(CHILDREN)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(i, config, ids, barrier, results), daemon=True)
        for i in range(CHILDREN)
    ]
    for p in procs:
        p.start()
    outcomes, errors = [], []
    try:
        for _ in procs:
            _i, got, error = results.get(timeout=RESULT_TIMEOUT)
            if error:
                errors.append(error)
            else:
                outcomes += got
        for p in procs:
            p.join(timeout=30)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    assert not errors, "a child failed:\n" + "\n".join(errors)
    return outcomes


def test_concurrency_twenty_bookings_of_a_slot_for_two_give_two(
    db, backend, app_config, make_branch, make_service, make_user
):
    branch = make_branch()
    service = make_service(branch, "A")
    open_all_week(branch, service, slot_minutes=30, capacity=2)
    day = clock.today() + timedelta(days=2)
    half_hours = [at(day, time(0)) + timedelta(minutes=30 * k) for k in range(47)]
    contested = at(day, time(10))
    ids = {
        "service": service.id,
        "customers": [make_user().id for _ in range(CHILDREN)],
        "shared": make_user().id,
        "contested": contested,
        "own": [s for s in half_hours if s > contested][:CHILDREN],  # 10:30-20:00
        "shared_slots": half_hours[:CHILDREN],  # 00:00-09:30
    }
    service_id = service.id
    db.session.close()  # the test holds no connection state while the children run

    outcomes = _run_children(dict(app_config, MAIL_SUPPRESS_SEND=True), ids)

    results = Tally((kind, result) for kind, result, _ in outcomes)
    assert results == {
        ("contested", "booked"): 2,
        ("contested", "SlotFull"): 18,
        ("own", "booked"): 20,
        ("shared", "booked"): 3,
        ("shared", "LimitReached"): 17,
    }
    messages = {(kind, text) for kind, result, text in outcomes if result != "booked"}
    assert messages == {
        ("contested", "Ce créneau est complet. Choisissez une autre heure."),
        ("shared", "Vous avez déjà 3 rendez-vous ce jour-là : c'est le maximum."),
    }
    assert queries.count_booked(service_id, contested) == 2
    # Numbers: unique, and the day's sequence 1..25 without a gap.
    numbers = db.session.scalars(select(Appointment.number)).all()
    handed = [text for _, result, text in outcomes if result == "booked"]
    assert sorted(numbers) == sorted(handed)
    prefix = f"RDV{day:%Y%m%d}"
    assert sorted(int(n.removeprefix(prefix)) for n in numbers) == list(range(1, 26))
