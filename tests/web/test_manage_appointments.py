"""Manage: a service's slot templates and booking settings, the branch's week calendar."""

import re
from datetime import date, time
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as ops
from smartqueue.appointments import planning, queries
from smartqueue.appointments.slots import SlotSpec
from smartqueue.models import AppointmentSettings, BranchClosure, SlotTemplate
from tests.conftest import at

HTMX = {"HX-Request": "true"}


@pytest.fixture
def staff(agenda, make_branch, make_user):
    """The agenda branch's manager and org admin, and the people who do not belong there."""
    org = agenda.branch.organization
    return SimpleNamespace(
        manager=make_user(role="branch_manager", branch=agenda.branch),
        admin=make_user(role="org_admin", org=org),
        agent=agenda.agent,
        customer=agenda.customer,
        other_manager=make_user(
            role="branch_manager", branch=make_branch(org, name="Médina")
        ),
        other_admin=make_user(role="org_admin", org=make_branch().organization),
    )


@pytest.fixture
def manager(client, auth, staff):
    """The test client signed in as the agenda branch's manager."""
    auth.login(staff.manager)
    return client


def _slots_url(agenda):
    return f"/manage/services/{agenda.service.id}/slots"


def _week_url(agenda, week=None):
    url = f"/manage/branches/{agenda.branch.id}/appointments"
    return url if week is None else f"{url}?week={week}"


def _count_templates(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SlotTemplate))


# --- slot templates --------------------------------------------------------------------------


def test_slot_templates_page_lists_the_weekly_ranges(manager, agenda):
    response = manager.get(_slots_url(agenda))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    table = page[page.index('id="slot-template-list"') :]
    for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"):
        assert day in table
    assert table.count(">09:00 – 12:00</td>") == 5 and "30 min" in table
    assert "2 pers." in table and 'id="appointments-off"' not in page
    assert 'id="slot-template-form"' in page and 'id="booking-settings-form"' in page


def test_slot_templates_page_warns_when_the_service_takes_no_appointments(
    manager, agenda, db
):
    agenda.service.accepts_appointments = False
    db.session.commit()
    page = manager.get(_slots_url(agenda)).get_data(as_text=True)
    assert 'id="appointments-off"' in page and "Accepte les rendez-vous" in page


def test_slot_templates_add_saves_a_range_and_redirects(manager, agenda):
    response = manager.post(
        _slots_url(agenda),
        data={
            "weekday": "5",
            "start_time": "09:00",
            "end_time": "11:00",
            "slot_minutes": "60",
            "capacity": "3",
        },
    )
    assert response.status_code == 302 and response.location.endswith(
        _slots_url(agenda)
    )
    saturday = [
        t for t in queries.list_slot_templates(agenda.service) if t.weekday == 5
    ]
    assert [
        (t.start_time, t.end_time, t.slot_minutes, t.capacity) for t in saturday
    ] == [(time(9), time(11), 60, 3)]
    assert [
        s.local_start.hour
        for s in queries.list_slots(agenda.service, date(2026, 12, 5))
    ] == [9, 10]
    page = manager.get(response.location).get_data(as_text=True)
    assert "Plage de rendez-vous ajoutée." in page and "Samedi" in page


GOOD = {
    "weekday": "5",
    "start_time": "09:00",
    "end_time": "11:00",
    "slot_minutes": "30",
    "capacity": "2",
}
REFUSED = [
    ({"start_time": "07:00"}, "heures d&#39;ouverture"),  # Saturday opens at 08:00
    ({"end_time": "18:00"}, "heures d&#39;ouverture"),
    ({"weekday": "6"}, "heures d&#39;ouverture"),  # Sunday: closed
    ({"weekday": "0", "start_time": "11:00", "end_time": "13:00"}, "se chevauchent"),
    ({"slot_minutes": "10"}, "de 15 à 120 minutes"),
    ({"slot_minutes": "150"}, "de 15 à 120 minutes"),
    ({"capacity": "0"}, "de 1 à 10 personnes"),
    ({"capacity": "11"}, "de 1 à 10 personnes"),
    ({"end_time": "08:30", "start_time": "09:00"}, "doit suivre l&#39;heure de début"),
    ({"end_time": "09:20"}, "plus courte qu&#39;un créneau"),
    ({"weekday": "7"}, "Choisissez un jour de la semaine."),
    ({"weekday": "lundi"}, "Choisissez un jour de la semaine."),
    ({"weekday": ""}, "Choisissez un jour de la semaine."),
    ({"start_time": "25:99"}, "Heure invalide."),
    ({"end_time": ""}, "Ce champ est obligatoire."),
    ({"slot_minutes": "demi-heure"}, "Nombre entier attendu."),
    ({"capacity": "9" * 30}, "de 1 à 10 personnes"),
]


