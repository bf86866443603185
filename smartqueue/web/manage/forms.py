"""Forms of the manage area: shape only (the operations hold the rules)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import OrganizationType, Plan, QueueStatus, QueueType, Role, Strategy
from ..forms import REQUIRED, Form
from ..labels import choices
from ..safety import parse_id

_email = [Email(message=_l("Adresse e-mail invalide.")), Length(max=254)]
_phone = {
    "validators": [Optional(), Length(max=30)],
    "render_kw": {"placeholder": "77 123 45 67"},
}


def optional_int(value) -> int | None:
    """Coerce a select's value: '' (no choice), or anything that is not an id, is None."""
    return value if isinstance(value, int) else parse_id(value)


# --- organizations ---------------------------------------------------------------------------


class OrganizationForm(Form):
    name = StringField(
        _l("Nom"), validators=[DataRequired(message=REQUIRED), Length(min=2, max=120)]
    )
    type = SelectField(
        _l("Type"), choices=choices(OrganizationType), coerce=OrganizationType
    )
    email = EmailField(
        _l("E-mail de contact (facultatif)"), validators=[Optional(), *_email]
    )
    phone = TelField(_l("Téléphone (facultatif)"), **_phone)


class PlatformOrganizationForm(OrganizationForm):
    """What a platform admin may also change: the plan and whether the organization is active."""

    plan = SelectField(_l("Formule"), choices=choices(Plan), coerce=Plan)
    is_active = BooleanField(_l("Organisation active"))


class NewOrganizationForm(PlatformOrganizationForm):
    is_active = None  # a new organization is active
    admin_email = EmailField(
        _l("E-mail du premier administrateur"),
        validators=[DataRequired(message=REQUIRED), *_email],
    )


# --- branches --------------------------------------------------------------------------------


