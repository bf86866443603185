"""Where each kind of device opens: its board or kiosk screen, by its link token."""

from flask import url_for
from werkzeug.routing import BuildError

from ...models import DeviceKind

# The kiosk's and the board's screens live in their own blueprints.
SCREENS = {DeviceKind.BOARD: "board.show", DeviceKind.KIOSK: "kiosk.start"}


def device_link(kind: DeviceKind, token: str, external: bool = True) -> str:
    """The URL a device opens (full, to copy; or a path, to redirect the device itself)."""
    try:
        return url_for(SCREENS[kind], token=token, _external=external)
    except BuildError:  # that screen's blueprint is not registered in this app
        home = url_for("public.home", _external=external)
        return f"{home}{kind.value}/{token}"
