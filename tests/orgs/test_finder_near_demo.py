"""The demo's branches stand at their addresses, in five communes, so that the finder
near Pikine has a real choice to show; a demo seeded before gets them, a position a
manager set is kept."""

from sqlalchemy import select

from smartqueue.demo import POSITIONS, seed_demo
from smartqueue.models import Branch, Commune
from smartqueue.orgs.queries import find_fastest
from smartqueue.travel import Place, TravelMode

PIKINE = Place(14.7549, -17.3980)


def test_demo_branches_give_the_finder_a_choice(db, backend, frozen):
    seed_demo()
    results = find_fastest(PIKINE, TravelMode.PUBLIC_TRANSPORT)
    assert len(results) == len(POSITIONS) == 5
    assert len({r.branch.commune_id for r in results}) == 5
    distances = sorted(round(r.distance_km, 1) for r in results)
    assert distances[0] < 1.5 and distances[-1] > 10  # Pikine ... Plateau
    for r in results:
        key = (r.branch.organization.name, r.branch.name)
        assert (r.branch.latitude, r.branch.longitude) == POSITIONS[key]
    bank = [r for r in results if r.branch.organization.name == "Banque Teranga"]
    assert len(bank) == 3


def test_a_demo_seeded_before_gets_the_positions_a_moved_branch_keeps_its_own(
    db, backend
):
    seed_demo()
    rows = db.session.execute(
        select(Branch, Commune).join(Commune, Branch.commune_id == Commune.id)
    ).all()
    for branch, commune in rows:  # as the demo used to place them
        branch.latitude, branch.longitude = commune.latitude, commune.longitude
    moved = next(b for b, _c in rows if b.name == "Préfecture")
    moved.latitude, moved.longitude = 14.78, -17.40
    db.session.commit()
    seed_demo()
    for branch, _commune in rows:
        db.session.refresh(branch)
        if branch is moved:
            assert (branch.latitude, branch.longitude) == (14.78, -17.40)
        else:
            key = (branch.organization.name, branch.name)
            assert (branch.latitude, branch.longitude) == POSITIONS[key]
