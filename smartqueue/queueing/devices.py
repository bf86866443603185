"""Display boards and kiosks: devices of a branch authorized by a secret link, not a login."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

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


_device = Device.__table__
_DEVICE_BRANCH = select(_device.c.branch_id).where(
    _device.c.token_hash == bindparam("token_hash"),
    _device.c.kind == bindparam("kind"),
    _device.c.is_active.is_(True),
)


def device_branch_id(token: str, kind: DeviceKind) -> int | None:
    """The branch of the active device of this kind behind a link token, or None: what a
    kiosk or board checks on every request, one prepared Core statement (no ORM object)."""
    if not token or len(token) > 100:
        return None
    return (
        db.session.connection()
        .execute(_DEVICE_BRANCH, {"token_hash": keyed_hash(token), "kind": kind})
        .scalar()
    )


def list_devices(branch_id: int) -> list[Device]:
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.branch_id == branch_id, Device.is_active.is_(True))
            .order_by(Device.kind, Device.name)
        )
    )
