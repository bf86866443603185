"""Forms of the counter screen (shape only: what may move, and where, is the engine's call)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ...queueing.operations import OUT_OF_TURN_REASON_MAX
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


class CallTicketForm(Form):
    """Call a chosen waiting ticket out of its turn, with a reason (whether it is still
    waiting, and in this counter's lines, is the engine's call)."""

    waiting = SelectField(_l("Ticket"), coerce=parse_id, validate_choice=False)
    reason = StringField(
        _l("Raison"),
        validators=[
            InputRequired(message=_l("Dites pourquoi ce ticket passe avant son tour.")),
            Length(
                max=OUT_OF_TURN_REASON_MAX,
                message=_l(
                    "Raison trop longue (%(n)s caractères au plus).",
                    n=OUT_OF_TURN_REASON_MAX,
                ),
            ),
        ],
    )

    def validate_waiting(self, field):
        if field.data is None:
            raise ValidationError(_l("Choisissez un ticket en attente."))
