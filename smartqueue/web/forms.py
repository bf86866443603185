"""Form pieces shared by several blueprints (shape only; rules live in operations)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, StopValidation

REQUIRED = _l("Ce champ est obligatoire.")
NOT_ALLOWED = _l("Ce champ contient des caractères non autorisés.")

# C0 controls, DEL and C1 controls: never typed by a person, and PostgreSQL refuses NUL
# in text (a 500 there, a stored name on SQLite). Multi-line text keeps tab and newlines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    return bool((_CONTROL_MULTILINE if multiline else _CONTROL).search(text))


def _refuse_control_characters(form, field) -> None:
    """First in every text field's chain: nothing after it (a lookup, a normalizer)
    ever sees the text, and the person sees one clear message."""
    multiline = isinstance(field, TextAreaField)
    texts = [*(field.raw_data or ()), field.data]
    if any(isinstance(t, str) and has_control_characters(t, multiline) for t in texts):
        raise StopValidation(str(NOT_ALLOWED))


class Form(FlaskForm):
    """Every form of the app: text fields refuse control characters, in one place."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField):  # text, email, tel, hidden, password...
                field.validators = [_refuse_control_characters, *field.validators]
            return field


LANGUAGE_CHOICES = [("fr", "Français"), ("wo", "Wolof"), ("en", "English")]


class EmptyForm(Form):
    """A button-only POST (logout, delete, remove): just the CSRF token."""


def language_field():
    return SelectField(_l("Langue"), choices=LANGUAGE_CHOICES, default="fr")


def new_password_fields():
    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(message=REQUIRED),
            Length(min=8, max=128, message=_l("Au moins 8 caractères.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmer le mot de passe"),
        validators=[
            DataRequired(message=REQUIRED),
            EqualTo("password", message=_l("Les mots de passe diffèrent.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def apply_domain_error(form, error) -> None:
    """Show a domain error next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        form.form_errors.append(str(error.message))
