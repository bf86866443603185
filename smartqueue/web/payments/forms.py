"""The payer's form: how to pay (one button per method), the phone number Free Money
prompts, and the key that makes a double submit one payment. Shape only: whether the
method is offered here and what may be paid is the core's call."""

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, ValidationError
from wtforms.validators import InputRequired, Length, Regexp

from ...accounts.errors import InvalidPhone
from ...accounts.phones import normalize_phone
from ..forms import Form

CHOOSE_A_METHOD = _l("Choisissez un moyen de paiement.")
PAGE_TOO_OLD = _l("Cette page est trop ancienne : choisissez à nouveau.")


def new_payment_key() -> str:
    """A fresh key for one rendering of the form: submitting it twice gives one payment."""
    return secrets.token_urlsafe(18)


class PayForm(Form):
    """Pressing "Wave", "Orange Money" or "Free Money" sends `method`; `key` was written
    in the page when it was shown."""

    method = StringField(
        "", validators=[InputRequired(message=CHOOSE_A_METHOD), Length(max=20)]
    )
    key = HiddenField(
        "",
        validators=[
            InputRequired(message=PAGE_TOO_OLD),
            Regexp(r"^[A-Za-z0-9_-]{16,40}$", message=PAGE_TOO_OLD),
        ],
    )
    phone = StringField(
        _l("Votre numéro Free Money"),
        validators=[Length(max=30)],
        filters=[lambda text: text.strip() if text else text],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )

    payer_phone: str | None = None  # E.164, set by validation

    def validate_phone(self, field) -> None:
        if not field.data:
            return
        try:
            self.payer_phone = normalize_phone(field.data)
        except InvalidPhone as error:
            raise ValidationError(error.message) from None
