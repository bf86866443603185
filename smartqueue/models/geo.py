"""Senegal reference data: regions, departments, communes."""

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Region(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    # The rainy season's slowdown, applied to every trip to a branch of the region
    # (smartqueue/travel: at least 1.0); set by the platform admin.
    weather_factor: Mapped[float] = mapped_column(Float, default=1.0)

    departments: Mapped[list["Department"]] = relationship(
        back_populates="region", order_by="Department.name"
    )

    def __str__(self) -> str:
        return self.name


class Department(db.Model):
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    region: Mapped[Region] = relationship(back_populates="departments")
    communes: Mapped[list["Commune"]] = relationship(
        back_populates="department", order_by="Commune.name"
    )

    def __str__(self) -> str:
        return self.name


class Commune(db.Model):
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    # Local traffic factor (docs/DOMAIN.md, Senegal): Plateau 2.5 ... 1.0 unless known.
    traffic_factor: Mapped[float] = mapped_column(Float, default=1.0)

    department: Mapped[Department] = relationship(back_populates="communes")

    def __str__(self) -> str:
        return self.name