class BranchForm(Form):
    name = StringField(
        _l("Nom de l'agence"),
        validators=[DataRequired(message=REQUIRED), Length(min=2, max=120)],
    )
    address = StringField(
        _l("Adresse"), validators=[DataRequired(message=REQUIRED), Length(max=255)]
    )
    region_id = SelectField(
        _l("Région"),
        coerce=optional_int,
        validators=[DataRequired(message=_l("Choisissez une région."))],
    )
    # Filled from the chosen region and department; the operation checks that they belong together.
    department_id = SelectField(
        _l("Département"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choisissez un département."))],
    )
    commune_id = SelectField(
        _l("Commune (facultatif)"), coerce=optional_int, validate_choice=False
    )
    latitude = FloatField(
        _l("Latitude (facultatif)"),
        validators=[Optional(), NumberRange(min=12, max=17)],
    )
    longitude = FloatField(
        _l("Longitude (facultatif)"),
        validators=[Optional(), NumberRange(min=-18, max=-11)],
    )
    phone = TelField(_l("Téléphone (facultatif)"), **_phone)
    # Stored upper case without accents or spaces: the operation folds and checks it.
    sms_code = StringField(
        _l("Code SMS (facultatif)"),
        validators=[Optional(), Length(max=30)],
        render_kw={
            "placeholder": "PLATEAU",
            "autocapitalize": "characters",
            "autocomplete": "off",
            "spellcheck": "false",
        },
    )


class HoursForm(Form):
    """Seven rows, Monday (0) to Sunday (6): closed, or opening and closing times."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The operation names a refused day "day_N": show its error next to that day's closing time.
        for day in range(7):
            setattr(self, f"day_{day}", self[f"day_{day}_closes"])

    def rows(self):
        """(weekday, closed, opens, closes) for the template."""
        return [
            (
                d,
                self[f"day_{d}_closed"],
                self[f"day_{d}_opens"],
                self[f"day_{d}_closes"],
            )
            for d in range(7)
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for _day, closed, opens, closes in self.rows():
            if closed.data:
                continue
            for f in (opens, closes):
                if f.data is None and not f.errors:
                    f.errors.append(str(_l("Indiquez l'heure, ou cochez « Fermé ».")))
                    valid = False
        return valid


for _day in range(7):
    setattr(HoursForm, f"day_{_day}_closed", BooleanField(_l("Fermé")))
    setattr(
        HoursForm,
        f"day_{_day}_opens",
        TimeField(
            _l("Ouverture"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()]
        ),
    )
    setattr(
        HoursForm,
        f"day_{_day}_closes",
        TimeField(
            _l("Fermeture"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()]
        ),
    )
del _day


class ClosureForm(Form):
    date = DateField(_l("Date"), validators=[DataRequired(message=REQUIRED)])
    reason = StringField(
        _l("Motif (facultatif)"),
        validators=[Optional(), Length(max=120)],
        render_kw={"placeholder": _l("Tabaski, inventaire...")},
    )


class HolidayForm(Form):
    """A decision on one of the branch's public holidays; `date` moves an estimated one."""

    holiday_id = HiddenField(validators=[DataRequired(message=REQUIRED)])
    decision = SelectField(choices=["confirm", "dismiss", "restore"])
    date = DateField(_l("Date annoncée"), validators=[Optional()])
    move = BooleanField()  # the "Déplacer au ..." form: a date is then required


# --- services and counters --------------------------------------------------------------------


class ServiceForm(Form):
    name_fr = StringField(
        _l("Nom (français)"),
        validators=[DataRequired(message=REQUIRED), Length(max=120)],
    )
    name_wo = StringField(
        _l("Nom (wolof, facultatif)"), validators=[Optional(), Length(max=120)]
    )
    name_en = StringField(
        _l("Nom (anglais, facultatif)"), validators=[Optional(), Length(max=120)]
    )
    category = StringField(
        _l("Catégorie (facultatif)"), validators=[Optional(), Length(max=60)]
    )
    prefix = StringField(
        _l("Lettre des tickets"),
        validators=[
            DataRequired(message=REQUIRED),
            Regexp(r"^\s*[A-Za-z]\s*$", message=_l("Une seule lettre, de A à Z.")),
        ],
        render_kw={"maxlength": 1, "autocapitalize": "characters"},
    )
    estimated_minutes = IntegerField(
        _l("Durée estimée (minutes)"),
        default=10,
        validators=[InputRequired(), NumberRange(min=1, max=180)],
    )
    target_wait_minutes = IntegerField(
        _l("Attente visée (minutes)"),
        default=15,
        validators=[Optional(), NumberRange(min=1, max=240)],
    )
    price_fcfa = IntegerField(
        _l("Prix (FCFA)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )
    accepts_appointments = BooleanField(_l("Accepte les rendez-vous"))
    requires_appointment = BooleanField(_l("Uniquement sur rendez-vous"))
    documents = TextAreaField(
        _l("Documents à apporter (facultatif)"),
        validators=[Optional(), Length(max=2000)],
    )
    is_active = BooleanField(_l("Service actif"), default=True)
    # The service's queue: how it is run.
    queue_type = SelectField(
        _l("Type de file"),
        choices=choices(QueueType),
        coerce=QueueType,
        default=QueueType.NORMAL,
    )
    queue_status = SelectField(
        _l("État de la file"),
        choices=choices(QueueStatus),
        coerce=QueueStatus,
        default=QueueStatus.ACTIVE,
    )
    strategy = SelectField(
        _l("Ordre d'appel"),
        choices=choices(Strategy),
        coerce=Strategy,
        default=Strategy.FIFO,
    )
    capacity = IntegerField(
        _l("Capacité (0 = illimitée)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=10_000)],
    )
    expiry_minutes = IntegerField(
        _l("Expiration des tickets (minutes, 0 = à la fermeture)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=1440)],
    )
    notify_before = IntegerField(
        _l("Prévenir le client N tours avant"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=10)],
    )

    def load_queue(self, queue) -> None:
        """Fill the queue fields from a service's queue (GET of the edit page)."""
        self.queue_type.data, self.queue_status.data = queue.type, queue.status
        self.strategy.data, self.capacity.data = queue.strategy, queue.capacity
        self.expiry_minutes.data = queue.expiry_minutes
        self.notify_before.data = queue.notify_before


class QueueStatusForm(Form):
    """The branch page's open / pause / close buttons: each posts the state it sets."""

    status = SelectField(
        _l("État de la file"), choices=choices(QueueStatus), coerce=QueueStatus
    )


class CounterForm(Form):
    number = IntegerField(
        _l("Numéro"), validators=[InputRequired(), NumberRange(min=1, max=999)]
    )
    name = StringField(
        _l("Nom (facultatif)"),
        validators=[Optional(), Length(max=60)],
        render_kw={"placeholder": _l("Caisse, Accueil...")},
    )
    service_ids = SelectMultipleField(
        _l("Services traités"),
        coerce=int,
        widget=ListWidget(prefix_label=True),
        option_widget=CheckboxInput(),
    )

    def validate_service_ids(self, field):
        # Not DataRequired: its `required` would land on every checkbox.
        if not field.data:
            raise ValidationError(
                _l("Choisissez au moins un service traité à ce guichet.")
            )


# --- staff -----------------------------------------------------------------------------------


class MemberForm(Form):
    role = SelectField(_l("Rôle"), choices=choices(Role), coerce=Role)
    branch_id = SelectField(_l("Agence"), coerce=optional_int)


class InviteForm(MemberForm):
    email = EmailField(
        _l("Adresse e-mail"), validators=[DataRequired(message=REQUIRED), *_email]
    )


# --- appointments ----------------------------------------------------------------------------

_TIME = {
    "format": ["%H:%M", "%H:%M:%S"],
    "invalid_value_message": _l("Heure invalide."),
    # Slots fall on whole minutes: a time sent with seconds keeps its hour and minute.
    "filters": [lambda t: t.replace(second=0, microsecond=0) if t else t],
}
_NUMBER = {"invalid_value_message": _l("Nombre entier attendu.")}
_DAY = _l("Choisissez un jour de la semaine.")


def _weekday(value) -> int | None:
    """A select's weekday: 0 (Monday) to 6, None for anything else."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text in {"0", "1", "2", "3", "4", "5", "6"} else None


def _range(low: int, high: int) -> NumberRange:
    return NumberRange(min=low, max=high, message=_l("De %(min)s à %(max)s."))


class SlotTemplateForm(Form):
    """A weekly range of slots; opening hours, lengths and overlaps are the core's rules."""

    weekday = SelectField(
        _l("Jour"),
        coerce=_weekday,
        validate_choice=False,  # refused below with a French message
        validators=[InputRequired(message=_DAY)],
    )
    start_time = TimeField(
        _l("Début"), validators=[InputRequired(message=REQUIRED)], **_TIME
    )
    end_time = TimeField(
        _l("Fin"), validators=[InputRequired(message=REQUIRED)], **_TIME
    )
    slot_minutes = IntegerField(
        _l("Durée d’un créneau (minutes)"),
        default=30,
        validators=[InputRequired(message=REQUIRED)],
        **_NUMBER,
    )
    capacity = IntegerField(
        _l("Personnes par créneau"),
        default=1,
        validators=[InputRequired(message=REQUIRED)],
        **_NUMBER,
    )

    def __init__(self, *args, weekdays=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = [("", _l("Choisir un jour"))] + list(enumerate(weekdays))

    def validate_weekday(self, field):
        if field.data is None or not 0 <= field.data <= 6:
            raise ValidationError(_DAY)


class DeleteSlotTemplateForm(Form):
    template_id = IntegerField(validators=[InputRequired()])


# Minimum notice: up to 7 days, typed in hours or in minutes.
NOTICE_LIMITS = {"hours": 7 * 24, "minutes": 7 * 24 * 60}


class BookingSettingsForm(Form):
    """How a service takes bookings (the limits of planning.SETTING_LIMITS)."""

    min_notice = IntegerField(
        _l("Préavis minimum"),
        validators=[InputRequired(message=REQUIRED)],
        **_NUMBER,
    )
    min_notice_unit = SelectField(
        _l("Unité du préavis"),
        choices=[("hours", _l("heures")), ("minutes", _l("minutes"))],
        default="hours",
        validate_choice=False,  # refused below with a French message
    )
    max_advance_days = IntegerField(
        _l("Réservable jusqu’à (jours à l’avance)"),
        validators=[InputRequired(message=REQUIRED), _range(1, 365)],
        **_NUMBER,
    )
    requires_deposit = BooleanField(_l("Acompte obligatoire à la réservation"))
    deposit_fcfa = IntegerField(
        _l("Montant de l’acompte (FCFA)"),
        validators=[InputRequired(message=REQUIRED), _range(0, 1_000_000)],
        **_NUMBER,
    )
    payment_minutes = IntegerField(
        _l("Délai pour payer l’acompte (minutes)"),
        validators=[InputRequired(message=REQUIRED), _range(5, 24 * 60)],
        **_NUMBER,
    )
    grace_minutes = IntegerField(
        _l("Retard toléré (minutes)"),
        validators=[InputRequired(message=REQUIRED), _range(0, 120)],
        **_NUMBER,
    )

    def load(self, settings) -> None:
        """Fill the form from stored settings (a whole number of hours shown in hours)."""
        minutes = settings.min_notice_minutes
        in_hours = minutes % 60 == 0
        self.min_notice.data = minutes // 60 if in_hours else minutes
        self.min_notice_unit.data = "hours" if in_hours else "minutes"
        for name in (
            "max_advance_days",
            "requires_deposit",
            "deposit_fcfa",
            "payment_minutes",
            "grace_minutes",
        ):
            self[name].data = getattr(settings, name)

    def validate_min_notice(self, field):
        high = NOTICE_LIMITS.get(self.min_notice_unit.data)
        if field.data is not None and high and not 0 <= field.data <= high:
            unit = (
                _l("heures") if self.min_notice_unit.data == "hours" else _l("minutes")
            )
            raise ValidationError(_l("De 0 à %(high)s %(unit)s.", high=high, unit=unit))

    def validate_min_notice_unit(self, field):
        if field.data not in NOTICE_LIMITS:
            raise ValidationError(_l("Choisissez heures ou minutes."))

    def validate_deposit_fcfa(self, field):
        if self.requires_deposit.data and field.data == 0:
            raise ValidationError(_l("Indiquez le montant de l’acompte."))

    def values(self) -> dict:
        """The settings as planning.set_booking_settings takes them."""
        factor = 60 if self.min_notice_unit.data == "hours" else 1
        return {
            "min_notice_minutes": self.min_notice.data * factor,
            "max_advance_days": self.max_advance_days.data,
            "requires_deposit": self.requires_deposit.data,
            "deposit_fcfa": self.deposit_fcfa.data,
            "payment_minutes": self.payment_minutes.data,
            "grace_minutes": self.grace_minutes.data,
        }


# --- urgent messages -------------------------------------------------------------------------


class BroadcastForm(Form):
    # The operation counts the length once spaces are folded (BROADCAST_MAX); this only
    # keeps a hand-made request's text within reason.
    text = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=REQUIRED), Length(max=2000)],
        render_kw={"rows": 4, "maxlength": 300},
    )


class EndBroadcastForm(Form):
    """Take one message off the board: it names the message the page showed, so that
    a message posted since by someone else stays."""

    broadcast_id = HiddenField(validators=[DataRequired(message=REQUIRED)])
