"""Device links in manage: a branch manager creates boards and kiosks, sees the link once,
and revokes it (who may do so is in test_manage_access.py)."""

import re

import pytest
from sqlalchemy import func, select

from smartqueue.models import Device, DeviceKind

LINK = re.compile(r'value="(http://localhost/(board|kiosk)/([\w-]+))"')


@pytest.fixture
def manager(client, auth, world):
    """Branch A1's manager, signed in; returns the world's ids."""
    users, ids = world
    auth.login(users["manager_a1"])
    return ids


def test_devices_page_lists_the_branch_devices(client, manager):
    response = client.get(f"/manage/branches/{manager['branch']}/devices")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Salle d&#39;attente" in page
    assert "Écran d’affichage" in page
    assert "Révoquer le lien" in page


def test_devices_create_board_shows_its_link_once(client, manager):
    url = f"/manage/branches/{manager['branch']}/devices"
    response = client.post(url, data={"kind": "board", "name": "Télé du hall"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    link, kind, token = LINK.search(response.get_data(as_text=True)).groups()
    assert kind == "board"
    assert client.get(link).status_code == 200  # the link opens the board, no login
    # Later visits list the device but never show its link again.
    page = client.get(url).get_data(as_text=True)
    assert "Télé du hall" in page
    assert token not in page


def test_devices_create_kiosk_link_opens_the_kiosk_screen(client, manager):
    response = client.post(
        f"/manage/branches/{manager['branch']}/devices",
        data={"kind": "kiosk", "name": "Borne entrée"},
    )
    assert response.status_code == 201
    link, kind, _token = LINK.search(response.get_data(as_text=True)).groups()
    assert kind == "kiosk"
    assert link.startswith("http://localhost/kiosk/")


@pytest.mark.parametrize(
    "data",
    [{"kind": "board", "name": "  "}, {"kind": "tv", "name": "Hall"}, {"name": "Hall"}],
)
def test_devices_create_refuses_bad_input_and_creates_nothing(
    client, db, manager, data
):
    before = db.session.scalar(select(func.count()).select_from(Device))
    response = client.post(f"/manage/branches/{manager['branch']}/devices", data=data)
    assert response.status_code == 422
    assert not LINK.search(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Device)) == before


def test_devices_revoke_stops_the_link_at_once(client, db, manager):
    url = f"/manage/branches/{manager['branch']}/devices"
    created = client.post(url, data={"kind": "board", "name": "Télé"})
    link, _kind, _token = LINK.search(created.get_data(as_text=True)).groups()
    device = db.session.scalar(select(Device).where(Device.name == "Télé"))

    response = client.post(f"/manage/devices/{device.id}/revoke")

    assert response.status_code == 302 and response.location.endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "révoqué" in page and f'id="device-{device.id}"' not in page
    assert client.get(link).status_code == 404
    db.session.refresh(device)
    assert device.revoked_at is not None and device.kind is DeviceKind.BOARD


def test_devices_revoke_of_another_branch_device_is_refused(
    client, auth, db, world, make_branch
):
    users, ids = world
    auth.login(users["manager_a2"])
    response = client.post(f"/manage/devices/{ids['device']}/revoke")
    assert response.status_code == 403
    assert db.session.get(Device, ids["device"]).is_active


def test_branch_page_links_to_its_devices(client, manager):
    page = client.get(f"/manage/branches/{manager['branch']}").get_data(as_text=True)
    assert f"/manage/branches/{manager['branch']}/devices" in page


def test_devices_revoke_of_a_missing_device_is_404(client, auth, world):
    users, _ids = world
    auth.login(users["platform"])
    assert client.post("/manage/devices/999999/revoke").status_code == 404
