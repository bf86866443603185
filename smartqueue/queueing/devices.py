"""Display boards and kiosks: devices of a branch authorized by a secret link, not a login."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..accounts.secrets import keyed_hash, new_token
from ..errors import DomainError
from ..extensions import db
from ..models import Branch, Device, DeviceKind, User


def create_device(
    branch: Branch, kind: DeviceKind, name: str, *, by: User
) -> tuple[Device, str]:
    """Register a board or kiosk; returns it with the secret token of its link (shown once)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Donnez un nom à l'appareil."), field="name")
    token = new_token()
    device = Device(
        branch_id=branch.id,
        kind=kind,
        name=name[:60],
        token_hash=keyed_hash(token),
        created_by_id=by.id if by else None,
    )
    db.session.add(device)
    db.session.commit()
    return device, token


def revoke_device(device: Device, *, by: User) -> None:
    """The link stops working at once (open screens are refused at their next connection)."""
    device.revoked_at = clock.now()
    device.is_active = False
    db.session.commit()


def find_device(token: str, kind: DeviceKind) -> Device | None:
    """The active device of this kind behind a link token, or None."""
    if not token or len(token) > 100:
        return None
    device = db.session.scalar(
        select(Device).where(Device.token_hash == keyed_hash(token))
    )
    if device is None or not device.is_active or device.kind is not kind:
        return None
    return device


def list_devices(branch_id: int) -> list[Device]:
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.branch_id == branch_id, Device.is_active.is_(True))
            .order_by(Device.kind, Device.name)
        )
    )
