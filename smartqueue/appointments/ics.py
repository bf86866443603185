"""An appointment as an iCalendar file (RFC 5545), to add it to a phone's calendar."""

from datetime import datetime, timezone

from flask_babel import gettext as _

from .. import clock
from ..models import Appointment, AppointmentStatus

CRLF = "\r\n"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1)."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def appointment_ics(appointment: Appointment) -> str:
    """The .ics text of an appointment: one event, UTC times, UID = number@smartqueue."""
    service, branch = appointment.service, appointment.branch
    cancelled = appointment.status in (
        AppointmentStatus.CANCELLED,
        AppointmentStatus.RESCHEDULED,
    )
    summary = _("Rendez-vous %(service)s", service=service.name_for(appointment.locale))
    description = _(
        "Numéro %(number)s. À votre arrivée, enregistrez-vous à la borne avec ce "
        "numéro ou le code QR, ou auprès d'un agent.",
        number=appointment.number,
    )
    location = ", ".join(p for p in (branch.name, branch.address) if p)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SmartQueue//Rendez-vous//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:" + ("CANCEL" if cancelled else "PUBLISH"),
        "BEGIN:VEVENT",
        f"UID:{appointment.number}@smartqueue",
        f"DTSTAMP:{_stamp(clock.now())}",
        f"DTSTART:{_stamp(appointment.starts_at)}",
        f"DTEND:{_stamp(appointment.ends_at)}",
        f"SUMMARY:{_text(summary)}",
        f"LOCATION:{_text(location)}",
        f"DESCRIPTION:{_text(description)}",
        "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
    ]
    if branch.latitude is not None and branch.longitude is not None:
        lines.append(f"GEO:{branch.latitude:.6f};{branch.longitude:.6f}")
    if not cancelled:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_text(summary)}",
            "TRIGGER:-PT2H",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return CRLF.join(_fold(line) for line in lines) + CRLF