def test_slot_templates_add_refuses_with_a_clear_message(manager, agenda, db):
    for change, message in REFUSED:
        response = manager.post(_slots_url(agenda), data=GOOD | change)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, change
        assert message in page and 'class="form-errors"' in page, change
    assert _count_templates(db) == 5


def test_slot_templates_delete_removes_one_and_keeps_the_bookings(manager, agenda, db):
    booked = ops.book_appointment(agenda.customer, agenda.service, at(2, 9))
    wednesday = next(
        t for t in queries.list_slot_templates(agenda.service) if t.weekday == 2
    )
    response = manager.post(
        f"{_slots_url(agenda)}/delete", data={"template_id": str(wednesday.id)}
    )
    assert response.status_code == 302
    assert db.session.get(SlotTemplate, wednesday.id) is None
    assert _count_templates(db) == 4
    assert queries.get_appointment(booked.id) is not None
    page = manager.get(response.location).get_data(as_text=True)
    assert "rendez-vous déjà pris sont gardés" in page


def test_slot_templates_delete_refuses_another_services_template(
    manager, agenda, db, make_service
):
    # a template of the walk-in service is not one of service A's: not found here
    elsewhere = planning.add_slot_template(
        agenda.walk_in, SlotSpec(0, time(9), time(10), 30, 1)
    )
    response = manager.post(
        f"{_slots_url(agenda)}/delete", data={"template_id": str(elsewhere.id)}
    )
    assert response.status_code == 404
    assert db.session.get(SlotTemplate, elsewhere.id) is not None


def test_slot_templates_delete_answers_junk_with_4xx(manager, agenda, db):
    for data in ({}, {"template_id": "abc"}, {"template_id": "-1"}):
        response = manager.post(f"{_slots_url(agenda)}/delete", data=data)
        assert response.status_code in (400, 404), data
    assert _count_templates(db) == 5


# --- booking settings ------------------------------------------------------------------------

SETTINGS = {
    "min_notice": "3",
    "min_notice_unit": "hours",
    "max_advance_days": "60",
    "requires_deposit": "y",
    "deposit_fcfa": "2500",
    "payment_minutes": "45",
    "grace_minutes": "10",
}


def _settings_url(agenda):
    return f"/manage/services/{agenda.service.id}/booking-settings"


def test_booking_settings_saves_every_value(manager, agenda):
    response = manager.post(_settings_url(agenda), data=SETTINGS)
    assert response.status_code == 302
    saved = queries.get_settings(agenda.service)
    assert (
        saved.min_notice_minutes,
        saved.max_advance_days,
        saved.requires_deposit,
        saved.deposit_fcfa,
        saved.payment_minutes,
        saved.grace_minutes,
    ) == (180, 60, True, 2500, 45, 10)
    page = manager.get(response.location).get_data(as_text=True)
    assert "Réglages de réservation enregistrés." in page


def test_booking_settings_takes_the_notice_in_minutes(manager, agenda):
    data = SETTINGS | {"min_notice": "45", "min_notice_unit": "minutes"}
    data.pop("requires_deposit")
    assert manager.post(_settings_url(agenda), data=data).status_code == 302
    saved = queries.get_settings(agenda.service)
    assert saved.min_notice_minutes == 45 and saved.requires_deposit is False


def test_booking_settings_page_shows_the_stored_values(manager, agenda):
    planning.set_booking_settings(
        agenda.service, min_notice_minutes=90, max_advance_days=14
    )
    page = manager.get(_slots_url(agenda)).get_data(as_text=True)
    assert re.search(r'id="min_notice"[^>]*value="90"', page)
    assert re.search(r'<option selected value="minutes">', page)
    assert re.search(r'id="max_advance_days"[^>]*value="14"', page)


def test_booking_settings_page_shows_the_defaults_in_hours(manager, agenda):
    page = manager.get(_slots_url(agenda)).get_data(as_text=True)
    assert re.search(r'id="min_notice"[^>]*value="2"', page)
    assert re.search(r'<option selected value="hours">', page)


