"""Writes of the geo domain: seeding the Senegal reference data."""

from sqlalchemy import select

from ..extensions import db
from ..models import Commune, Department, Region
from .reference import REGIONS


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
