"""Display boards and kiosks: devices of a branch authorized by a secret link, not a login."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from .. import clock
from ..accounts.secrets import keyed_hash, new_token
from ..errors import DomainError
from ..extensions import db
from ..models import Branch, Device, DeviceKind, User

WRITE_EVERY = timedelta(seconds=30)


def create_device(
    branch: Branch, kind: DeviceKind, name: str, *, by: User
) -> tuple[Device, str]:
    """Register a board or kiosk; returns it with the secret token of its link (shown once)."""
    token = new_token()
    device = add_device(branch, kind, name, token_hash=keyed_hash(token), by=by)
    db.session.commit()
    return device, token


def add_device(
    branch: Branch, kind: DeviceKind, name: str, *, token_hash: str, by: User | None
) -> Device:
    """The new device, added to the unit of work of its caller (which commits)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Donnez un nom à l'appareil."), field="name")
    device = Device(
        branch_id=branch.id,
        kind=kind,
        name=name[:60],
        token_hash=token_hash,
        created_by_id=by.id if by else None,
    )
    db.session.add(device)
    return device


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


def record_contact(token: str, sound: str | None = None) -> bool:
    """A board or kiosk reports in (`sound`: "on", "blocked" or None for no news).
    False for an unknown or revoked link. The time is written at most every
    WRITE_EVERY (a screen reports every minute; a branch may have dozens); a change of
    sound is written at once."""
    if not token or len(token) > 100:
        return False
    found = db.session.execute(
        select(Device.id, Device.last_seen_at, Device.sound_blocked_at).where(
            Device.token_hash == keyed_hash(token), Device.is_active.is_(True)
        )
    ).first()
    if found is None:
        return False
    now = clock.now()
    changes = {}
    if sound == "blocked" and found.sound_blocked_at is None:
        changes["sound_blocked_at"] = now
    elif sound == "on" and found.sound_blocked_at is not None:
        changes["sound_blocked_at"] = None
    if changes or found.last_seen_at is None or now - found.last_seen_at >= WRITE_EVERY:
        changes["last_seen_at"] = now
        db.session.execute(
            update(Device).where(Device.id == found.id).values(**changes)
        )
        db.session.commit()
    return True


def list_devices(branch_id: int) -> list[Device]:
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.branch_id == branch_id, Device.is_active.is_(True))
            .order_by(Device.kind, Device.name)
        )
    )
