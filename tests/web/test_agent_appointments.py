"""Today's appointments of a branch for its staff: the list, check-in, no-show, who may."""

import html as htmllib
import re
from datetime import datetime, time, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as booking
from smartqueue.appointments import planning
from smartqueue.appointments.slots import SlotSpec
from smartqueue.extensions import db as _db
from smartqueue.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Strategy,
    Ticket,
    TicketStatus,
)
from tests.conftest import at
from tests.web.test_agent import BRANCH_STAFF_ACCESS

HTMX = {"HX-Request": "true"}
MONDAY_10H = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def page_url(day, **query) -> str:
    url = f"/agent/branches/{day.branch.id}/appointments"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def action_url(day, appointment, action: str) -> str:
    return f"/agent/branches/{day.branch.id}/appointments/{appointment.id}/{action}"


def reload(appointment) -> Appointment:
    _db.session.expire_all()
    return _db.session.get(Appointment, appointment.id)


@pytest.fixture
def day(db, agenda, frozen, make_user, make_branch, make_service, make_counter):
    """Today (Tuesday 1 December, 10:00) at the agenda's branch: Awa at 09:30, Fatou at
    10:00, Moussa at 11:30 (booked the day before); Awa again tomorrow; an appointment at
    another branch of the organization; and the staff around them."""
    org = agenda.branch.organization
    other = make_branch(org, name="Médina")
    other_service = make_service(other, "M", strategy=Strategy.APPOINTMENT_FIRST)
    other_service.accepts_appointments = True
    db.session.commit()
    planning.set_slot_templates(other_service, [SlotSpec(1, time(9), time(12), 30, 2)])
    make_counter(other, 1, [other_service])
    fatou = make_user(full_name="Fatou Sall", phone="+221771234567")
    moussa = make_user(full_name="Moussa Ba", phone="+221700000001")

    frozen.set(MONDAY_10H)  # booked the day before, with the notice the rules ask
    book = booking.book_appointment
    moussa_rdv = book(moussa, agenda.service, at(1, 11, 30))
    awa = book(agenda.customer, agenda.service, at(1, 9, 30))
    fatou_rdv = book(fatou, agenda.service, at(1, 10))
    tomorrow = book(agenda.customer, agenda.service, at(2, 9))
    elsewhere = book(moussa, other_service, at(1, 10))
    frozen.set(at(1, 10))
    return SimpleNamespace(
        branch=agenda.branch,
        service=agenda.service,
        walk_in=agenda.walk_in,
        counter=agenda.counter,
        awa=awa,
        fatou=fatou_rdv,
        moussa=moussa_rdv,
        tomorrow=tomorrow,
        elsewhere=elsewhere,
        users={
            "agent": agenda.agent,
            "manager": make_user(role="branch_manager", branch=agenda.branch),
            "admin": make_user(role="org_admin", org=org),
            "agent_other_branch": make_user(role="agent", branch=other),
            "admin_other_org": make_user(
                role="org_admin", org=make_branch().organization
            ),
            "customer": agenda.customer,
            "platform": make_user(role="platform_admin"),
        },
    )


@pytest.fixture
def agent(day, auth):
    """The client signed in as an agent of the branch."""
    auth.login(day.users["agent"])
    return day.users["agent"]


# --- the list --------------------------------------------------------------------------------


def test_appointments_page_lists_today_in_time_order(client, agent, day):
    response = client.get(page_url(day))
    assert response.status_code == 200
    page = text(response)
    order = [page.index(name) for name in ("Awa Diop", "Fatou Sall", "Moussa Ba")]
    assert order == sorted(order)
    row = page[page.index(f'id="appointment-{day.fatou.id}"') :]
    row = row[: row.index("</tbody>")]
    for shown in ("10:00", day.fatou.number, "77 123 45 67", "Ouverture de compte"):
        assert shown in row
    assert "Confirmé" in row and "Enregistrer l'arrivée" in row and "Absent" in row
    assert page.count('class="appointment ') == 3  # not tomorrow's, not Médina's
    assert day.tomorrow.number not in page and day.elsewhere.number not in page
    assert re.search(r"<strong>3</strong> rendez-vous", page)


def test_appointments_page_flags_who_is_late(client, agent, day):
    page = text(client.get(page_url(day)))
    awa = page[page.index(f'id="appointment-{day.awa.id}"') :]
    assert "En retard de 30 min" in awa[: awa.index("</tbody>")]
    assert "is-past-grace" in awa[: awa.index(">")]
    fatou = page[page.index(f'id="appointment-{day.fatou.id}"') :]
    assert "En retard" not in fatou[: fatou.index("</tbody>")]


