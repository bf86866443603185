"""Translatable labels for enumerations shown to people."""

import enum

from flask_babel import lazy_gettext as _l

from ..models import (
    AppointmentStatus,
    Channel,
    CounterStatus,
    DeliveryChannel,
    DeviceKind,
    NotificationStatus,
    OrganizationType,
    PaymentMethod,
    Plan,
    Priority,
    QueueStatus,
    QueueType,
    Role,
    Strategy,
    TicketStatus,
)
from ..travel import TravelMode

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
    TicketStatus.WAITING: _l("En attente"),
    TicketStatus.CALLED: _l("Appelé"),
    TicketStatus.SERVING: _l("En cours de service"),
    TicketStatus.SERVED: _l("Servi"),
    TicketStatus.CANCELLED: _l("Annulé"),
    TicketStatus.NO_SHOW: _l("Absent"),
    TicketStatus.EXPIRED: _l("Expiré"),
    TicketStatus.TRANSFERRED: _l("Transféré"),
    Priority.NORMAL: _l("Normale"),
    Priority.MEDIUM: _l("Moyenne"),
    Priority.HIGH: _l("Prioritaire (âgé, enceinte, handicap)"),
    Priority.URGENT: _l("Urgence médicale"),
    Channel.MOBILE: _l("Mobile"),
    Channel.WEB: _l("Web"),
    Channel.SMS: _l("SMS"),
    Channel.KIOSK: _l("Borne"),
    Channel.COUNTER: _l("Guichet"),
    Channel.PHONE: _l("Téléphone"),
    QueueType.NORMAL: _l("Normale"),
    QueueType.PRIORITY: _l("Prioritaire"),
    QueueType.VIP: _l("VIP"),
    QueueType.APPOINTMENT: _l("Rendez-vous"),
    QueueType.EXPRESS: _l("Express"),
    QueueStatus.ACTIVE: _l("Ouverte"),
    QueueStatus.PAUSED: _l("En pause"),
    QueueStatus.CLOSED: _l("Fermée"),
    QueueStatus.MAINTENANCE: _l("Maintenance"),
    Strategy.FIFO: _l("Ordre d'arrivée"),
    Strategy.PRIORITY: _l("Priorité d'abord"),
    Strategy.APPOINTMENT_FIRST: _l("Rendez-vous d'abord"),
    Strategy.MIXED: _l("Mixte (priorité et ancienneté)"),
    DeviceKind.BOARD: _l("Écran d’affichage"),
    DeviceKind.KIOSK: _l("Borne"),
    AppointmentStatus.PENDING: _l("À confirmer"),
    AppointmentStatus.PENDING_PAYMENT: _l("Acompte à régler"),
    AppointmentStatus.CONFIRMED: _l("Confirmé"),
    AppointmentStatus.RESCHEDULED: _l("Déplacé"),
    AppointmentStatus.CHECKED_IN: _l("Arrivé"),
    AppointmentStatus.IN_PROGRESS: _l("En cours"),
    AppointmentStatus.COMPLETED: _l("Terminé"),
    AppointmentStatus.CANCELLED: _l("Annulé"),
    AppointmentStatus.NO_SHOW: _l("Absent"),
    TravelMode.PUBLIC_TRANSPORT: _l("Bus, car rapide, Ndiaga Ndiaye"),
    TravelMode.WALKING: _l("À pied"),
    TravelMode.TAXI: _l("Taxi ou clando"),
    TravelMode.MOTORBIKE: _l("Moto (Jakarta)"),
    TravelMode.CAR: _l("Voiture"),
    TravelMode.BICYCLE: _l("Vélo"),
    DeliveryChannel.IN_APP: _l("Sur le site"),
    DeliveryChannel.PUSH: _l("Notification push"),
    DeliveryChannel.SMS: _l("SMS"),
    DeliveryChannel.EMAIL: _l("E-mail"),
    NotificationStatus.QUEUED: _l("En file d'envoi"),
    NotificationStatus.SENT: _l("Envoyé"),
    NotificationStatus.DELIVERED: _l("Remis"),
    NotificationStatus.FAILED: _l("Échec"),
    NotificationStatus.NOT_SENT: _l("Non envoyé"),
    # Brand names stay as they are in every language.
    PaymentMethod.WAVE: "Wave",
    PaymentMethod.ORANGE_MONEY: "Orange Money",
    PaymentMethod.FREE_MONEY: "Free Money",
    PaymentMethod.CASH: _l("Espèces"),
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
