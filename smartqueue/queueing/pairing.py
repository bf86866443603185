"""Pairing a board or kiosk by a short code instead of a 43-character link.

The screen opens a short address and is given a secret S (kept in its cookie) and a code C
(shown large). A manager types or scans C in the manage area: the device is created with
the keyed hash of S as its link token's hash, so the screen, which already holds S, opens
its board or kiosk at /board/S or /kiosk/S. No token is ever stored in clear nor shown to
anyone; the code is good for one claim within PAIRING_MINUTES.
"""

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..accounts.secrets import keyed_hash, new_token
from ..errors import DomainError
from ..extensions import db
from ..models import (
    Branch,
    Device,
    DeviceKind,
    DevicePairing,
    Organization,
    User,
)
from ..orgs import policy
from ..work import begin_write
from .devices import add_device

PAIRING_MINUTES = 15
CODE_LENGTH = 6
# No 0/O, 1/I/L: read from across a room and typed on a phone, nothing is ambiguous.
# 31^6 is about 887 million codes for the few that are live at any moment.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_SEPARATORS = str.maketrans("", "", " -.\u00a0\u202f\t")


class PairingRefused(DomainError):
    field = "code"


def normalize_code(text: str | None) -> str:
    """'k7m 4qx', 'K7M-4QX' -> 'K7M4QX' (what people type from the screen)."""
    return (text or "").translate(_SEPARATORS).upper()


def format_code(code: str) -> str:
    """'K7M4QX' -> 'K7M 4QX': two groups of three, easier to read out and to type."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def start_pairing() -> tuple[DevicePairing, str]:
    """A screen asks to be paired: returns the pairing (its code) and the secret to keep."""
    begin_write(db.session)
    now = clock.now()
    # Expired requests are dropped here, on the way: no periodic job needed.
    db.session.execute(delete(DevicePairing).where(DevicePairing.expires_at <= now))
    for _attempt in range(5):
        secret = new_token()
        pairing = DevicePairing(
            code=_new_code(),
            secret_hash=keyed_hash(secret),
            created_at=now,
            expires_at=now + timedelta(minutes=PAIRING_MINUTES),
        )
        try:
            with db.session.begin_nested():
                db.session.add(pairing)
        except IntegrityError:  # that code is live on another screen: draw again
            continue
        db.session.commit()
        return pairing, secret
    raise RuntimeError("no free pairing code after 5 draws")  # 1 in 10^40: a bug


def get_waiting_pairing(secret: str | None) -> DevicePairing | None:
    """The live, unclaimed pairing request behind a screen's secret, if any."""
    if not secret or len(secret) > 100:
        return None
    return db.session.scalar(
        select(DevicePairing).where(
            DevicePairing.secret_hash == keyed_hash(secret),
            DevicePairing.claimed_at.is_(None),
            DevicePairing.expires_at > clock.now(),
        )
    )


def get_paired_device(secret: str | None) -> Device | None:
    """The active device whose link token is this secret (the screen was claimed)."""
    if not secret or len(secret) > 100:
        return None
    return db.session.scalar(
        select(Device).where(
            Device.token_hash == keyed_hash(secret), Device.is_active.is_(True)
        )
    )


def claim_pairing(
    branch: Branch, code: str, kind: DeviceKind, name: str, *, by: User
) -> Device:
    """A manager claims the screen showing `code` for a board or kiosk of `branch`."""
    code = normalize_code(code)
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET):
        raise PairingRefused(
            _l(
                "Ce code n'est pas valide : il a 6 lettres et chiffres, comme "
                "« K7M 4QX », et s'affiche sur l'écran de l'appareil."
            )
        )
    if not (name or "").strip():
        raise DomainError(_l("Donnez un nom à l'appareil."), field="name")
    begin_write(db.session)
    now = clock.now()
    pairing = db.session.scalar(select(DevicePairing).where(DevicePairing.code == code))
    if pairing is None:
        raise PairingRefused(
            _l(
                "Aucun appareil n'attend avec ce code. Vérifiez-le sur l'écran de "
                "l'appareil (il change toutes les 15 minutes)."
            )
        )
    if pairing.claimed_at is not None:
        raise PairingRefused(
            _l(
                "Ce code a déjà servi : l'appareil est déjà associé. Pour en associer "
                "un autre, ouvrez l'adresse d'association sur celui-ci."
            )
        )
    if pairing.expires_at <= now:
        raise PairingRefused(
            _l(
                "Ce code a expiré. L'appareil en affiche un nouveau : "
                "saisissez celui-là."
            )
        )
    # One claim wins, even at the same instant: the second UPDATE waits for the first
    # (PostgreSQL's row lock; SQLite's write lock) and then matches no row.
    won = db.session.execute(
        update(DevicePairing)
        .where(DevicePairing.id == pairing.id, DevicePairing.claimed_at.is_(None))
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        raise PairingRefused(
            _l("Ce code vient d'être utilisé : l'appareil est déjà associé.")
        )
    device = add_device(branch, kind, name, token_hash=pairing.secret_hash, by=by)
    db.session.flush()
    pairing.device_id = device.id
    db.session.commit()
    return device


def list_branches_to_pair(user: User) -> list[Branch]:
    """The branches where this user may pair a screen (every one, for a platform admin)."""
    if policy.can_manage_platform(user):
        return list(
            db.session.scalars(
                select(Branch)
                .join(Branch.organization)
                .options(joinedload(Branch.organization))
                .order_by(Organization.name, Branch.name)
            )
        )
    branches = {b.id: b for b in policy.managed_branches(user)}
    return sorted(branches.values(), key=lambda b: (b.organization.name, b.name))