SETTINGS_REFUSED = [
    ({"min_notice": "169"}, "De 0 à 168 heures."),
    ({"min_notice": "-1"}, "De 0 à 168 heures."),
    ({"min_notice": "20000", "min_notice_unit": "minutes"}, "De 0 à 10080 minutes."),
    ({"min_notice": "deux"}, "Nombre entier attendu."),
    ({"min_notice_unit": "days"}, "Choisissez heures ou minutes."),
    ({"max_advance_days": "0"}, "De 1 à 365."),
    ({"max_advance_days": "366"}, "De 1 à 365."),
    ({"deposit_fcfa": "-5"}, "De 0 à 1000000."),
    ({"deposit_fcfa": "0"}, "Indiquez le montant de l’acompte."),
    ({"payment_minutes": "2"}, "De 5 à 1440."),
    ({"grace_minutes": "121"}, "De 0 à 120."),
    ({"grace_minutes": ""}, "Ce champ est obligatoire."),
    ({"grace_minutes": "9" * 40}, "De 0 à 120."),
]


def test_booking_settings_refuses_out_of_range_values(manager, agenda, db):
    for change, message in SETTINGS_REFUSED:
        response = manager.post(_settings_url(agenda), data=SETTINGS | change)
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert db.session.get(AppointmentSettings, agenda.service.id) is None


# --- the week calendar -----------------------------------------------------------------------


class _Calendar(HTMLParser):
    """The calendar table as {(time, column): cell text}; column 0 is Monday."""

    def __init__(self, page: str):
        super().__init__()
        self.cells, self.heads = {}, []
        self._in_body = self._in_head = False
        self._row, self._text, self._cell = None, [], None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("tbody", "thead"):
            self._in_body, self._in_head = tag == "tbody", tag == "thead"
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell, self._text = dict(attrs), []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            text = " ".join(" ".join(self._text).split())
            self._row.append((self._cell, text))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.heads = self._row[1:]
            elif self._in_body:
                moment = self._row[0][1]
                for column, (_attrs, text) in enumerate(self._row[1:]):
                    self.cells[moment, column] = text
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._text.append(data)


@pytest.fixture
def booked_week(agenda, db, make_user):
    """Service A's week of 30 November 2026: Wednesday 09:30 full, Thursday 11:00
    cancelled, Friday 10:00 taken once, and Saturday closed for Tabaski."""
    moussa = make_user(full_name="Moussa Ndiaye")
    ops.book_appointment(agenda.customer, agenda.service, at(2, 9, 30))
    ops.book_appointment(moussa, agenda.service, at(2, 9, 30))
    cancelled = ops.book_appointment(agenda.customer, agenda.service, at(3, 11))
    ops.cancel_appointment(cancelled, by=agenda.customer)
    ops.book_appointment(moussa, agenda.service, at(4, 10))
    db.session.add(
        BranchClosure(
            branch_id=agenda.branch.id, date=date(2026, 12, 5), reason="Tabaski"
        )
    )
    db.session.commit()
    return agenda


