"""Pairing a screen from the web: the screen's /pair page, the manager's form and its QR
link, who may claim, and the reports boards and kiosks send (last contact, sound)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from smartqueue import create_app
from smartqueue.accounts.secrets import keyed_hash
from smartqueue.models import Branch, Device, DeviceKind, DevicePairing
from smartqueue.queueing import pairing
from smartqueue.queueing.devices import create_device, record_contact, revoke_device
from smartqueue.web.qr import qr_svg
from tests.conftest import PASSWORD, AuthActions

CODE = re.compile(r'id="pair-code">([2-9A-Z]{3} [2-9A-Z]{3})<')


def _screen_code(client) -> str:
    """Open /pair as a screen does; the code it shows, without its space."""
    response = client.get("/pair")
    assert response.status_code == 200
    return CODE.search(response.get_data(as_text=True)).group(1).replace(" ", "")


def _secret(client) -> str:
    return client.get_cookie("sq_pairing", path="/pair").value


def _devices(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Device))


@pytest.fixture
def manager(client, auth, world):
    """Branch A1's manager, signed in; returns the world's ids."""
    users, ids = world
    auth.login(users["manager_a1"])
    return ids


# --- the screen -------------------------------------------------------------------------


def test_pair_page_shows_a_code_and_qr_and_keeps_them_across_reloads(client, db):
    response = client.get("/pair")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    # No script needed: it reloads itself, saying it is a reload.
    assert '<meta http-equiv="refresh" content="3; url=/pair?again=1">' in page
    assert "<svg" in page and 'class="pair-qr-code"' in page
    cookie = client.get_cookie("sq_pairing", path="/pair")
    assert cookie.http_only and cookie.same_site == "Lax" and len(cookie.value) == 43
    code = CODE.search(page).group(1).replace(" ", "")
    stored = db.session.scalar(select(DevicePairing))
    assert (stored.code, stored.secret_hash) == (code, keyed_hash(cookie.value))
    assert cookie.value not in page  # the secret stays in the cookie

    assert _screen_code(client) == code  # the refresh shows the same code
    assert db.session.scalar(select(func.count()).select_from(DevicePairing)) == 1
    short = client.get("/p")
    assert short.status_code == 302 and short.location.endswith("/pair")


def test_pair_page_qr_code_leads_to_the_manage_form_with_the_code(client, app):
    page = client.get("/pair").get_data(as_text=True)
    code = CODE.search(page).group(1).replace(" ", "")
    with app.test_request_context():
        expected = qr_svg(
            f"http://localhost/manage/devices/pair?code={code}", "pair-qr-code"
        )
    assert str(expected) in page


@pytest.mark.parametrize("kind,screen", [("board", "/board/"), ("kiosk", "/kiosk/")])
def test_pair_page_once_claimed_opens_the_screen_by_itself(
    client, db, world, kind, screen
):
    users, ids = world
    code = _screen_code(client)
    secret = _secret(client)
    pairing.claim_pairing(
        db.session.get(Branch, ids["branch"]),
        code,
        DeviceKind(kind),
        "Écran",
        by=users["manager_a1"],
    )

    response = client.get("/pair")

    assert response.status_code == 303
    assert response.location == screen + secret
    assert client.get_cookie("sq_pairing", path="/pair") is None
    assert client.get(response.location).status_code == 200


def test_pair_page_after_its_code_expired_shows_a_new_one(client, db, frozen):
    first = _screen_code(client)
    frozen.tick(minutes=pairing.PAIRING_MINUTES, seconds=1)
    second = _screen_code(client)
    assert second != first
    assert db.session.scalars(select(DevicePairing.code)).all() == [second]


def test_pair_page_of_a_revoked_screen_asks_for_a_new_code(client, db, world):
    users, ids = world
    code, secret = _screen_code(client), _secret(client)
    device = pairing.claim_pairing(
        db.session.get(Branch, ids["branch"]),
        code,
        DeviceKind.BOARD,
        "Écran",
        by=users["manager_a1"],
    )
    revoke_device(device, by=users["manager_a1"])
    assert _screen_code(client) != code and _secret(client) != secret


def test_pair_page_reloaded_without_its_cookie_stops_drawing_codes(client, db):
    response = client.get("/pair?again=1")  # the browser dropped the cookie
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "refuse les cookies" in page
    assert 'http-equiv="refresh"' not in page
    assert db.session.scalar(select(func.count()).select_from(DevicePairing)) == 0
    assert client.get_cookie("sq_pairing", path="/pair") is None


def test_pair_page_limits_new_codes_per_address_not_reloads(app_config, db):
    limited = create_app(dict(app_config, RATELIMIT_ENABLED=True))
    screen = limited.test_client()
    screen.get("/pair")  # one screen waiting: its reloads never count
    codes = [limited.test_client().get("/pair").status_code for _ in range(40)]
    assert codes.count(200) == 39 and codes[-1] == 429
    refused = limited.test_client().get("/pair")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Trop de codes demandés" in page
    assert '<meta http-equiv="refresh" content="60">' in page
    assert screen.get("/pair").status_code == 200  # the waiting screen goes on


# --- the manager -----------------------------------------------------------------------


def test_claim_with_the_code_typed_loosely_pairs_the_screen(client, db, manager):
    screen = client.application.test_client()
    code = _screen_code(screen)
    typed = f" {code[:3].lower()} {code[3:].lower()} "

    response = client.post(
        f"/manage/branches/{manager['branch']}/devices/pair",
        data={"pair-code": typed, "pair-kind": "board", "pair-name": "Télé du hall"},
    )

    assert response.status_code == 303
    assert response.location.endswith(f"/manage/branches/{manager['branch']}/devices")
    page = client.get(response.location).get_data(as_text=True)
    assert "« Télé du hall » est associé" in page and "Jamais connecté" in page
    assert screen.get("/pair").location.startswith("/board/")


@pytest.mark.parametrize(
    "typed,message",
    [
        ("222 222", "Aucun appareil n&#39;attend avec ce code"),
        ("12", "Ce code n&#39;est pas valide"),
        ("", "Ce champ est obligatoire"),
    ],
)
def test_claim_with_a_bad_code_says_why_and_creates_nothing(
    client, db, manager, typed, message
):
    before = _devices(db)
    response = client.post(
        f"/manage/branches/{manager['branch']}/devices/pair",
        data={"pair-code": typed, "pair-kind": "board", "pair-name": "Télé"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="pair-code-error"' in page
    assert _devices(db) == before


def test_claim_of_an_expired_then_used_code_says_so(client, db, manager, frozen):
    url = f"/manage/branches/{manager['branch']}/devices/pair"
    screen = client.application.test_client()
    old = _screen_code(screen)
    frozen.tick(minutes=16)
    data = {"pair-code": old, "pair-kind": "kiosk", "pair-name": "Borne"}
    assert "Ce code a expiré" in client.post(url, data=data).get_data(as_text=True)

    data["pair-code"] = _screen_code(screen)
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data)
    assert again.status_code == 422 and "Ce code a déjà servi" in again.get_data(
        as_text=True
    )


def test_claim_wrong_codes_are_limited_per_manager(app_config, world, db):
    users, ids = world
    limited = create_app(dict(app_config, RATELIMIT_ENABLED=True))
    client = limited.test_client()
    AuthActions(client).login(users["manager_a1"])
    url = f"/manage/branches/{ids['branch']}/devices/pair"
    wrong = {"pair-code": "222222", "pair-kind": "board", "pair-name": "Télé"}
    codes = [client.post(url, data=wrong).status_code for _ in range(11)]
    assert codes == [422] * 10 + [429]


def test_qr_link_opens_the_form_with_the_code_for_a_one_branch_manager(client, manager):
    response = client.get("/manage/devices/pair?code=k7m4qx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="K7M 4QX"' in page
    assert f'action="/manage/branches/{manager["branch"]}/devices/pair"' in page


def test_qr_link_asks_which_branch_to_an_org_admin(client, auth, world):
    users, ids = world
    auth.login(users["admin_a"])
    page = client.get("/manage/devices/pair?code=K7M4QX").get_data(as_text=True)
    links = re.findall(
        r'href="/manage/branches/(\d+)/devices\?code=K7M4QX#pair-form"', page
    )
    assert len(links) == 2 and str(ids["branch"]) in links
    form = client.get(f"/manage/branches/{ids['branch']}/devices?code=K7M4QX")
    assert 'value="K7M 4QX"' in form.get_data(as_text=True)


def test_qr_link_sends_a_signed_out_manager_to_sign_in_and_back(client, auth, world):
    users, _ids = world
    response = client.get("/manage/devices/pair?code=K7M4QX")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert "code%3DK7M4QX" in response.location  # kept in next=
    signed_in = client.post(
        response.location,
        data={"email": users["manager_a1"].email, "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    assert signed_in.location.endswith("/manage/devices/pair?code=K7M4QX")


def test_qr_link_is_refused_to_agents_and_customers(client, auth, world):
    users, _ids = world
    for role in ("agent_a1", "customer"):
        auth.login(users[role])
        assert client.get("/manage/devices/pair?code=K7M4QX").status_code == 403
        auth.logout()


# --- reports and last contact ----------------------------------------------------------


def test_report_records_contact_and_sound_and_refuses_a_revoked_link(
    client, db, world, frozen
):
    users, ids = world
    branch = db.session.get(Branch, ids["branch"])
    board, token = create_device(branch, DeviceKind.BOARD, "Télé", by=None)
    kiosk, kiosk_token = create_device(branch, DeviceKind.KIOSK, "Borne", by=None)

    assert (
        client.post(f"/devices/{token}/report", data={"sound": "blocked"}).status_code
        == 204
    )
    assert client.post(f"/devices/{kiosk_token}/report").status_code == 204
    assert (
        client.post(f"/devices/{token}/report", data={"sound": "loud"}).status_code
        == 204
    )
    db.session.expire_all()
    assert board.last_seen_at == frozen.now and board.sound_blocked_at == frozen.now
    assert kiosk.last_seen_at == frozen.now and kiosk.sound_blocked_at is None

    revoke_device(board, by=None)
    assert (
        client.post(f"/devices/{token}/report", data={"sound": "on"}).status_code == 404
    )
    assert client.post("/devices/nope/report").status_code == 404
    db.session.expire_all()
    assert board.sound_blocked_at == frozen.now  # nothing written for a revoked link


def test_devices_list_shows_online_offline_never_and_blocked_sound(
    client, db, manager, frozen
):
    branch = db.session.get(Branch, manager["branch"])
    made = {
        name: create_device(branch, kind, name, by=None)
        for name, kind in [
            ("Télé hall", DeviceKind.BOARD),
            ("Télé étage", DeviceKind.BOARD),
            ("Borne entrée", DeviceKind.KIOSK),
            ("Borne neuve", DeviceKind.KIOSK),
        ]
    }
    start = frozen.now  # 10:00
    record_contact(made["Borne entrée"][1])
    frozen.tick(minutes=30)
    record_contact(made["Télé étage"][1])
    frozen.tick(hours=1, minutes=41)  # 12:11
    record_contact(made["Télé hall"][1], "blocked")
    frozen.tick(minutes=1)

    page = client.get(f"/manage/branches/{manager['branch']}/devices").get_data(
        as_text=True
    )

    def contact(name):
        device = made[name][0]
        match = re.search(rf'id="device-{device.id}".*?Créé le', page, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))

    assert "En ligne" in contact("Télé hall")
    assert "Son bloqué depuis 12:11" in contact("Télé hall")
    assert "--autoplay-policy=no-user-gesture-required" in contact("Télé hall")
    assert "Hors ligne depuis 10:30 (il y a 1 h)" in contact("Télé étage")
    assert "Hors ligne depuis 10:00 (il y a 2 h)" in contact("Borne entrée")
    assert "Jamais connecté" in contact("Borne neuve")
    assert "Son bloqué" not in contact("Télé étage")
    assert start + timedelta(hours=2, minutes=12) == frozen.now
