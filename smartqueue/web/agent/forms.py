"""Forms of the counter screen (shape only: what may move, and where, is the engine's call)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.validators import ValidationError

from ..forms import Form
from ..safety import parse_id


class TicketActionForm(Form):
    """A button of the counter. `ticket` is the ticket the screen showed, if any: acting on
    another one (the screen was stale, or a second tab moved on) is refused."""

    ticket = HiddenField()

    @property
    def ticket_id(self) -> int | None:
        return parse_id(self.ticket.data)

    def validate_ticket(self, field):
        if field.data and self.ticket_id is None:
            raise ValidationError(_l("Ticket inconnu."))


class TransferForm(TicketActionForm):
    service_id = SelectField(
        _l("Transférer vers"), coerce=parse_id, validate_choice=False
    )

    def __init__(self, services, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_id.choices = [(s.id, str(s)) for s in services]

    def validate_service_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choisissez un autre service de cette agence."))
