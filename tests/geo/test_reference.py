"""Senegal's reference data, as loaded by the migrations' companion command."""

from sqlalchemy import func, select

from smartqueue.geo import queries
from smartqueue.geo.operations import seed_reference
from smartqueue.models import Commune, Department, Region


def test_reference_has_14_regions_and_46_departments(db, backend):
    assert db.session.scalar(select(func.count(Region.id))) == 14
    assert db.session.scalar(select(func.count(Department.id))) == 46
    names = {r.name for r in queries.list_regions()}
    assert {"Dakar", "Thiès", "Kédougou", "Sédhiou", "Ziguinchor", "Matam"} <= names


def test_dakar_communes_carry_their_traffic_factors(db, backend):
    dakar = db.session.scalar(select(Region).where(Region.name == "Dakar"))
    communes = {c.name: c for c in queries.list_communes(region_id=dakar.id)}
    assert {
        "Plateau",
        "Médina",
        "Parcelles Assainies",
        "Diamniadio",
        "Keur Massar Nord",
    } <= set(communes)
    assert communes["Plateau"].traffic_factor == 2.5
    assert communes["Médina"].traffic_factor == 2.2
    assert communes["Diamniadio"].traffic_factor == 1.2
    assert communes["Ngor"].traffic_factor == 1.0
    for commune in communes.values():
        assert 14.6 < commune.latitude < 14.95 and -17.6 < commune.longitude < -17.0


def test_seed_reference_is_idempotent(db, backend):
    before = db.session.scalar(select(func.count(Commune.id)))
    seed_reference()
    assert db.session.scalar(select(func.count(Commune.id))) == before
    assert db.session.scalar(select(func.count(Region.id))) == 14