def test_appointments_page_filters_by_service(client, agent, day):
    page = text(client.get(page_url(day, service=day.walk_in.id)))
    assert "Aucun rendez-vous aujourd’hui pour ce service." in page
    page = text(client.get(page_url(day, service=day.service.id)))
    assert page.count('class="appointment ') == 3
    page = text(client.get(page_url(day, service="abc")))  # a bad filter: no filter
    assert page.count('class="appointment ') == 3


def test_appointments_page_refreshes_its_list_alone_for_htmx(client, agent, day):
    response = client.get(page_url(day), headers=HTMX)
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="appointment-list"')
    assert "<html" not in body and "Fatou Sall" in body


def test_appointments_page_without_appointments_says_so(
    client, auth, day, make_branch, make_user
):
    quiet = make_branch(day.branch.organization, name="Quiet")
    auth.login(make_user(role="agent", branch=quiet))
    page = text(client.get(f"/agent/branches/{quiet.id}/appointments"))
    assert "Aucun rendez-vous aujourd’hui." in page


def test_counter_screens_link_to_the_appointments_of_the_day(client, agent, day):
    link = f'href="/agent/branches/{day.branch.id}/appointments"'
    assert link in text(client.get("/agent/"))
    assert link in text(client.get(f"/agent/counters/{day.counter.id}"))


# --- check-in --------------------------------------------------------------------------------


def test_check_in_creates_a_ticket_the_counter_then_serves(client, agent, day):
    response = client.post(action_url(day, day.fatou, "check-in"), headers=HTMX)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tbody id="appointment-{day.fatou.id}"')
    assert "<html" not in body
    assert "Ticket A001 créé." in body and "Arrivé" in body
    assert "Enregistrer l'arrivée" not in body  # done: no more buttons
    summary = body[body.index('id="appointment-summary"') :]
    assert 'hx-swap-oob="true"' in summary[: summary.index(">")]
    assert re.search(r"<strong>1</strong> arrivé\b", summary)
    fatou = reload(day.fatou)
    ticket = fatou.ticket
    assert fatou.status is AppointmentStatus.CHECKED_IN
    assert fatou.checked_in_by_id == agent.id
    assert ticket.status is TicketStatus.WAITING and ticket.channel is Channel.COUNTER
    assert ticket.appointment_at == at(1, 10)

    # the counter calls it, and its panel says whose appointment it is
    assert client.post(f"/agent/counters/{day.counter.id}/call").status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Ticket, ticket.id).status is TicketStatus.CALLED
    screen = text(client.get(f"/agent/counters/{day.counter.id}"))
    panel = screen[
        screen.index('id="counter-panel"') : screen.index('id="waiting-list"')
    ]
    assert "A001" in panel
    assert "Rendez-vous de 10:00" in panel and "Fatou Sall" in panel


