"""A TV is paired by the code it shows: the TV opens the short address, a manager in
another browser types the code, the TV lands on its board by itself and its board.js
reports in; the manager's list then says which screens are online, offline, never seen,
or have their sound blocked."""

import re
import time
from datetime import timedelta

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from smartqueue.accounts.secrets import keyed_hash
from smartqueue.extensions import db
from smartqueue.models import Device, DeviceKind
from smartqueue.queueing.devices import create_device, record_contact
from tests.conftest import PASSWORD, TUESDAY_10H, at

TV_HD = {"width": 1280, "height": 720}
TV_FULL_HD = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1366, "height": 768}


def _context(browser: Browser, viewport: dict):
    return browser.new_context(
        viewport=viewport, locale="fr-SN", timezone_id="Africa/Dakar"
    )


def test_tv_is_paired_by_its_code_and_opens_its_board_by_itself(
    browser: Browser,
    live_server,
    frozen,
    make_branch,
    make_service,
    make_user,
    screenshots_dir,
):
    branch = make_branch(name="Agence Plateau")
    make_service(branch, "A", "Ouverture de compte")
    make_user(email="fatou@example.sn", role="branch_manager", branch=branch)
    # Other screens of the branch: a kiosk last seen at 08:05, one never switched on.
    kiosk, kiosk_token = create_device(
        branch, DeviceKind.KIOSK, "Borne entrée", by=None
    )
    create_device(branch, DeviceKind.KIOSK, "Borne neuve", by=None)
    frozen.set(at(1, 8, 5))
    record_contact(kiosk_token)
    frozen.set(TUESDAY_10H)

    tv_context, manager_context = (
        _context(browser, TV_HD),
        _context(browser, DESKTOP),
    )
    try:
        tv = tv_context.new_page()
        tv.goto(live_server.url + "/p")  # what is typed with a TV remote
        expect(tv).to_have_url(re.compile(r"/pair$"))
        code = tv.locator("#pair-code")
        expect(code).to_have_text(re.compile(r"^[2-9A-Z]{3} [2-9A-Z]{3}$"))
        shown = code.inner_text()
        expect(tv.locator("#pair-qr svg")).to_be_visible()
        expect(tv.locator("#pair-expiry")).to_contain_text("Valable jusqu’à 10:15")
        _assert_fits(tv, TV_HD)
        tv.screenshot(path=screenshots_dir / "tv-1280x720-pairing.png")
        tv.set_viewport_size(TV_FULL_HD)
        _assert_fits(tv, TV_FULL_HD)
        tv.screenshot(path=screenshots_dir / "tv-1920x1080-pairing.png")
        tv.set_viewport_size(TV_HD)

        manager = manager_context.new_page()
        manager.goto(
            f"{live_server.url}/auth/login?next=/manage/branches/{branch.id}/devices"
        )
        manager.get_by_label("Adresse e-mail").fill("fatou@example.sn")
        manager.get_by_label("Mot de passe").fill(PASSWORD)
        manager.get_by_role("button", name="Se connecter").click()
        expect(manager.get_by_role("heading", level=1)).to_have_text("Écrans et bornes")
        form = manager.locator("#pair-form")
        form.get_by_label("Code affiché sur l’appareil").fill(shown.lower())
        form.get_by_label("Type").select_option(label="Écran d’affichage")
        form.get_by_label("Nom").fill("Télé du hall")
        form.get_by_role("button", name="Associer").click()
        expect(manager.locator(".flash-success")).to_contain_text(
            "« Télé du hall » est associé"
        )

        # Nobody touches the TV: its next reload lands on its board.
        expect(tv).to_have_url(re.compile(r"/board/[\w-]{43}$"), timeout=15_000)
        expect(tv.locator(".board-branch")).to_have_text("Agence Plateau")
        secret = tv.url.rsplit("/", 1)[1]
        # board.js reports in by itself two seconds after load: the TV is online.
        assert _wait_for_contact(live_server, secret) == TUESDAY_10H
        tv.close()  # no more reports from it: the next ones are the test's

        # A minute later its sound is reported blocked (what board.js sends).
        frozen.set(TUESDAY_10H + timedelta(minutes=1))
        for sound in ("on", "blocked"):
            report = manager.request.post(
                f"{live_server.url}/devices/{secret}/report", form={"sound": sound}
            )
            assert report.status == 204
        frozen.set(TUESDAY_10H + timedelta(minutes=2))
        manager.reload()
        board_row = manager.locator("#device-list li", has_text="Télé du hall")
        expect(board_row).to_contain_text("En ligne")
        expect(board_row.locator(".badge.warn")).to_have_text("Son bloqué depuis 10:01")
        expect(
            manager.locator("#device-list li", has_text="Borne entrée")
        ).to_contain_text("Hors ligne depuis 08:05 (il y a 1 h)")
        expect(
            manager.locator("#device-list li", has_text="Borne neuve")
        ).to_contain_text("Jamais connecté")
        manager.screenshot(
            path=screenshots_dir / "desktop-1366x768-devices.png", full_page=True
        )
    finally:
        tv_context.close()
        manager_context.close()


def _wait_for_contact(server, secret: str):
    """The device's first recorded contact (polled: the report is the board's own)."""
    deadline = time.monotonic() + 15
    with server.app_context():
        while time.monotonic() < deadline:
            seen = db.session.scalar(
                select(Device.last_seen_at).where(
                    Device.token_hash == keyed_hash(secret)
                )
            )
            db.session.rollback()
            if seen is not None:
                return seen
            time.sleep(0.05)
    raise AssertionError("the board never reported in")


def _assert_fits(page, viewport: dict) -> None:
    """The code and the QR code are whole on the screen, nothing to scroll."""
    for selector in ("#pair-code", "#pair-qr svg", "#pair-expiry"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, selector
        assert box["x"] + box["width"] <= viewport["width"], selector
        assert box["y"] + box["height"] <= viewport["height"], selector
