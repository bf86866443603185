"""Booking forms (shape only: the booking rules live in appointments.operations)."""

import re
from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError
from wtforms.validators import InputRequired

from ..forms import Form

PICK_A_TIME = _l("Choisissez une heure dans la liste.")
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TimeForm(Form):
    """One of the day's times (HH:MM, Dakar) to book or to move an appointment to. The
    page offers them as radio buttons; whether a time is bookable is the core's call."""

    time = StringField(_l("Heure"), validators=[InputRequired(message=PICK_A_TIME)])

    def validate_time(self, field) -> None:
        if not HH_MM.match(field.data or ""):
            raise ValidationError(PICK_A_TIME)

    @property
    def chosen(self) -> time:
        return time.fromisoformat(self.time.data)
