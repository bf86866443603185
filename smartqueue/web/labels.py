"""Translatable labels for enumerations shown to people."""

import enum

from flask_babel import lazy_gettext as _l

from ..models import CounterStatus, OrganizationType, Plan, Role

LABELS: dict[enum.Enum, str] = {
    OrganizationType.BANK: _l("Banque"),
    OrganizationType.HOSPITAL: _l("Hôpital"),
    OrganizationType.GOVERNMENT: _l("Administration"),
    OrganizationType.TELECOM: _l("Télécom"),
    OrganizationType.INSURANCE: _l("Assurance"),
    OrganizationType.BUSINESS: _l("Entreprise"),
    OrganizationType.EDUCATION: _l("Éducation"),
    OrganizationType.RETAIL: _l("Commerce"),
    OrganizationType.OTHER: _l("Autre"),
    Plan.FREE: _l("Gratuit"),
    Plan.STARTER: _l("Starter"),
    Plan.BUSINESS: _l("Business"),
    Plan.ENTERPRISE: _l("Enterprise"),
    Role.AGENT: _l("Agent"),
    Role.BRANCH_MANAGER: _l("Responsable d'agence"),
    Role.ORG_ADMIN: _l("Administrateur"),
    CounterStatus.OPEN: _l("Ouvert"),
    CounterStatus.PAUSED: _l("En pause"),
    CounterStatus.CLOSED: _l("Fermé"),
}

WEEKDAYS = [
    _l("Lundi"),
    _l("Mardi"),
    _l("Mercredi"),
    _l("Jeudi"),
    _l("Vendredi"),
    _l("Samedi"),
    _l("Dimanche"),
]


def label(value) -> str:
    return str(LABELS.get(value, getattr(value, "value", value)))


def choices(enum_cls) -> list[tuple[str, str]]:
    """(value, label) pairs for a select field."""
    return [(member.value, LABELS.get(member, member.value)) for member in enum_cls]
