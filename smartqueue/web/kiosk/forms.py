"""Kiosk forms: shape only (the engine decides whether a ticket may be issued or an
appointment checked in)."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    Length,
    Optional,
    ValidationError,
)

from ... import clock
from ...accounts.errors import InvalidPhone
from ...accounts.phones import normalize_phone
from ...appointments.queries import normalize_number
from ...models import Priority
from ..forms import Form

# Elderly, pregnant and disabled people all go to the front the same way: the kiosk only
# ever sends "high" and keeps no record of which of the three it was.
PRIORITIES = {"normal": Priority.NORMAL, "high": Priority.HIGH}


class TicketForm(Form):
    """The last step: the priority chosen before, and an optional email (or phone, once
    an SMS channel is configured: a number nothing is sent to is not asked for)."""

    # A label, even empty: without one WTForms translates the field's name, loading its
    # message catalog from disk on every kiosk ticket.
    priority = HiddenField("", default="normal", validators=[AnyOf(list(PRIORITIES))])
    contact = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254)],
        filters=[lambda text: text.strip() if text else text],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Valider"))
    skip = SubmitField(_l("Passer, sans être prévenu"))

    contact_phone: str | None = None  # E.164, set by validation
    contact_email: str | None = None

    def __init__(self, *args, takes_phone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.takes_phone = takes_phone
        if takes_phone:
            self.contact.label.text = _l("Téléphone ou e-mail")

    def validate(self, extra_validators=None) -> bool:
        if self.skip.data:  # "skip" ignores whatever was typed
            self.contact.data = ""
        return super().validate(extra_validators)

    def validate_contact(self, field) -> None:
        text = field.data
        if not text:
            return
        if "@" in text:
            Email(message=_l("Adresse e-mail invalide."))(self, field)
            self.contact_email = text.lower()
            return
        if not self.takes_phone:
            raise ValidationError(
                _l("Tapez une adresse e-mail : les SMS ne sont pas encore envoyés.")
            )
        try:
            self.contact_phone = normalize_phone(text)
        except InvalidPhone as error:
            raise ValidationError(error.message) from None

    @property
    def priority_value(self) -> Priority:
        return PRIORITIES.get(self.priority.data, Priority.NORMAL)


# Appointment numbers are RDV + date + a 4-digit sequence of that date across the platform,
# so at the kiosk "0007" is enough for today's RDV20261201 0007.
_SEQUENCE = re.compile(r"[0-9]{1,4}")


def typed_appointment_number(typed: str | None) -> str | None:
    """The full number a customer meant: today's sequence alone, or a whole number typed
    with spaces, dashes, lowercase or without 'RDV' (None if it cannot be one)."""
    compact = re.sub(r"[\s\-./]", "", typed or "")
    if _SEQUENCE.fullmatch(compact):
        return f"RDV{clock.today():%Y%m%d}{int(compact):04d}"
    return normalize_number(compact)


class CheckInForm(Form):
    """An appointment number typed on the keypad (or the screen's keyboard)."""

    number = StringField(
        _l("Numéro de rendez-vous"),
        validators=[
            DataRequired(message=_l("Tapez votre numéro de rendez-vous.")),
            Length(max=40),
        ],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "inputmode": "numeric",
        },
    )
    submit = SubmitField(_l("Valider"))

    appointment_number: str | None = None  # RDV…, set by validation

    def validate_number(self, field) -> None:
        self.appointment_number = typed_appointment_number(field.data)
        if self.appointment_number is None:
            raise ValidationError(
                _l("Ce numéro n'est pas valide : tapez les 4 derniers chiffres.")
            )


class ScanForm(Form):
    """What the camera read from the check-in QR code: the number and its link's token."""

    number = HiddenField(validators=[DataRequired(), Length(max=40)])
    token = HiddenField(validators=[DataRequired(), Length(max=128)])
