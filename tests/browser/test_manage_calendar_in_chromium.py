"""A branch manager reads the week of appointments in Chromium, and sets a service's slots."""

import re
from datetime import date, datetime, time, timezone

from playwright.sync_api import Page, expect

from smartqueue.appointments import arrival, planning
from smartqueue.appointments import operations as ops
from smartqueue.appointments.slots import SlotSpec
from smartqueue.extensions import db
from smartqueue.models import BranchClosure, Channel
from smartqueue.queueing import operations as queue_ops
from tests.conftest import at

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    """November `day` 2026 at hour:minute in Dakar (= UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def _book_a_week(agenda, frozen, make_user):
    """Monday's appointments missed and served, Tuesday's one arrived, the rest of the week
    booked on service A and on service B (which asks for a deposit); Saturday closed."""
    people = {
        name: make_user(full_name=name)
        for name in (
            "Fatou Sarr",
            "Moussa Ndiaye",
            "Khady Fall",
            "Ibrahima Sow",
            "Aminata Ba",
            "Cheikh Diallo",
            "Ousmane Faye",
        )
    }
    people["Awa Diop"] = agenda.customer
    b = agenda.walk_in
    b.accepts_appointments = True
    db.session.commit()
    planning.set_slot_templates(
        b, [SlotSpec(day, time(14), time(16), 60, 1) for day in (2, 3, 4)]
    )
    planning.set_booking_settings(b, requires_deposit=True, deposit_fcfa=2000)

    def book(name, service, starts_at):
        return ops.book_appointment(people[name], service, starts_at)

    frozen.set(nov(29, 18))  # Sunday evening
    missed = book("Awa Diop", agenda.service, nov(30, 9))
    served = book("Fatou Sarr", agenda.service, nov(30, 10, 30))
    arrived = book("Khady Fall", agenda.service, at(1, 10))
    book("Ibrahima Sow", agenda.service, at(1, 11))
    frozen.set(nov(30, 10))  # Monday 10:00
    arrival.mark_appointment_no_show(missed, by=agenda.agent)
    frozen.set(nov(30, 10, 25))
    arrival.check_in(served, channel=Channel.COUNTER, by=agenda.agent)
    ticket = queue_ops.call_next(agenda.counter, by=agenda.agent)
    queue_ops.finish(ticket, by=agenda.agent)
    frozen.set(at(1, 9, 55))
    arrival.check_in(arrived, channel=Channel.KIOSK)
    frozen.set(at(1, 10))  # Tuesday 10:00: now
    book("Awa Diop", agenda.service, at(2, 9))
    book("Moussa Ndiaye", agenda.service, at(2, 9))
    book("Aminata Ba", agenda.service, at(2, 11))
    ops.cancel_appointment(
        book("Cheikh Diallo", agenda.service, at(3, 9, 30)), by=people["Cheikh Diallo"]
    )
    book("Moussa Ndiaye", agenda.service, at(3, 10))
    book("Ousmane Faye", b, at(2, 14))
    paid = book("Aminata Ba", b, at(4, 15))
    ops.confirm_payment(paid)
    db.session.add(
        BranchClosure(
            branch_id=agenda.branch.id, date=date(2026, 12, 5), reason="Inventaire"
        )
    )
    db.session.commit()


def test_manager_reads_the_week_of_appointments(
    page: Page, live_server, agenda, frozen, make_user, screenshots_dir
):
    _book_a_week(agenda, frozen, make_user)
    make_user(
        email="responsable@example.sn",
        role="branch_manager",
        branch=agenda.branch,
        full_name="Mariama Diouf",
    )
    page.set_viewport_size(DESKTOP)
    week_url = f"{live_server.url}/manage/branches/{agenda.branch.id}/appointments"
    page.goto(f"{live_server.url}/auth/login?next=/manage/")
    page.get_by_label("Adresse e-mail").fill("responsable@example.sn")
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))

    page.goto(f"{live_server.url}/manage/branches/{agenda.branch.id}")
    page.get_by_role("link", name="Voir la semaine").click()
    calendar = page.locator("#week-calendar")
    expect(calendar.get_by_role("heading", level=2)).to_have_text(
        "Semaine du 30 novembre au 6 décembre 2026"
    )
    expect(
        calendar.locator("table .chip.st-confirmed", has_text="Moussa Ndiaye")
    ).to_have_count(2)
    expect(calendar.locator("table .chip.st-no-show")).to_have_text(
        re.compile("Awa Diop")
    )
    expect(calendar.locator("table .chip.st-completed")).to_have_text(
        re.compile("Fatou Sarr")
    )
    expect(calendar.locator("table .chip.st-checked-in")).to_have_text(
        re.compile("Khady Fall")
    )
    expect(calendar.locator("table .chip.st-pending-payment")).to_have_text(
        re.compile("Ousmane Faye")
    )
    expect(calendar.locator("table .slot.full")).to_have_count(
        3
    )  # A Wednesday 9:00, B's two
    expect(calendar.locator("thead th[aria-current=date]")).to_contain_text("1 déc.")
    expect(calendar.locator("thead th.closed")).to_have_count(2)
    # the page is as wide as the screen: no sideways scrolling on a laptop
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=screenshots_dir / "desktop-manage-week.png", full_page=True)

    # the next week comes in place (htmx), and the address follows
    calendar.get_by_role("link", name="Semaine suivante →").click()
    expect(calendar.get_by_role("heading", level=2)).to_contain_text("7 décembre")
    expect(page).to_have_url(week_url + "?week=2026-12-07")
    expect(page.locator("#week-calendar table .chip")).to_have_count(0)
    page.go_back()
    expect(page.locator("#week-calendar h2")).to_contain_text("30 novembre")

    # on a phone the calendar scrolls sideways inside its frame, not the whole page
    page.set_viewport_size(PHONE)
    page.goto(week_url)
    frame = page.locator(".calendar-scroll")
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshots_dir / "phone-manage-week.png", full_page=True)
    frame.evaluate("e => { e.scrollLeft = 330; }")  # to Wednesday: hours stay in view
    expect(frame.locator("tbody th.time-col").first).to_be_in_viewport()
    frame.screenshot(path=screenshots_dir / "phone-manage-week-scrolled.png")

    # the service's slots: a range outside opening hours is refused in French
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/manage/services/{agenda.service.id}/slots")
    form = page.locator("#slot-template-form")
    form.get_by_label("Jour").select_option(label="Samedi")
    form.get_by_label("Début").fill("07:00")
    form.get_by_label("Fin").fill("10:00")
    form.get_by_role("button", name="Ajouter la plage").click()
    expect(page.locator("#start_time-error")).to_contain_text("heures d'ouverture")
    page.screenshot(
        path=screenshots_dir / "desktop-manage-slots-refused.png", full_page=True
    )
    form.get_by_label("Début").fill("09:00")
    form.get_by_role("button", name="Ajouter la plage").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Plage de rendez-vous ajoutée"
    )
    expect(page.locator("#slot-template-list tbody tr")).to_have_count(6)
