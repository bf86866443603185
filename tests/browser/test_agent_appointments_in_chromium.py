"""An agent in Chromium: today's appointments of the branch, a check-in, a no-show, then
the appointment's ticket called at the counter."""

import re
from datetime import datetime, timezone

from playwright.sync_api import Page, expect

from smartqueue.appointments import operations as booking
from tests.conftest import PASSWORD, at

DESKTOP = {"width": 1366, "height": 768}
MONDAY_10H = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def test_agent_checks_in_an_appointment_and_calls_its_ticket(
    page: Page, live_server, agenda, frozen, make_user, screenshots_dir
):
    page.set_viewport_size(DESKTOP)
    people = [
        ("Awa Diop", "+221771234567", at(1, 9, 30)),
        ("Fatou Sall", "+221765550011", at(1, 10)),
        ("Moussa Ba", "+221708889900", at(1, 10)),
        ("Ibrahima Ndiaye", None, at(1, 11)),
        ("Aïssatou Fall", "+221772223344", at(1, 11, 30)),
    ]
    frozen.set(MONDAY_10H)  # booked the day before
    booked = {}
    for name, phone, when in people:
        customer = (
            agenda.customer
            if name == "Awa Diop"
            else make_user(full_name=name, phone=phone)
        )
        if name == "Awa Diop":
            customer.phone = phone
        booked[name] = booking.book_appointment(customer, agenda.service, when)
    frozen.set(at(1, 10, 5))

    page.goto(live_server.url + "/auth/login?next=/agent/")
    page.get_by_label("Adresse e-mail").fill(agenda.agent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name=re.compile("Rendez-vous du jour")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous du jour")
    rows = page.locator("tbody.appointment")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Awa Diop")
    expect(rows.first).to_contain_text("En retard de 35 min")

    fatou = page.locator(f"#appointment-{booked['Fatou Sall'].id}")
    fatou.get_by_role("button", name="Enregistrer l'arrivée").click()
    expect(fatou.get_by_role("status")).to_have_text("Ticket A001 créé.")
    expect(fatou.locator(".appt-code")).to_have_text("A001")
    expect(fatou.locator(".appt-state")).to_have_text("Arrivé")

    awa = page.locator(f"#appointment-{booked['Awa Diop'].id}")
    page.once("dialog", lambda dialog: dialog.accept())  # "Marquer ... absent ?"
    awa.get_by_role("button", name="Absent").click()
    expect(awa.locator(".appt-state")).to_have_text("Absent")

    moussa = page.locator(f"#appointment-{booked['Moussa Ba'].id}")
    page.once("dialog", lambda dialog: dialog.accept())
    moussa.get_by_role("button", name="Absent").click()  # within the grace period
    expect(moussa.get_by_role("alert")).to_contain_text("Attendez 15 min")
    page.screenshot(path=screenshots_dir / "desktop-agent-appointments.png")

    # at the counter: the appointment's ticket, and whose it is
    page.goto(live_server.url + f"/agent/counters/{agenda.counter.id}")
    expect(page.locator("#live-state")).to_contain_text("En direct")
    page.keyboard.press("n")
    panel = page.locator("#counter-panel")
    expect(panel.locator(".now-code")).to_have_text("A001")
    expect(panel.locator(".now-appointment")).to_contain_text("Rendez-vous de 10:00")
    expect(panel.locator(".now-appointment")).to_contain_text("Fatou Sall")
    page.screenshot(path=screenshots_dir / "desktop-agent-counter-appointment.png")
