"""The branch finder's query: by name (accents and case aside), region and commune, open
now with each result's state and closing time; on SQLite and PostgreSQL."""

from datetime import time

import pytest
from sqlalchemy import select

from smartqueue.models import Branch, Department, OrganizationType, Region
from smartqueue.orgs import operations as ops
from smartqueue.orgs.queries import find_branches, fold
from tests.conftest import at

TUESDAY_18H = at(1, 18)
ALL_DAY = (time(0), time(0))


@pytest.fixture
def branches(db, make_org, make_branch):
    """Four branches in Dakar (one of an inactive organization) and one in Thiès."""
    hospital = make_org(name="Hôpital Principal", type=OrganizationType.HOSPITAL)
    cbao = make_org(name="CBAO")
    gone = make_org(name="Banque Hôpital Fermée")
    made = {
        "urgences": make_branch(hospital, name="Urgences", commune="Plateau"),
        "cbao_plateau": make_branch(cbao, name="Agence Plateau", commune="Plateau"),
        "cbao_pikine": make_branch(cbao, name="Agence Pikine", commune="Pikine Est"),
        "gone": make_branch(gone, name="Agence Hôpital"),
    }
    # Outside Dakar the reference data has departments but no communes.
    thies = db.session.scalar(select(Department).where(Department.name == "Thiès"))
    made["cbao_thies"] = Branch(
        organization=cbao,
        name="Agence Thiès",
        address="Avenue Lamine Guèye",
        region_id=thies.region_id,
        department_id=thies.id,
    )
    db.session.add(made["cbao_thies"])
    gone.is_active = False
    db.session.commit()
    return made


def _names(found) -> list[str]:
    return [f"{r.branch.organization.name} · {r.branch.name}" for r in found.results]


def test_fold_drops_accents_case_and_punctuation():
    assert fold("L'Hôpital  ŒCUMÉNIQUE-Fann") == "l hopital oecumenique fann"
    assert fold("Ñaari Tali · Thiès") == "naari tali thies"
    assert fold("  \t ") == ""


def test_find_branches_by_name_ignores_accents_and_case(db, backend, branches):
    for typed in ("hopital", "HÔPITAL", "hÖpItAl principal", "  urgences "):
        assert _names(find_branches(name=typed)) == ["Hôpital Principal · Urgences"]
    # Every word must match: the organization's name, the branch's, or its commune's.
    assert _names(find_branches(name="cbao thies")) == ["CBAO · Agence Thiès"]
    assert _names(find_branches(name="Plateau")) == [
        "CBAO · Agence Plateau",
        "Hôpital Principal · Urgences",  # in the commune of Plateau
    ]
    assert _names(find_branches(name="pikine est")) == ["CBAO · Agence Pikine"]
    assert find_branches(name="cbao hopital").results == []
    assert find_branches(name="zzz").results == []


def test_find_branches_by_name_within_a_region(db, backend, branches):
    dakar = db.session.scalar(select(Region).where(Region.name == "Dakar"))
    assert _names(find_branches(dakar.id, name="cbao")) == [
        "CBAO · Agence Pikine",
        "CBAO · Agence Plateau",
    ]
    commune_id = branches["cbao_pikine"].commune_id
    assert _names(find_branches(dakar.id, commune_id, name="CBAO")) == [
        "CBAO · Agence Pikine"
    ]
    assert len(find_branches(dakar.id).results) == 3  # the inactive organization's: no


def test_find_branches_open_now_with_closing_times(db, backend, branches):
    ops.set_opening_hours(branches["urgences"], {day: ALL_DAY for day in range(7)})
    ops.set_opening_hours(
        branches["cbao_pikine"], {day: (time(8), time(20)) for day in range(6)}
    )
    ops.set_opening_hours(  # a night shift, Tuesday 20:00 to Wednesday 02:00
        branches["cbao_thies"], {1: (time(20), time(2))}
    )
    everything = find_branches(
        moment=TUESDAY_18H
    )  # no filter: every branch, with state
    assert {r.branch.name: str(r.label) for r in everything.results} == {
        "Urgences": "Ouvert · 24 h/24",
        "Agence Pikine": "Ouvert · ferme à 20:00",
        "Agence Plateau": "Fermé · ouvre demain à 08:00",  # 08:00-17:00
        "Agence Thiès": "Fermé · ouvre à 20:00",
    }
    found = find_branches(open_now=True, moment=TUESDAY_18H)
    assert _names(found) == ["CBAO · Agence Pikine", "Hôpital Principal · Urgences"]
    assert all(r.state.open for r in found.results)
    found = find_branches(name="cbao", open_now=True, moment=at(2, 1))
    assert [(r.branch.name, str(r.label)) for r in found.results] == [
        (
            "Agence Thiès",
            "Ouvert · ferme à 02:00",
        )  # Wednesday 01:00, the night before's
    ]
    assert find_branches(name="plateau cbao", open_now=True, moment=TUESDAY_18H) == (
        [],
        False,
    )


def test_find_branches_pages_and_says_there_is_more(db, backend, branches):
    found = find_branches(name="agence", limit=2)
    assert _names(found) == ["CBAO · Agence Pikine", "CBAO · Agence Plateau"]
    assert found.more
    assert not find_branches(name="agence", limit=3).more
    found = find_branches(open_now=True, limit=1, moment=at(1, 10))
    assert len(found.results) == 1 and found.more
    assert not find_branches(limit=4).more
    assert find_branches(limit=3).more
