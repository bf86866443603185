"""Sign-up, sign-in, codes and passwords."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import REQUIRED, Form, language_field, new_password_fields

_email = [
    DataRequired(message=REQUIRED),
    Email(message=_l("Adresse e-mail invalide.")),
    Length(max=254),
]
_code = [
    DataRequired(message=REQUIRED),
    Regexp(r"^\s*\d{6}\s*$", message=_l("Le code comporte 6 chiffres.")),
]


class RegisterForm(Form):
    email = EmailField(
        _l("Adresse e-mail"), validators=_email, render_kw={"autocomplete": "email"}
    )
    password, confirm = new_password_fields()
    full_name = StringField(
        _l("Nom complet"),
        validators=[Optional(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Téléphone (facultatif)"),
        validators=[Optional(), Length(max=30)],
        render_kw={"autocomplete": "tel", "placeholder": "77 123 45 67"},
    )
    locale = language_field()


class VerifyForm(Form):
    code = StringField(
        _l("Code reçu par e-mail"),
        validators=_code,
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "maxlength": 6,
        },
    )


class LoginForm(Form):
    email = EmailField(
        _l("Adresse e-mail"), validators=_email, render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(message=REQUIRED), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté"))


class ForgotForm(Form):
    email = EmailField(_l("Adresse e-mail"), validators=_email)


class ResetForm(Form):
    email = EmailField(_l("Adresse e-mail"), validators=_email)
    code = StringField(
        _l("Code reçu par e-mail"),
        validators=_code,
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    password, confirm = new_password_fields()


class AcceptInvitationForm(Form):
    full_name = StringField(
        _l("Nom complet"), validators=[DataRequired(message=REQUIRED), Length(max=120)]
    )
    password, confirm = new_password_fields()