def test_week_calendar_shows_bookings_capacity_and_closed_days(manager, booked_week):
    response = manager.get(_week_url(booked_week, "2026-11-30"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Semaine du 30 novembre au 6 décembre 2026" in page
    calendar = _Calendar(page)
    assert sorted({moment for moment, _c in calendar.cells}) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    wednesday = calendar.cells["09:30", 2]
    assert "A 2/2" in wednesday
    assert "Awa Diop" in wednesday and "Moussa Ndiaye" in wednesday
    assert "Confirmé" in wednesday and "09:30" in wednesday
    assert "A 0/2" in calendar.cells["11:00", 3]  # the cancelled one frees its place
    assert "Annulé" in calendar.cells["11:00", 3]
    assert "A 1/2" in calendar.cells["10:00", 4]
    assert "A 0/2" in calendar.cells["09:00", 0]  # Monday (past): empty slots
    assert calendar.cells["09:00", 5] == "" and calendar.cells["09:00", 6] == ""
    heads = [text for _attrs, text in calendar.heads]
    assert "Aujourd’hui" in heads[1] and "Aujourd’hui" not in heads[2]
    assert calendar.heads[1][0].get("aria-current") == "date"
    assert "Tabaski" in heads[5] and "Fermé" in heads[6]
    assert "closed" in calendar.heads[6][0]["class"]
    assert "3 rendez-vous cette semaine" in page  # the cancelled one is not counted


def test_week_calendar_links_the_previous_and_next_weeks(manager, agenda):
    page = manager.get(_week_url(agenda, "2026-11-30")).get_data(as_text=True)
    base = _week_url(agenda)
    assert f'href="{base}?week=2026-11-23"' in page
    assert f'href="{base}?week=2026-12-07"' in page
    assert 'rel="prev"' in page and 'rel="next"' in page


def test_week_calendar_of_another_week_shows_its_own_bookings(manager, booked_week):
    page = manager.get(_week_url(booked_week, "2026-12-07")).get_data(as_text=True)
    assert "Semaine du 7 décembre au 13 décembre 2026" in page
    assert "Awa Diop" not in page and 'aria-current="date"' not in page
    assert "0 rendez-vous cette semaine" in page


def test_week_calendar_takes_any_day_of_the_week(manager, booked_week):
    page = manager.get(_week_url(booked_week, "2026-12-03")).get_data(as_text=True)
    assert "Semaine du 30 novembre au 6 décembre 2026" in page
    assert "Awa Diop" in page


BAD_WEEKS = ["abc", "2026-02-30", "99999-01-01", "0001-01-01", "9999-12-31"]


def test_week_calendar_answers_a_bad_week_with_the_current_one(manager, booked_week):
    for week in BAD_WEEKS:
        response = manager.get(_week_url(booked_week, week))
        page = response.get_data(as_text=True)
        assert response.status_code == 200, week
        assert "Semaine du 30 novembre au 6 décembre 2026" in page, week
        assert "Date non comprise" in page and "Awa Diop" in page, week


def test_week_calendar_refuses_a_week_with_control_characters(manager, booked_week):
    response = manager.get(_week_url(booked_week, "%00"))
    assert response.status_code == 400
    assert "Ce lien contient des caractères non autorisés." in response.get_data(
        as_text=True
    )


def test_week_calendar_without_week_is_the_current_week(manager, booked_week):
    page = manager.get(_week_url(booked_week)).get_data(as_text=True)
    assert "Semaine du 30 novembre au 6 décembre 2026" in page
    assert "Date non comprise" not in page


def test_week_calendar_htmx_gets_the_fragment_only(manager, booked_week):
    response = manager.get(_week_url(booked_week, "2026-12-07"), headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert 'id="week-calendar"' in fragment and "<html" not in fragment
    assert "Semaine du 7 décembre" in fragment


def test_week_calendar_without_slots_says_so(manager, agenda, db):
    for template in queries.list_slot_templates(agenda.service):
        planning.delete_slot_template(template)
    page = manager.get(_week_url(agenda)).get_data(as_text=True)
    assert 'id="week-empty"' in page and '<table class="calendar"' not in page


def test_week_calendar_links_todays_appointments(manager, agenda):
    page = manager.get(_week_url(agenda)).get_data(as_text=True)
    today_page = f"/agent/branches/{agenda.branch.id}/appointments"
    assert f'href="{today_page}" id="today-appointments-link"' in page


def test_branch_and_service_pages_link_the_appointment_pages(manager, agenda):
    branch_page = manager.get(f"/manage/branches/{agenda.branch.id}").get_data(
        as_text=True
    )
    assert f'href="{_week_url(agenda)}"' in branch_page
    assert f'href="{_slots_url(agenda)}"' in branch_page
    service_page = manager.get(f"/manage/services/{agenda.service.id}").get_data(
        as_text=True
    )
    assert f'href="{_slots_url(agenda)}"' in service_page


# --- who may use these pages -----------------------------------------------------------------

PAGES = [
    ("GET", "/manage/services/{service}/slots"),
    ("POST", "/manage/services/{service}/slots"),
    ("POST", "/manage/services/{service}/slots/delete"),
    ("POST", "/manage/services/{service}/booking-settings"),
    ("GET", "/manage/branches/{branch}/appointments"),
]


def _open(client, method, path, agenda, data=None):
    url = path.format(service=agenda.service.id, branch=agenda.branch.id)
    return client.open(url, method=method, data=data)


@pytest.mark.parametrize("role", ["customer", "agent", "other_manager", "other_admin"])
def test_appointment_pages_refuse_who_does_not_run_the_branch(
    client, auth, agenda, staff, db, role
):
    auth.login(getattr(staff, role))
    for method, path in PAGES:
        response = _open(client, method, path, agenda, data=GOOD)
        assert response.status_code == 403, (method, path)
    assert _count_templates(db) == 5


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_appointment_pages_open_to_the_branch_manager_and_org_admin(
    client, auth, agenda, staff, role
):
    auth.login(getattr(staff, role))
    for method, path in PAGES:
        response = _open(client, method, path, agenda)
        if method == "GET":
            assert response.status_code == 200, path
        else:  # an empty form: refused for what it says, not for who sent it
            assert response.status_code in (400, 422), (method, path)


def test_appointment_pages_send_the_anonymous_to_sign_in(client, agenda):
    response = client.get(_week_url(agenda))
    assert response.status_code == 302 and "/auth/login" in response.location
