"""Form pieces shared by several blueprints (shape only; rules live in operations)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

REQUIRED = _l("Ce champ est obligatoire.")

LANGUAGE_CHOICES = [("fr", "Français"), ("wo", "Wolof"), ("en", "English")]


class EmptyForm(FlaskForm):
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
