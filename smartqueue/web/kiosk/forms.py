"""Kiosk forms: shape only (the engine decides whether a ticket may be issued)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, Email, Length, Optional, ValidationError

from ...accounts.errors import InvalidPhone
from ...accounts.phones import normalize_phone
from ...models import Priority

# Elderly, pregnant and disabled people all go to the front the same way: the kiosk only
# ever sends "high" and keeps no record of which of the three it was.
PRIORITIES = {"normal": Priority.NORMAL, "high": Priority.HIGH}


class TicketForm(FlaskForm):
    """The last step: the priority chosen before, and an optional phone or email."""

    priority = HiddenField(default="normal", validators=[AnyOf(list(PRIORITIES))])
    contact = StringField(
        _l("Téléphone ou e-mail"),
        validators=[Optional(), Length(max=254)],
        filters=[lambda text: text.strip() if text else text],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Valider"))
    skip = SubmitField(_l("Passer, sans être prévenu"))

    contact_phone: str | None = None  # E.164, set by validation
    contact_email: str | None = None

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
        try:
            self.contact_phone = normalize_phone(text)
        except InvalidPhone as error:
            raise ValidationError(error.message) from None

    @property
    def priority_value(self) -> Priority:
        return PRIORITIES.get(self.priority.data, Priority.NORMAL)
