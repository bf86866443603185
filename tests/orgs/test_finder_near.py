"""The finder near a position: a box of latitudes and longitudes, then the exact
distance; branches sorted by the total time to be served (travel + wait), the quickest
branch of an organization for a service pointed out; on SQLite and PostgreSQL."""

from datetime import time, timedelta

import pytest
from sqlalchemy import event

from smartqueue.extensions import db as _db
from smartqueue.models import Channel, CounterStatus, QueueStatus, TicketStatus
from smartqueue.orgs import operations as ops
from smartqueue.orgs.queries import (
    _bounding_box,
    branches_near,
    find_fastest,
    get_finder_origin,
    list_finder_origins,
)
from smartqueue.queueing.operations import issue_ticket
from smartqueue.queueing.queries import estimate_wait
from smartqueue.travel import Place, TravelMode, estimate_trip
from smartqueue.travel.estimator import haversine_km
from tests.conftest import TUESDAY_10H

PIKINE = Place(14.7549, -17.3980)  # the browser test's point, 1.1 km from Pikine Est
DEPOSIT = "Dépôt et retrait"


@pytest.fixture
def dakar(db, frozen, make_org, make_branch, make_service, make_counter):
    """Banque Teranga in Pikine Est (12 waiting), Parcelles Assainies (1 waiting) and
    Plateau (nobody); Orange in Golf Sud, open on Mondays only."""
    bank = make_org(name="Banque Teranga")
    made = {}
    for key, commune, waiting in (
        ("pikine", "Pikine Est", 12),
        ("parcelles", "Parcelles Assainies", 1),
        ("plateau", "Plateau", 0),
    ):
        branch = make_branch(bank, name=f"Agence {commune}", commune=commune)
        deposit = make_service(branch, "B", DEPOSIT, minutes=10)
        make_service(branch, "C", "Crédit", minutes=30)
        counter = make_counter(branch, 1, [deposit])
        counter.status = CounterStatus.OPEN
        db.session.commit()
        for _ in range(waiting):
            issue_ticket(deposit, channel=Channel.KIOSK)
        made[key] = branch
    orange = make_branch(
        make_org(name="Orange"), name="Agence Golf", commune="Golf Sud"
    )
    make_service(orange, "A", "Abonnement", minutes=10)
    ops.set_opening_hours(orange, {0: (time(8), time(17))})
    made["orange"] = orange
    return made


def _names(results) -> list[str]:
    return [r.branch.name for r in results]


def test_branches_near_keeps_the_circle_nearest_first(db, backend, dakar):
    found = branches_near(PIKINE.lat, PIKINE.lon, radius_km=15)
    assert [b.name for b, _km in found] == [
        "Agence Pikine Est",
        "Agence Golf",
        "Agence Parcelles Assainies",
        "Agence Plateau",
    ]
    for branch, km in found:
        assert km == pytest.approx(
            haversine_km(PIKINE, Place(branch.latitude, branch.longitude))
        )
    assert [b.name for b, _ in branches_near(PIKINE.lat, PIKINE.lon, radius_km=5)] == [
        "Agence Pikine Est",
        "Agence Golf",
        "Agence Parcelles Assainies",
    ]
    assert len(branches_near(PIKINE.lat, PIKINE.lon, radius_km=15, limit=2)) == 2
    assert branches_near(12.5, -12.2, radius_km=15) == []  # Kédougou: nothing near


def test_branches_near_drops_the_corners_of_the_box(db, backend, dakar):
    """A branch inside the box of latitudes and longitudes but outside the circle."""
    south, north, west, east = _bounding_box(PIKINE.lat, PIKINE.lon, 5)
    corner = dakar["plateau"]
    corner.latitude = PIKINE.lat + (north - PIKINE.lat) * 0.9
    corner.longitude = PIKINE.lon + (east - PIKINE.lon) * 0.9
    db.session.commit()
    assert haversine_km(PIKINE, Place(corner.latitude, corner.longitude)) > 5
    names = [b.name for b, _ in branches_near(PIKINE.lat, PIKINE.lon, radius_km=5)]
    assert "Agence Plateau" not in names
    assert "Agence Plateau" in [
        b.name for b, _ in branches_near(PIKINE.lat, PIKINE.lon, radius_km=6.5)
    ]


def test_branches_near_of_an_organization_offering_a_service(db, backend, dakar):
    bank = dakar["pikine"].organization_id
    dakar["parcelles"].services[0].is_active = False  # its deposit line is off
    dakar["plateau"].is_active = False
    db.session.commit()
    found = branches_near(
        PIKINE.lat, PIKINE.lon, service_name=DEPOSIT, organization_id=bank
    )
    assert [b.name for b, _ in found] == ["Agence Pikine Est"]
    assert branches_near(PIKINE.lat, PIKINE.lon, service_name="Nothing") == []


