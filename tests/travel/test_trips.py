"""Travel plans in the database (issue 9): an origin set, rounded and checked; the trip
computed by the job; "leave now" told once; no position outliving its ticket or
appointment. On SQLite and PostgreSQL (the erasure is the databases' own triggers)."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from smartqueue import travel
from smartqueue.appointments import operations as appointments
from smartqueue.errors import DomainError
from smartqueue.extensions import db as _db
from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import (
    Channel,
    Commune,
    CounterStatus,
    OutboxJob,
    Ticket,
    TicketStatus,
    TravelPlan,
    TravelPreference,
)
from smartqueue.queueing import operations as ops
from smartqueue.queueing.expiry import expire_tickets
from smartqueue.travel import operations as trips
from smartqueue.travel.queries import ticket_trip_view
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

# ~1.45 km north of Plateau's centre (where make_branch puts a branch): on foot, which
# no traffic slows, 23 min + a 10 min margin at any hour.
NEAR_PLATEAU = (14.68012, -17.44049)
WALK = {"position": NEAR_PLATEAU, "mode": travel.TravelMode.WALKING}
LEAVE_NOW = "Partez maintenant pour arriver à temps"


@pytest.fixture
def hall(make_hall):
    """Service A (10 min a customer, no one served yet) at counter 1, open."""
    return make_hall()


def _issue(hall, email=None, customer=None):
    return ops.issue_ticket(
        hall.a, channel=Channel.WEB, contact_email=email, customer=customer
    )


def _plan(ticket_id):
    _db.session.expire_all()
    return _db.session.scalar(
        select(TravelPlan).where(TravelPlan.ticket_id == ticket_id)
    )


def _count(model):
    return _db.session.scalar(select(func.count()).select_from(model))


def _leave_now_mails(mailbox, to):
    return [m for m in mailbox.messages(to) if LEAVE_NOW in str(m["Subject"])]


def test_trips_an_origin_is_rounded_to_100_m_and_its_trip_computed_by_the_job(
    db, backend, hall, make_user
):
    customer = make_user()
    ticket = _issue(hall, customer=customer)
    trips.set_ticket_origin(ticket, **WALK)  # embedded mode: the job runs after commit

    plan = _plan(ticket.id)
    assert (plan.latitude, plan.longitude) == (14.680, -17.44)
    communes = db.session.scalars(select(Commune)).all()
    nearest = min(
        communes,
        key=lambda c: travel.estimator.haversine_km(
            travel.Place(14.680, -17.44), travel.Place(c.latitude, c.longitude)
        ),
    )
    assert plan.commune_id == nearest.id
    expected = travel.estimate_trip(
        travel.Place(14.680, -17.44, nearest.traffic_factor),
        travel.Place(hall.branch.latitude, hall.branch.longitude, 2.5),
        travel.TravelMode.WALKING,
        at(1, 10),
    )
    assert (
        (plan.travel_minutes, plan.margin_minutes)
        == (23, 10)
        == (
            expected.minutes,
            expected.margin_minutes,
        )
    )
    assert plan.source == "estimate" and plan.computed_at == at(1, 10)
    # Nobody ahead: the wait's low bound is 0, so "leave now" was due at once (no mail:
    # no address given) and is marked told.
    assert plan.leave_at == at(1, 10) - timedelta(minutes=33)
    assert plan.told_leave_at == plan.leave_at
    assert db.session.get(TravelPreference, customer.id).mode == "walking"


def test_trips_a_commune_alone_is_an_origin_and_the_last_mode_is_remembered(
    db, backend, hall, make_user
):
    customer = make_user()
    pikine = db.session.scalar(select(Commune).where(Commune.name == "Pikine Est"))
    ticket = _issue(hall, customer=customer)
    trips.set_ticket_origin(ticket, commune_id=pikine.id, mode="taxi")
    plan = _plan(ticket.id)
    assert plan.latitude is None and plan.commune_id == pikine.id
    assert (
        plan.travel_minutes
        == travel.estimate_trip(
            travel.Place(pikine.latitude, pikine.longitude, pikine.traffic_factor),
            travel.Place(hall.branch.latitude, hall.branch.longitude, 2.5),
            travel.TravelMode.TAXI,
            at(1, 10),
        ).minutes
    )
    trips.set_ticket_origin(ticket, commune_id=pikine.id, mode="car")
    assert db.session.get(TravelPreference, customer.id).mode == "car"
    assert _count(TravelPlan) == 1  # the same plan, its origin set again


@pytest.mark.parametrize(
    "origin, field",
    [
        ({"position": (48.8566, 2.3522), "mode": "walking"}, "position"),  # Paris
        ({"position": (14.7, float("nan")), "mode": "walking"}, "position"),
        ({"commune_id": 999_999, "mode": "walking"}, "commune_id"),
        ({"position": NEAR_PLATEAU, "mode": "rocket"}, "mode"),
        ({"mode": "walking"}, None),
    ],
)
def test_trips_bad_input_is_refused_in_french_and_writes_nothing(
    db, backend, hall, make_user, origin, field
):
    customer = make_user()
    ticket = _issue(hall, customer=customer)
    jobs_before = _count(OutboxJob)
    with pytest.raises(DomainError) as refused:
        trips.set_ticket_origin(ticket, **origin)
    assert refused.value.field == field
    assert str(refused.value.message)[0].isupper()  # a sentence, in French
    assert _count(TravelPlan) == 0 and _count(TravelPreference) == 0
    assert _count(OutboxJob) == jobs_before


def test_trips_an_ended_ticket_takes_no_origin(db, backend, hall):
    ticket = _issue(hall)
    ops.cancel_ticket(ticket)
    with pytest.raises(trips.TripNotWanted):
        trips.set_ticket_origin(ticket, **WALK)
    assert _count(TravelPlan) == 0


# --- privacy: no position outlives its ticket ------------------------------------------


def _serve(hall, ticket):
    called = ops.call_next(hall.counter, by=hall.agent)
    assert called.id == ticket.id
    ops.start_serving(called, by=hall.agent)
    return ops.finish(called, by=hall.agent)


def _no_show(hall, ticket):
    called = ops.call_next(hall.counter, by=hall.agent)
    while True:
        try:
            return ops.mark_no_show(called, by=hall.agent)
        except DomainError:  # recall first, as the rules ask
            ops.recall(called, by=hall.agent)


def _transfer(hall, ticket):
    called = ops.call_next(hall.counter, by=hall.agent)
    return ops.transfer(called, hall.b, by=hall.agent)


def _expire(hall, ticket, frozen):
    frozen.set(at(1, 17, 30))  # after closing
    assert expire_tickets() >= 1


ENDINGS = {
    "served": lambda hall, ticket, frozen: _serve(hall, ticket),
    "cancelled": lambda hall, ticket, frozen: ops.cancel_ticket(ticket),
    "no_show": lambda hall, ticket, frozen: _no_show(hall, ticket),
    "transferred": lambda hall, ticket, frozen: _transfer(hall, ticket),
    "expired": _expire,
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_trips_the_position_is_erased_when_the_ticket_ends(
    db, backend, make_hall, frozen, ending
):
    hall = make_hall(services=[("A", "Comptes"), ("B", "Caisse")])
    ticket = _issue(hall)
    trips.set_ticket_origin(ticket, **WALK)
    assert _plan(ticket.id) is not None
    ENDINGS[ending](hall, ticket, frozen)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is TicketStatus(ending)
    assert _plan(ticket.id) is None
    assert _count(TravelPlan) == 0  # the transferred ticket's new one has none either
    # Only the commune stays, for the managers' "where customers come from".
    assert db.session.get(Ticket, ticket.id).origin_commune_id is not None


def test_trips_a_called_ticket_keeps_its_origin_and_serving_erases_it(
    db, backend, hall
):
    """Called before arriving is a real case (the holder may let others pass): the
    origin stays; once served at the counter nobody needs it."""
    ticket = _issue(hall)
    trips.set_ticket_origin(ticket, **WALK)
    called = ops.call_next(hall.counter, by=hall.agent)
    assert _plan(ticket.id) is not None
    ops.let_others_pass(called)
    assert _plan(ticket.id) is not None
    called = ops.call_next(hall.counter, by=hall.agent)
    ops.start_serving(called, by=hall.agent)
    assert _plan(ticket.id) is None


def test_trips_the_sweep_erases_what_no_trigger_saw(db, backend, hall):
    ticket = _issue(hall)
    ops.cancel_ticket(ticket)
    # Written behind the operations' back, after the ticket ended (no status update
    # follows to fire a trigger): the periodic sweep finds it.
    db.session.add(
        TravelPlan(
            ticket_id=ticket.id,
            latitude=14.68,
            longitude=-17.44,
            commune_id=None,
            mode="walking",
        )
    )
    db.session.commit()
    assert travel_jobs.erase_ended_trips() == 1
    assert _count(TravelPlan) == 0


def test_trips_an_appointment_origin_is_erased_when_it_is_cancelled(
    db, backend, agenda
):
    appointment = appointments.book_appointment(
        agenda.customer, agenda.service, at(2, 9, 30)
    )
    trips.set_appointment_origin(appointment, **WALK)
    plan = db.session.scalar(
        select(TravelPlan).where(TravelPlan.appointment_id == appointment.id)
    )
    # Departure = start - travel - margin, computed by the job.
    assert plan.leave_at == at(2, 9, 30) - timedelta(minutes=23 + 10)
    appointments.cancel_appointment(appointment, by=agenda.customer)
    assert _count(TravelPlan) == 0


# --- leave now, told once ------------------------------------------------------------------


def test_trips_leave_now_is_told_once_as_the_line_advances_and_again_after_a_slip(
    db, backend, make_hall, frozen, mailbox
):
    hall = make_hall(counters={1: "A", 2: "A"}, opened=(1,))
    for _ in range(8):
        _issue(hall)
    ticket = _issue(hall, email="awa@example.sn")
    trips.set_ticket_origin(ticket, **WALK)
    # 8 ahead x 10 min: at least 60 min of wait, 23 + 10 of travel and margin: not yet.
    assert _plan(ticket.id).told_at is None

    told = []
    for ahead in (7, 6, 5, 4):
        called = ops.call_next(hall.counter, by=hall.agent)
        ops.start_serving(called, by=hall.agent)
        frozen.tick(minutes=10)  # served in the service's 10 minutes: the pace holds
        ops.finish(called, by=hall.agent)
        travel_jobs.recompute_waiting_trips()
        told.append((ahead, _plan(ticket.id).told_at is not None))
    # 5 ahead: 35 min at least, > 33; 4 ahead: 30 min, time to go.
    assert told == [(7, False), (6, False), (5, False), (4, True)]
    assert len(_leave_now_mails(mailbox, "awa@example.sn")) == 1
    first_told = _plan(ticket.id).told_leave_at
    assert first_told == frozen.now + timedelta(minutes=30 - 33)

    travel_jobs.recompute_waiting_trips()  # nothing moved: not told again
    assert _plan(ticket.id).told_leave_at == first_told
    assert len(_leave_now_mails(mailbox, "awa@example.sn")) == 1

    # A second counter opens: the wait's low bound halves (15 min), so leaving is now
    # 15 minutes more urgent than told, more than the 10-minute margin: told again.
    hall.counters[2].status = CounterStatus.OPEN
    db.session.commit()
    travel_jobs.recompute_waiting_trips()
    assert _plan(ticket.id).told_leave_at == frozen.now + timedelta(minutes=15 - 33)
    assert len(_leave_now_mails(mailbox, "awa@example.sn")) == 2
    body = _leave_now_mails(mailbox, "awa@example.sn")[-1].get_body(("plain",))
    assert ticket.code in body.get_content()


def test_trips_the_ticket_view_gives_what_the_page_shows(db, backend, make_hall):
    hall = make_hall()
    _issue(hall)
    ticket = _issue(hall)
    assert ticket_trip_view(ticket) is None  # no origin
    trips.set_ticket_origin(ticket, **WALK)
    view = ticket_trip_view(ticket)
    assert (view.travel_minutes, view.margin_minutes) == (23, 10)
    assert view.mode is travel.TravelMode.WALKING
    # 1 ahead x 10 min: a low bound of 5, so leave 28 minutes ago, and 23 min of travel
    # is more than 5 + 10: offer to move back to where the arrival matches.
    assert view.leave_now and view.too_far
    assert view.leave_at == at(1, 10) + timedelta(minutes=5 - 33)
    assert view.leave_at.tzinfo is not None
    assert view.ahead == 1
    assert view.place_for_arrival is None  # the line ends right behind: nowhere to go
    for _ in range(6):
        _issue(hall)
    view = ticket_trip_view(ticket)
    # 5 ahead: a low bound of 35 min covers 23 + 10.
    assert (
        view.place_for_arrival
        == 5
        == travel.place_for_arrival(23, 10, 10.0, 1, ahead_now=1, others_waiting=7)
    )


def test_trips_the_periodic_recomputation_reads_a_batch_not_a_ticket_at_a_time(
    db, backend, make_hall
):
    hall = make_hall(services=[("A", "Comptes"), ("B", "Caisse")])

    def statements_for(count):
        for service in (hall.a, hall.b):
            for _ in range(count):
                ticket = ops.issue_ticket(service, channel=Channel.WEB)
                trips.set_ticket_origin(ticket, **WALK)
        seen = []

        def count_it(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            done = travel_jobs.recompute_waiting_trips()
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        return done, len(seen)

    few = statements_for(2)
    many = statements_for(10)
    assert (few[0], many[0]) == (4, 24)
    assert many[1] == few[1]  # the same statements for 24 tickets as for 4


def test_trips_with_osrm_one_table_request_per_branch_and_mode(
    app, db, backend, hall, osrm_server
):
    # The stand-in's one origin whose position survives the rounding to 3 decimals.
    from tests.travel.conftest import PIKINE_EST

    app.config["OSRM_URL"] = osrm_server.url
    for mode in ("car", "car", "car", "walking", "walking"):
        ticket = _issue(hall)
        trips.set_ticket_origin(
            ticket, position=(PIKINE_EST.lat, PIKINE_EST.lon), mode=mode
        )
    osrm_server.requests.clear()

    assert travel_jobs.recompute_waiting_trips() == 5
    assert sorted(r.split("/")[3] for r in osrm_server.requests) == ["car", "foot"]
    assert all(r.startswith("/table/v1/") for r in osrm_server.requests)
    db.session.expire_all()
    assert {p.source for p in db.session.scalars(select(TravelPlan))} == {"osrm"}


def test_trips_the_ticket_page_hears_its_trip_on_its_own_channel(db, backend, hall):
    from smartqueue.realtime import channels
    from smartqueue.realtime.broker import get_broker
    from tests.live import published_so_far

    ticket = _issue(hall)
    with get_broker().subscribe([channels.ticket(ticket.token)]) as messages:
        trips.set_ticket_origin(ticket, **WALK)  # computed, and told: leave now
        assert published_so_far(messages) == ["travel"]
        travel_jobs.recompute_waiting_trips()  # nothing the page shows has changed
        assert published_so_far(messages) == []


def test_trips_the_holder_may_take_their_position_back(db, backend, hall):
    ticket = _issue(hall)
    trips.set_ticket_origin(ticket, **WALK)
    assert db.session.get(Ticket, ticket.id).origin_commune_id is not None
    assert trips.forget_ticket_origin(ticket) is True
    assert _count(TravelPlan) == 0 and ticket_trip_view(ticket) is None
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).origin_commune_id is None  # taken back
    assert trips.forget_ticket_origin(ticket) is False


def test_trips_a_called_holder_still_on_the_way_gets_a_trip_but_no_leave_now(
    db, backend, hall, mailbox
):
    ticket = _issue(hall, email="awa@example.sn")
    called = ops.call_next(hall.counter, by=hall.agent)
    trips.set_ticket_origin(called, **WALK)
    plan = _plan(ticket.id)
    assert plan.travel_minutes == 23 and plan.told_at is None  # the call said it all
    assert _leave_now_mails(mailbox, "awa@example.sn") == []
    view = ticket_trip_view(called)
    assert view.called and view.leave_now and view.too_far
    assert view.place_for_arrival is None  # nobody else waits: nowhere to step back
