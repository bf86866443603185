"""Reads of the geo domain: regions, departments, communes."""

import unicodedata

from sqlalchemy import select

from ..extensions import db
from ..models import Commune, Department, Region


def _name_key(obj) -> str:
    """Accent- and case-insensitive sort key, so that "Kédougou" sorts among the K on any database."""
    folded = unicodedata.normalize("NFKD", obj.name).encode("ascii", "ignore").decode()
    return folded.casefold()


def list_regions() -> list[Region]:
    """All regions, by name."""
    return sorted(
        db.session.scalars(select(Region).order_by(Region.name)), key=_name_key
    )


def list_departments(region_id: int) -> list[Department]:
    """The departments of a region, by name."""
    stmt = (
        select(Department)
        .where(Department.region_id == region_id)
        .order_by(Department.name)
    )
    return sorted(db.session.scalars(stmt), key=_name_key)


def list_communes(
    region_id: int | None = None, department_id: int | None = None
) -> list[Commune]:
    """Communes by name, optionally of one department and/or of one region (through its departments)."""
    stmt = select(Commune).order_by(Commune.name)
    if department_id is not None:
        stmt = stmt.where(Commune.department_id == department_id)
    if region_id is not None:
        stmt = stmt.join(Department, Commune.department_id == Department.id).where(
            Department.region_id == region_id
        )
    return sorted(db.session.scalars(stmt), key=_name_key)
