"""Branches: create or edit one (its place in Senegal's regions, departments and
communes, its SMS code), its weekly hours and its closed days. Hours and closures are
announced at once: boards show open or closed, kiosks wake up."""

import re
import unicodedata
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from ... import clock, events
from ...accounts.phones import normalize_phone
from ...extensions import db
from ...models import (
    Branch,
    BranchClosure,
    Commune,
    Department,
    OpeningHours,
    Organization,
    Region,
    User,
)
from .. import holidays
from ..errors import InvalidHours, InvalidLocation, NameTaken, OrgError
from .unique import commit_unique

# What a customer types after TICKET ("TICKET PLATEAU A"): letters and digits only, so
# that an SMS parser that ignores case, accents and punctuation reads it back whole.
SMS_CODE = re.compile(r"[A-Z0-9]{2,12}")
# Dropped from what a manager types: "Grand-Yoff" is GRANDYOFF, "Parcelles Assainies"
# PARCELLESASSAINIES (too long: the manager picks a shorter one).
SMS_CODE_GAPS = re.compile(r"[\s\-'’._]+")
NAME_TAKEN = _l("Cette organisation a déjà une agence de ce nom.")
SMS_CODE_TAKEN = _l("Ce code SMS est déjà pris par une autre agence.")


def normalize_sms_code(text: str | None) -> str | None:
    """A typed SMS code as it is stored: upper case, no accents, spaces or hyphens
    ("Médina" -> "MEDINA"); None when empty. Not checked (see _check_sms_code)."""
    bare = "".join(
        c
        for c in unicodedata.normalize("NFKD", text or "")
        if not unicodedata.combining(c)
    )
    return SMS_CODE_GAPS.sub("", bare).upper() or None


def _check_sms_code(code: str | None) -> None:
    if code is not None and not SMS_CODE.fullmatch(code):
        raise OrgError(
            _l("Le code SMS : 2 à 12 lettres ou chiffres, sans autre signe."),
            field="sms_code",
        )


def _sms_code_taken(code: str, other_than: int | None) -> bool:
    query = select(Branch.id).where(Branch.sms_code == code)
    if other_than is not None:
        query = query.where(Branch.id != other_than)
    return db.session.scalar(query.limit(1)) is not None


def _commit_branch(branch: Branch) -> None:
    """Commit a branch's details; a unique violation says which it was. The SMS code is
    unique on the whole platform (its SMS number is one), the name per organization."""
    # From the identity, not branch.id: reading an expired attribute would flush first.
    identity = inspect(branch).identity
    branch_id, code = (identity[0] if identity else None), branch.sms_code
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if code is not None and _sms_code_taken(code, other_than=branch_id):
            raise NameTaken(SMS_CODE_TAKEN, field="sms_code") from None
        raise NameTaken(NAME_TAKEN) from None


def _check_location(region_id: int, department_id: int, commune_id: int | None) -> None:
    department = db.session.get(Department, department_id)
    if (
        db.session.get(Region, region_id) is None
        or department is None
        or department.region_id != region_id
    ):
        raise InvalidLocation(
            _l("Ce département n'est pas dans cette région."), field="department_id"
        )
    if commune_id is not None:
        commune = db.session.get(Commune, commune_id)
        if commune is None or commune.department_id != department_id:
            raise InvalidLocation(
                _l("Cette commune n'est pas dans ce département."), field="commune_id"
            )


def _apply_branch(branch: Branch, data: dict) -> None:
    """Validate everything first, then change the branch: a refusal leaves it untouched."""
    _check_location(data["region_id"], data["department_id"], data.get("commune_id"))
    phone = normalize_phone(data.get("phone"))
    # Callers that do not name the SMS code leave it as it is.
    sms_code = normalize_sms_code(data.get("sms_code"))
    _check_sms_code(sms_code)
    branch.name = data["name"].strip()
    branch.address = data["address"].strip()
    branch.region_id = data["region_id"]
    branch.department_id = data["department_id"]
    branch.commune_id = data.get("commune_id")
    branch.latitude = data.get("latitude")
    branch.longitude = data.get("longitude")
    branch.phone = phone
    if "sms_code" in data:
        branch.sms_code = sms_code
    if branch.latitude is None and branch.commune_id:
        # Without a precise position, the commune's centre is a fair start for travel times.
        commune = db.session.get(Commune, branch.commune_id)
        branch.latitude, branch.longitude = commune.latitude, commune.longitude


def create_branch(org: Organization, **data) -> Branch:
    """Open a branch with the usual hours (Mon-Fri 8:00-17:00) and this year's and
    next year's public holidays."""
    branch = Branch(organization_id=org.id)
    # Nothing is written before the commit: a name or code already taken is then one
    # IntegrityError there, not one raised by a read's autoflush along the way.
    with db.session.no_autoflush:
        _apply_branch(branch, data)
        for weekday in range(5):
            branch.opening_hours.append(
                OpeningHours(weekday=weekday, opens_at=time(8), closes_at=time(17))
            )
        db.session.add(branch)
        for year in holidays.prefill_years(clock.today()):
            holidays.add_public_holidays(branch, year)
    _commit_branch(branch)
    return branch


def update_branch(branch: Branch, **data) -> None:
    """Edit a branch's details, place and SMS code."""
    with db.session.no_autoflush:  # see create_branch
        _apply_branch(branch, data)
    _commit_branch(branch)


def set_opening_hours(
    branch: Branch, hours: dict[int, tuple[time, time] | None]
) -> None:
    """Replace the week's hours: weekday -> (opens, closes), or None for closed.

    Closing before opening closes the next morning (20:00-02:00); 00:00-00:00 is
    "24 h/24" (models.OpeningHours)."""
    for weekday, span in hours.items():
        if span is not None and span[0] == span[1] and span[0] != time(0):
            raise InvalidHours(
                _l(
                    "L'heure de fermeture doit différer de l'heure d'ouverture "
                    "(00:00 à 00:00 : ouverte 24 h/24)."
                ),
                field=f"day_{weekday}",
            )
    branch.opening_hours.clear()
    db.session.flush()
    for weekday, span in sorted(hours.items()):
        if span is not None:
            branch.opening_hours.append(
                OpeningHours(weekday=weekday, opens_at=span[0], closes_at=span[1])
            )
    db.session.commit()
    _hours_changed(branch.id)


def add_closure(branch: Branch, day: date, reason: str | None = None) -> BranchClosure:
    """Close a branch on a date (holiday, Tabaski...)."""
    if day < clock.today():
        raise InvalidHours(_l("Cette date est déjà passée."), field="date")
    closure = BranchClosure(
        branch=branch, date=day, reason=(reason or "").strip() or None
    )
    db.session.add(closure)
    commit_unique(InvalidHours(_l("Cette date est déjà fermée."), field="date"))
    _hours_changed(branch.id)
    return closure


def remove_closure(closure: BranchClosure, *, by: User | None = None) -> None:
    """Reopen a closed day; a public holiday's stays dismissed (no pre-fill brings it back)."""
    holidays.dismiss_closure_holidays(closure, by)
    branch_id = closure.branch_id
    db.session.delete(closure)
    db.session.commit()
    _hours_changed(branch_id)


def _hours_changed(branch_id: int) -> None:
    events.announce(events.hours_changed, branch_id=branch_id)
