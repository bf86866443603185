"""An appointment's whole life in Chromium, each screen at its real size: booked on a
phone the day before, checked in at the kiosk, called at the counter, served."""

import re
from datetime import datetime, timezone

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from smartqueue.models import Appointment, AppointmentStatus, Channel, DeviceKind
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device
from tests.conftest import PASSWORD, at

PHONE = {"width": 360, "height": 740}
KIOSK = {"width": 1080, "height": 1920}
DESKTOP = {"width": 1366, "height": 768}


def _page(browser: Browser, viewport, **extra):
    context = browser.new_context(
        viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar", **extra
    )
    return context.new_page()


def _sign_in(page, email: str) -> None:
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_booked_on_a_phone_checked_in_at_the_kiosk_and_served_at_the_counter(
    browser: Browser, live_server, db, agenda, frozen, make_user, screenshots_dir
):
    url = live_server.url
    manager = make_user(role="branch_manager", branch=agenda.branch)
    _, kiosk_token = create_device(
        agenda.branch, DeviceKind.KIOSK, "Entrée", by=manager
    )
    frozen.set(datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))  # Monday, Dakar

    # 1. the day before, the customer books Tuesday 10:30 on a phone
    phone = _page(browser, PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{url}/branches/{agenda.branch.id}")
    phone.get_by_role("link", name="Prendre rendez-vous").click()
    _sign_in(phone, agenda.customer.email)
    calendar = phone.locator("#booking-calendar")
    expect(calendar.locator("h3")).to_have_text("Novembre 2026")
    calendar.get_by_role("link", name="Mois suivant").click()
    expect(calendar.locator("h3")).to_have_text("Décembre 2026")
    calendar.get_by_role("link", name=re.compile("mardi 1 décembre")).click()
    phone.locator("label.time", has_text="10:30").click()
    phone.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(phone).to_have_url(re.compile(r"/appointments/RDV202612010001$"))
    expect(phone.locator(".appointment-time")).to_have_text("10:30")
    phone.screenshot(
        path=screenshots_dir / "appt-loop-phone-booked.png", full_page=True
    )

    # 2. Tuesday: a walk-in takes A001 at 10:10; at 10:20 the customer types the last
    # four digits of the number at the kiosk
    frozen.set(at(1, 10, 10))
    operations.issue_ticket(agenda.service, channel=Channel.KIOSK)
    frozen.set(at(1, 10, 20))
    kiosk = _page(browser, KIOSK, has_touch=True)
    kiosk.add_init_script("window.print = () => {};")
    kiosk.goto(f"{url}/kiosk/{kiosk_token}")
    kiosk.get_by_role("link", name=re.compile("J'ai un rendez-vous")).tap()
    for digit in "0001":
        kiosk.get_by_role("button", name=digit, exact=True).tap()
    kiosk.get_by_role("button", name="Valider").tap()
    expect(kiosk.locator("#ticket-number")).to_have_text("A002")
    expect(kiosk.locator(".ticket-paper")).to_contain_text("Rendez-vous de 10:30")
    kiosk.screenshot(path=screenshots_dir / "appt-loop-kiosk-ticket.png")

    # 3. at 10:30 the agent calls: the appointment comes before the earlier walk-in
    frozen.set(at(1, 10, 30))
    agent = _page(browser, DESKTOP)
    agent.goto(f"{url}/auth/login?next=/agent/counters/{agenda.counter.id}")
    _sign_in(agent, agenda.agent.email)
    expect(agent.locator("#live-state")).to_contain_text("En direct")
    agent.get_by_role("button", name=re.compile("Appeler le suivant")).click()
    panel = agent.locator("#counter-panel")
    expect(panel.locator(".now-code")).to_have_text("A002", timeout=10_000)
    expect(panel.locator(".now-appointment")).to_contain_text("Rendez-vous de 10:30")
    expect(panel.locator(".now-appointment")).to_contain_text("Awa Diop")
    agent.screenshot(path=screenshots_dir / "appt-loop-counter-called.png")

    # 4. served: the appointment is completed, and the customer's page says so
    panel.get_by_role("button", name=re.compile("Terminé")).click()
    expect(panel.locator(".now-empty")).to_be_visible()
    db.session.rollback()  # a fresh read: the server's thread made the changes
    status = db.session.scalar(
        select(Appointment.status).where(Appointment.number == "RDV202612010001")
    )
    assert status is AppointmentStatus.COMPLETED
    phone.goto(f"{url}/appointments/RDV202612010001")
    expect(phone.locator("#appointment")).to_contain_text("Terminé")
