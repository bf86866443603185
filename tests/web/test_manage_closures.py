"""Manage: a branch's closures page with Senegal's public holidays (pre-fill, confirm,
move, dismiss, restore) and who may use it."""

from datetime import date

import pytest
from sqlalchemy import select

from smartqueue.appointments import operations as appointments
from smartqueue.models import BranchClosure
from smartqueue.models.orgs import BranchHoliday, HolidayStatus
from smartqueue.orgs import holidays
from tests.appointments.helpers import open_all_week
from tests.conftest import at

CHRISTMAS = date(2026, 12, 25)


@pytest.fixture
def branch(db, frozen, make_branch):
    """A branch on Tuesday 1 December 2026, with no holidays yet."""
    return make_branch(name="Agence Plateau")


@pytest.fixture
def manager(client, auth, branch, make_user):
    """The test client signed in as the branch's manager."""
    auth.login(make_user(role="branch_manager", branch=branch))
    return client


def _page(branch) -> str:
    return f"/manage/branches/{branch.id}/closures"


def _holiday(db, branch, key, year=2027) -> BranchHoliday:
    db.session.expire_all()
    return db.session.scalar(
        select(BranchHoliday).where(
            BranchHoliday.branch_id == branch.id,
            BranchHoliday.year == year,
            BranchHoliday.key == key,
        )
    )


def _closed_days(db, branch) -> set[date]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            select(BranchClosure.date).where(BranchClosure.branch_id == branch.id)
        )
    )


def test_prefill_button_adds_the_year_once_and_lists_it(manager, db, branch):
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "Ajouter les jours fériés de 2027" in page
    response = manager.post(f"/manage/branches/{branch.id}/holidays/2027")
    assert response.status_code == 302
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "fermés 9 · dates estimées à confirmer 6" in page
    assert "Ajouter les jours fériés de 2027" not in page
    assert "Korité" in page and "Tabaski" in page and "Tamkharit" in page
    assert "à confirmer" in page
    assert "Date estimée : confirmez-la quand elle est annoncée." in page

    manager.post(f"/manage/branches/{branch.id}/holidays/2027")
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "Les jours fériés de 2027 sont déjà là." in page
    assert len(_closed_days(db, branch)) == 9
    # Only this year and the next can be pre-filled.
    manager.post(f"/manage/branches/{branch.id}/holidays/2030")
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "pour cette année ou la suivante" in page


def test_holiday_names_follow_the_page_language(client, auth, db, branch, make_user):
    holidays.prefill_holidays(branch, 2027)
    auth.login(make_user(role="branch_manager", branch=branch, locale="en"))
    page = client.get(_page(branch)).get_data(as_text=True)
    assert "Christmas" in page and "Eid al-Fitr" in page and "to confirm" in page
    assert "Noël" not in page


def test_confirming_and_moving_an_estimated_holiday(manager, db, branch):
    holidays.prefill_holidays(branch, 2027)
    korite = _holiday(db, branch, "eid_al_fitr")
    url = f"/manage/branches/{branch.id}/holidays"

    response = manager.post(url, data={"holiday_id": korite.id, "decision": "confirm"})
    assert response.status_code == 302
    assert date(2027, 3, 9) in _closed_days(db, branch)
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "Korité : l&#39;agence sera fermée le mardi 9 mars 2027." in page

    move = {"holiday_id": korite.id, "decision": "confirm", "move": "y"}
    manager.post(url, data={**move, "date": "2027-03-10"})
    days = _closed_days(db, branch)
    assert date(2027, 3, 10) in days and date(2027, 3, 9) not in days

    # Bad input: a message, nothing changed.
    for date_typed, message in [
        ("", "Choisissez la date annoncée."),
        ("2027-13-45", "Date non valide"),
        ("2027-06-01", "10 jours au plus"),
    ]:
        response = manager.post(url, data={**move, "date": date_typed})
        assert response.status_code == 302
        page = manager.get(_page(branch)).get_data(as_text=True)
        assert message in page
        assert date(2027, 3, 10) in _closed_days(db, branch)
    junk = {"holiday_id": "abc", "decision": "confirm"}
    assert manager.post(url, data=junk).status_code == 404
    # An unknown decision changes nothing.
    manager.post(url, data={"holiday_id": korite.id, "decision": "delete"})
    assert date(2027, 3, 10) in _closed_days(db, branch)


def test_a_day_closed_with_appointments_tells_how_many_and_links_them(
    manager, db, branch, make_service, make_user
):
    service = make_service(branch, "A")
    open_all_week(branch, service)
    appointments.book_appointment(make_user(), service, at(25, 10))
    manager.post(f"/manage/branches/{branch.id}/holidays/2026")
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "1 rendez-vous est déjà pris ce jour-là" in page
    assert "1 rendez-vous ce jour-là" in page
    assert f"/manage/branches/{branch.id}/appointments?week=2026-12-25" in page
    assert CHRISTMAS in _closed_days(db, branch)  # told, not cancelled silently


def test_dismissed_holidays_stay_out_until_restored(manager, db, branch):
    holidays.prefill_holidays(branch, 2026)
    closure = db.session.scalar(
        select(BranchClosure).where(BranchClosure.branch_id == branch.id)
    )
    manager.post(f"/manage/closures/{closure.id}/delete")
    manager.post(f"/manage/branches/{branch.id}/holidays/2026")
    assert CHRISTMAS not in _closed_days(db, branch)
    page = manager.get(_page(branch)).get_data(as_text=True)
    assert "Jours fériés retirés" in page

    christmas = _holiday(db, branch, "christmas_day", 2026)
    manager.post(
        f"/manage/branches/{branch.id}/holidays",
        data={"holiday_id": christmas.id, "decision": "restore"},
    )
    assert CHRISTMAS in _closed_days(db, branch)

    holidays.prefill_holidays(branch, 2027)
    tamkharit = _holiday(db, branch, "ashura")
    manager.post(
        f"/manage/branches/{branch.id}/holidays",
        data={"holiday_id": tamkharit.id, "decision": "dismiss"},
    )
    assert _holiday(db, branch, "ashura").status is HolidayStatus.DISMISSED


def test_holiday_routes_refuse_who_does_not_manage_the_branch(
    client, auth, db, branch, make_branch, make_user
):
    holidays.prefill_holidays(branch, 2027)
    korite = _holiday(db, branch, "eid_al_fitr")
    other = make_branch(branch.organization, name="Agence Médina")
    data = {"holiday_id": korite.id, "decision": "confirm"}
    urls = [
        f"/manage/branches/{branch.id}/holidays",
        f"/manage/branches/{branch.id}/holidays/2027",
    ]
    assert client.post(urls[0], data=data).status_code == 302  # to the login
    auth.login(make_user(role="agent", branch=branch))
    assert [client.post(url, data=data).status_code for url in urls] == [403, 403]
    auth.logout()
    auth.login(make_user(role="branch_manager", branch=other))
    assert [client.post(url, data=data).status_code for url in urls] == [403, 403]
    # Through his own branch's address, another branch's holiday is not found.
    own = f"/manage/branches/{other.id}/holidays"
    for decision in ("confirm", "dismiss", "restore"):
        response = client.post(own, data={**data, "decision": decision})
        assert response.status_code == 404
    assert _holiday(db, branch, "eid_al_fitr").status is HolidayStatus.PROPOSED
