"""Writes of the geo domain: seeding the Senegal reference data, and the regions'
weather factors (the rainy season slows every trip)."""

import math

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import DomainError
from ..extensions import db
from ..models import Commune, Department, Region, User
from ..work import begin_write, unit_of_work
from .reference import REGIONS

# A flooded Dakar doubles trips at worst; 3 leaves room and catches a typo such as 13.
WEATHER_FACTORS = (1.0, 3.0)


class InvalidWeather(DomainError):
    pass


@unit_of_work
def set_weather_factors(factors: dict[int, float], *, by: User) -> int:
    """Set regions' weather factors (region id -> factor), all or none; returns how
    many changed. 1.0 is dry weather; every trip to a branch of the region is
    multiplied by its factor (smartqueue/travel). `by` is a platform admin (the manage
    area checks it)."""
    low, high = WEATHER_FACTORS
    for factor in factors.values():
        if not (isinstance(factor, float) and math.isfinite(factor)):
            raise InvalidWeather(_l("Un facteur météo est un nombre, par exemple 1,3."))
        if not low <= factor <= high:
            raise InvalidWeather(
                _l(
                    "Un facteur météo va de %(low)s (temps sec) à %(high)s.",
                    low="1,0",
                    high="3,0",
                )
            )
    begin_write(db.session)
    regions = {
        r.id: r
        for r in db.session.scalars(select(Region).where(Region.id.in_(factors)))
    }
    if len(regions) != len(factors):
        raise InvalidWeather(_l("Cette région n'existe pas."))
    changed = 0
    for region_id, factor in factors.items():
        if regions[region_id].weather_factor != factor:
            regions[region_id].weather_factor = factor
            changed += 1
    db.session.commit()
    return changed


def _set(obj, **values) -> None:
    """Assign only the attributes whose value differs (no needless UPDATE)."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def seed_reference() -> dict:
    """Upsert regions, departments and communes from REGIONS idempotently; commit once; return counts."""
    regions_by_code = {r.code: r for r in db.session.scalars(select(Region))}
    regions_by_name = {r.name: r for r in regions_by_code.values()}
    departments = {
        (d.region_id, d.name): d for d in db.session.scalars(select(Department))
    }
    communes = {
        (c.department_id, c.name): c for c in db.session.scalars(select(Commune))
    }
    counts = {"regions": 0, "departments": 0, "communes": 0}

    with db.session.no_autoflush:
        for r in REGIONS:
            # By code; by name as a fallback so a renamed code cannot hit the unique name.
            region = regions_by_code.get(r["code"]) or regions_by_name.get(r["name"])
            if region is None:
                region = Region(
                    code=r["code"],
                    name=r["name"],
                    latitude=r["lat"],
                    longitude=r["lon"],
                )
                db.session.add(region)
            else:
                _set(
                    region,
                    code=r["code"],
                    name=r["name"],
                    latitude=r["lat"],
                    longitude=r["lon"],
                )
            counts["regions"] += 1

            for d in r["departments"]:
                department = (
                    departments.get((region.id, d["name"])) if region.id else None
                )
                if department is None:
                    department = Department(
                        region=region,
                        name=d["name"],
                        latitude=d["lat"],
                        longitude=d["lon"],
                    )
                    db.session.add(department)
                else:
                    _set(department, latitude=d["lat"], longitude=d["lon"])
                counts["departments"] += 1

                for c in d["communes"]:
                    commune = (
                        communes.get((department.id, c["name"]))
                        if department.id
                        else None
                    )
                    if commune is None:
                        db.session.add(
                            Commune(
                                department=department,
                                name=c["name"],
                                latitude=c["lat"],
                                longitude=c["lon"],
                                traffic_factor=c["traffic_factor"],
                            )
                        )
                    else:
                        _set(
                            commune,
                            latitude=c["lat"],
                            longitude=c["lon"],
                            traffic_factor=c["traffic_factor"],
                        )
                    counts["communes"] += 1

    db.session.commit()
    return counts