def test_find_fastest_sorts_by_travel_plus_wait(db, backend, dakar):
    """Public transport on Tuesday 10:00: Pikine is 6 min away but 12 people wait; the
    Parcelles branch, 22 min away with one person ahead, serves first."""
    mode = TravelMode.PUBLIC_TRANSPORT
    results = find_fastest(PIKINE, mode, service_name=DEPOSIT)
    assert _names(results) == [
        "Agence Parcelles Assainies",
        "Agence Plateau",
        "Agence Pikine Est",
    ]
    for r in results:
        b = r.branch
        place = Place(b.latitude, b.longitude, b.commune.traffic_factor)
        assert r.trip == estimate_trip(PIKINE, place, mode, TUESDAY_10H)
        [line] = r.services
        assert line.total_minutes == r.trip.minutes + line.estimate.minutes
    pikine = results[2].services[0]
    assert (pikine.waiting, pikine.estimate.minutes) == (12, 120)
    assert [r.services[0].is_fastest for r in results] == [True, False, False]
    # Walking, the Pikine branch next door is worth its line, Plateau's hour is not.
    walking = find_fastest(PIKINE, TravelMode.WALKING, service_name=DEPOSIT)
    assert _names(walking)[0] == "Agence Parcelles Assainies"
    assert _names(walking)[-1] == "Agence Plateau"


def test_find_fastest_puts_what_cannot_serve_now_last(db, backend, dakar):
    """Without a service: every walk-in line. A closed branch, a paused line and a line
    no open counter handles (Crédit, everywhere) serve nobody now: after, nearest first."""
    dakar["parcelles"].services[0].queue.status = QueueStatus.PAUSED
    db.session.commit()
    results = find_fastest(PIKINE, TravelMode.PUBLIC_TRANSPORT)
    assert _names(results) == [
        "Agence Plateau",  # its deposit line: ~62 min
        "Agence Pikine Est",  # ~126 min
        "Agence Golf",  # closed on Tuesdays, 2.3 km
        "Agence Parcelles Assainies",  # deposit paused, no counter for Crédit; 4.6 km
    ]
    assert [r.can_queue for r in results] == [True, True, False, False]
    assert results[-1].total_minutes is None
    plateau = results[0]
    assert [(w.service.name_fr, w.is_serving) for w in plateau.services] == [
        (DEPOSIT, True),
        ("Crédit", False),  # nobody waits, but no counter serves it
    ]
    # The quickest branch of the bank for a service, among those serving it now.
    fastest = [
        (r.branch.name, w.service.name_fr)
        for r in results
        for w in r.services
        if w.is_fastest
    ]
    assert fastest == [("Agence Plateau", DEPOSIT)]


def test_find_fastest_reads_the_same_number_of_statements_for_more_branches(
    db, backend, dakar, make_branch, make_service
):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            find_fastest(PIKINE, TravelMode.CAR)
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    bank = dakar["pikine"].organization
    for commune in ("Pikine Nord", "Golf Sud", "Plateau"):
        branch = make_branch(bank, name=f"Agence 2 {commune}", commune=commune)
        make_service(branch, "B", DEPOSIT)
    _db.session.expire_all()
    assert len(find_fastest(PIKINE, TravelMode.CAR)) == 7
    assert statements() == before


def test_finder_origins_are_dakar_communes_and_other_departments(db, backend):
    groups = dict(list_finder_origins())
    assert "Pikine Est" in [name for _v, name in groups["Dakar"]]
    assert "Thiès" in [name for _v, name in groups["Thiès"]]  # a department
    value = next(v for v, name in groups["Dakar"] if name == "Pikine Est")
    name, place = get_finder_origin(value)
    assert name == "Pikine Est" and place.local_factor == 2.1
    assert get_finder_origin("c999999") is None
    assert get_finder_origin("x1") is None and get_finder_origin("") is None


def test_find_fastest_waits_as_the_branch_page_estimates(db, backend, dakar, frozen):
    """The lines' recent pace (the last served tickets' times), as estimate_wait reads
    it for the branch page: Pikine's deposits take 5 min now, not the declared 10."""
    deposit = dakar["pikine"].services[0]
    for n in range(3):
        ticket = issue_ticket(deposit, channel=Channel.KIOSK)
        ticket.status = TicketStatus.SERVED
        ticket.serving_at = TUESDAY_10H - timedelta(minutes=30 - 6 * n)
        ticket.finished_at = ticket.serving_at + timedelta(minutes=5)
    db.session.commit()
    [pikine] = [
        r
        for r in find_fastest(PIKINE, TravelMode.WALKING, service_name=DEPOSIT)
        if r.branch.id == dakar["pikine"].id
    ]
    line = pikine.services[0]
    assert (line.waiting, line.estimate.minutes) == (12, 60)
    assert line.estimate == estimate_wait(deposit, 12)
