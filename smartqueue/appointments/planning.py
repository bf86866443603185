"""Writes of a service's booking setup: weekly slot templates and booking settings."""

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import AppointmentSettings, Service, SlotTemplate
from ..work import unit_of_work
from . import queries
from .errors import InvalidTemplate
from .slots import SlotSpec, overlapping, spec_problem

TEMPLATE_MESSAGES = {
    "weekday": ("weekday", _l("Choisissez un jour de la semaine.")),
    "length": ("slot_minutes", _l("Un créneau dure de 15 à 120 minutes.")),
    "capacity": ("capacity", _l("Un créneau accueille de 1 à 10 personnes.")),
    "order": ("end_time", _l("L'heure de fin doit suivre l'heure de début.")),
    "short": ("end_time", _l("La plage est plus courte qu'un créneau.")),
    "hours": (
        "start_time",
        _l("La plage doit tenir dans les heures d'ouverture de l'agence ce jour-là."),
    ),
}


def _check_specs(service: Service, specs: list[SlotSpec]) -> None:
    for spec in specs:
        hours = service.branch.hours_on(spec.weekday)
        problem = spec_problem(
            spec,
            hours.opens_at if hours else None,
            hours.closes_today if hours else None,
        )
        if problem:
            field, message = TEMPLATE_MESSAGES[problem]
            raise InvalidTemplate(message, field=field)
    if overlapping(specs) is not None:
        raise InvalidTemplate(
            _l("Deux plages du même jour se chevauchent."), field="start_time"
        )


def _template(service: Service, spec: SlotSpec) -> SlotTemplate:
    return SlotTemplate(
        branch_id=service.branch_id,
        service_id=service.id,
        weekday=spec.weekday,
        start_time=spec.start_time,
        end_time=spec.end_time,
        slot_minutes=spec.slot_minutes,
        capacity=spec.capacity,
    )


def _spec(template: SlotTemplate) -> SlotSpec:
    return SlotSpec(
        template.weekday,
        template.start_time,
        template.end_time,
        template.slot_minutes,
        template.capacity,
    )


@unit_of_work
def set_slot_templates(service: Service, specs: list[SlotSpec]) -> list[SlotTemplate]:
    """Replace a service's week of slot templates (booked appointments stay as they are)."""
    _check_specs(service, specs)
    for old in queries.list_slot_templates(service):
        db.session.delete(old)
    made = [_template(service, spec) for spec in specs]
    db.session.add_all(made)
    db.session.commit()
    return made


@unit_of_work
def add_slot_template(service: Service, spec: SlotSpec) -> SlotTemplate:
    """Add one weekly range of slots to a service."""
    existing = [_spec(t) for t in queries.list_slot_templates(service)]
    _check_specs(service, [*existing, spec])
    template = _template(service, spec)
    db.session.add(template)
    db.session.commit()
    return template


def delete_slot_template(template: SlotTemplate) -> None:
    """Remove a weekly range of slots (booked appointments stay as they are)."""
    db.session.delete(template)
    db.session.commit()


SETTING_LIMITS = {
    "min_notice_minutes": (0, 7 * 24 * 60),
    "max_advance_days": (1, 365),
    "deposit_fcfa": (0, 1_000_000),
    "payment_minutes": (5, 24 * 60),
    "grace_minutes": (0, 120),
}


@unit_of_work
def set_booking_settings(service: Service, **values) -> AppointmentSettings:
    """Change how a service takes bookings: min_notice_minutes, max_advance_days,
    requires_deposit, deposit_fcfa, payment_minutes, grace_minutes."""
    settings = queries.get_settings(service)
    for name, value in values.items():
        if name == "requires_deposit":
            settings.requires_deposit = bool(value)
            continue
        if name not in SETTING_LIMITS:
            raise TypeError(f"unknown booking setting {name!r}")
        low, high = SETTING_LIMITS[name]
        if not isinstance(value, int) or not low <= value <= high:
            raise InvalidTemplate(
                _l("Choisissez une valeur de %(low)s à %(high)s.", low=low, high=high),
                field=name,
            )
        setattr(settings, name, value)
    db.session.add(settings)
    db.session.commit()
    return settings
