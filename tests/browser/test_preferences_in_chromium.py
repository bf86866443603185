"""Quiet hours in a phone's browser: a signed-in customer keeps the night quiet on their
preferences page and turns emails off for ticket news; at 23:00 the agent's call holds
their "near" SMS until 07:00 while the bell still counts it, and the next call's "you
are called" goes through at once. The history page says which went and which waits."""

import re
from datetime import datetime

from playwright.sync_api import Page, expect

from smartqueue import clock
from smartqueue.extensions import db as _db
from smartqueue.models import Channel
from smartqueue.queueing import operations as ops
from tests.live import call_next_in
from tests.queueing import conftest as queueing

desk = queueing.desk
PHONE = {"width": 360, "height": 740}
NIGHT = datetime(2026, 12, 1, 23, 0, tzinfo=clock.DAKAR)


def test_quiet_hours_hold_a_near_at_23h_and_let_a_called_through(
    page: Page, live_server, desk, make_user, frozen, screenshots_dir, tmp_path
):
    live_server.config["SMS_DIR"] = str(tmp_path / "sms")
    page.set_viewport_size(PHONE)
    customer = make_user(email="awa@example.sn", full_name="Awa Ndiaye")
    customer.phone = "+221771234567"
    _db.session.commit()
    ops.issue_ticket(desk.a, channel=Channel.KIOSK)  # A001, ahead of her
    ops.issue_ticket(desk.a, channel=Channel.WEB, customer=customer)  # A002

    page.goto(live_server.url + "/auth/login")
    page.get_by_label("Adresse e-mail").fill(customer.email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#bell")).to_be_visible()
    page.goto(live_server.url + "/notifications/preferences")
    quiet = page.get_by_label("Ne rien m'envoyer la nuit (heure de Dakar)")
    expect(quiet).to_be_checked()  # on by default, 22:00 to 07:00
    expect(page.locator("input[name=quiet_start]")).to_have_value("22:00")
    expect(page.locator("input[name=quiet_end]")).to_have_value("07:00")
    ticket_email = page.get_by_label(re.compile(r"^Mon ticket .* · E-mail$"))
    ticket_email.uncheck()
    page.screenshot(path=screenshots_dir / "preferences-phone.png", full_page=True)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Préférences enregistrées.")).to_be_visible()
    expect(ticket_email).not_to_be_checked()

    frozen.set(NIGHT)
    call_next_in(live_server, desk.counter2.id, desk.agent.id)  # A001: A002 is near
    page.goto(live_server.url + "/notifications")
    history = page.locator("#sent-history")
    near = history.locator("li", has_text="Votre tour approche")
    expect(near).to_contain_text("SMS")
    expect(near).to_contain_text("retenu jusqu'à 02/12/2026 07:00 (heures calmes)")
    expect(history).not_to_contain_text("awa@example.sn")  # no email: muted
    expect(page.locator("#bell .bell-count")).to_have_text("1")  # the bell: at once

    call_next_in(live_server, desk.counter.id, desk.agent2.id)  # A002: called
    page.reload()
    called = history.locator("li", has_text="C'est votre tour").filter(has_text="SMS")
    expect(called).to_contain_text("Envoyé")
    expect(called).not_to_contain_text("retenu")
    expect(page.locator("#bell .bell-count")).to_have_text("2")
    page.screenshot(
        path=screenshots_dir / "preferences-night-history.png", full_page=True
    )
    sent = list((tmp_path / "sms").iterdir())
    assert len(sent) == 1 and "votre tour" in sent[0].read_text()
