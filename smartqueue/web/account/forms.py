"""A person's own profile."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import REQUIRED, Form, language_field, new_password_fields


class ProfileForm(Form):
    full_name = StringField(_l("Nom complet"), validators=[Optional(), Length(max=120)])
    phone = TelField(
        _l("Téléphone (facultatif)"),
        validators=[Optional(), Length(max=30)],
        render_kw={"placeholder": "77 123 45 67"},
    )
    locale = language_field()


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(message=REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class DeleteAccountForm(Form):
    confirm_email = StringField(
        _l("Tapez votre adresse e-mail pour confirmer"),
        validators=[DataRequired(message=REQUIRED), Length(max=254)],
    )


class EndSessionForm(Form):
    session_id = HiddenField(validators=[DataRequired(), Length(max=64)])