def test_check_in_without_scripts_redirects_to_the_row_with_a_message(
    client, agent, day
):
    response = client.post(action_url(day, day.fatou, "check-in"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/agent/branches/{day.branch.id}/appointments#appointment-{day.fatou.id}"
    )
    page = text(client.get(response.headers["Location"]))
    assert "Ticket A001 créé." in page  # the flash
    row = page[page.index(f'id="appointment-{day.fatou.id}"') :]
    assert 'class="appt-code">A001<' in row[: row.index("</tbody>")]


def test_check_in_keeps_the_service_filter(client, agent, day):
    url = action_url(day, day.fatou, "check-in") + f"?service={day.service.id}"
    response = client.post(url)
    assert response.headers["Location"].endswith(
        f"/appointments?service={day.service.id}#appointment-{day.fatou.id}"
    )


def test_check_in_after_the_grace_period_joins_as_a_normal_arrival(client, agent, day):
    response = client.post(action_url(day, day.awa, "check-in"), headers=HTMX)
    assert response.status_code == 200
    assert "Arrivé en retard : servi dans l'ordre d'arrivée." in text(response)
    awa = reload(day.awa)
    assert awa.is_late_arrival and awa.ticket.appointment_at is None
    client.post(f"/agent/counters/{day.counter.id}/call")
    screen = text(client.get(f"/agent/counters/{day.counter.id}"))
    assert "Rendez-vous de 09:30" in screen and "Awa Diop" in screen


def test_check_in_twice_is_refused_in_the_row(client, agent, day):
    client.post(action_url(day, day.fatou, "check-in"))
    response = client.post(action_url(day, day.fatou, "check-in"), headers=HTMX)
    assert response.status_code == 409
    body = text(response)
    assert "Vous êtes déjà enregistré : ticket A001." in body and 'role="alert"' in body
    assert body.lstrip().startswith(f'<tbody id="appointment-{day.fatou.id}"')
    assert _db.session.scalar(select(func.count(Ticket.id))) == 1


def test_check_in_too_early_is_refused_with_the_page_without_scripts(
    client, agent, day
):
    response = client.post(action_url(day, day.moussa, "check-in"))
    assert response.status_code == 409
    page = text(response)
    row = page[page.index(f'id="appointment-{day.moussa.id}"') :]
    assert "Enregistrement possible à partir de 10:30." in row[: row.index("</tbody>")]
    assert "<html" in page
    assert reload(day.moussa).status is AppointmentStatus.CONFIRMED
    assert reload(day.moussa).ticket_id is None


def test_check_in_of_another_day_is_refused(client, agent, day):
    response = client.post(action_url(day, day.tomorrow, "check-in"), headers=HTMX)
    assert response.status_code == 409
    assert "Ce rendez-vous est prévu le 02/12/2026." in text(response)
    # without scripts the page has no row for it: the message comes as a flash
    response = client.post(action_url(day, day.tomorrow, "check-in"))
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Ce rendez-vous est prévu le 02/12/2026." in page


# --- no-show ---------------------------------------------------------------------------------


def test_no_show_waits_for_the_grace_period(client, agent, day, frozen):
    response = client.post(action_url(day, day.fatou, "no-show"), headers=HTMX)
    assert response.status_code == 409
    assert (
        "Attendez 15 min après l'heure du rendez-vous pour le marquer absent."
        in text(response)
    )
    assert reload(day.fatou).status is AppointmentStatus.CONFIRMED

    frozen.tick(minutes=16)
    response = client.post(action_url(day, day.fatou, "no-show"), headers=HTMX)
    assert response.status_code == 200
    body = text(response)
    assert f"Rendez-vous {day.fatou.number} marqué absent." in body
    assert "Enregistrer l'arrivée" not in body
    assert reload(day.fatou).status is AppointmentStatus.NO_SHOW


def test_no_show_without_scripts_redirects_with_a_flash(client, agent, day):
    response = client.post(action_url(day, day.awa, "no-show"))
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert f"Rendez-vous {day.awa.number} marqué absent." in page
    assert re.search(r"<strong>1</strong> absent\b", page)


def test_no_show_of_a_checked_in_appointment_is_refused(client, agent, day, frozen):
    client.post(action_url(day, day.awa, "check-in"))
    response = client.post(action_url(day, day.awa, "no-show"), headers=HTMX)
    assert response.status_code == 409
    assert "Ce rendez-vous ne peut pas être marqué absent." in text(response)
    assert reload(day.awa).status is AppointmentStatus.CHECKED_IN


# --- who may, and bad addresses --------------------------------------------------------------


@pytest.mark.parametrize("role, allowed", BRANCH_STAFF_ACCESS)
def test_appointments_are_for_the_staff_of_the_branch(client, auth, day, role, allowed):
    auth.login(day.users[role])
    response = client.get(page_url(day))
    assert response.status_code == (200 if allowed else 403)
    for action in ("check-in", "no-show"):
        response = client.post(action_url(day, day.awa, action), headers=HTMX)
        assert (response.status_code != 403) is allowed, (role, action)
    if not allowed:  # refused, and nothing moved
        assert reload(day.awa).status is AppointmentStatus.CONFIRMED


def test_appointments_send_anonymous_visitors_to_sign_in(client, day):
    for method, path in [
        ("GET", page_url(day)),
        ("POST", action_url(day, day.awa, "check-in")),
    ]:
        response = client.open(path, method=method)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert reload(day.awa).status is AppointmentStatus.CONFIRMED


def test_appointments_refresh_after_the_session_ended_loads_the_sign_in_page(
    client, day
):
    response = client.get(page_url(day), headers=HTMX)
    assert response.status_code == 204
    assert "/auth/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize(
    "path",
    [
        "/agent/branches/999999/appointments",
        "/agent/branches/abc/appointments",
        "/agent/branches/-1/appointments",
        "/agent/branches/99999999999999999999/appointments",
        "/agent/branches/{branch}/appointments/999999/check-in",
        "/agent/branches/{branch}/appointments/xyz/no-show",
        "/agent/branches/{branch}/appointments/{elsewhere}/check-in",
        "/agent/branches/999999/appointments/{awa}/check-in",
    ],
)
def test_appointments_bad_addresses_are_not_found(client, agent, day, path):
    path = path.format(branch=day.branch.id, elsewhere=day.elsewhere.id, awa=day.awa.id)
    method = "POST" if path.endswith(("check-in", "no-show")) else "GET"
    assert client.open(path, method=method).status_code == 404
    assert reload(day.elsewhere).status is AppointmentStatus.CONFIRMED
