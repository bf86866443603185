"""Senegal phone numbers, as people type them, normalised to E.164."""

import phonenumbers
from flask_babel import lazy_gettext as _l

from .errors import InvalidPhone

# Mobile operators' prefixes (Orange 77/78, Free 76, Expresso 70, Promobile 75) and landlines (33).
SENEGAL_PREFIXES = ("70", "75", "76", "77", "78", "33")


def normalize_phone(raw: str | None) -> str | None:
    """Return the E.164 form of a Senegalese number ('77 123 45 67', '00221...'), or None if empty."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "SN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(
            _l("Numéro de téléphone invalide (ex. 77 123 45 67).")
        ) from None
    national = str(number.national_number)
    if (
        number.country_code != 221
        or len(national) != 9
        or not national.startswith(SENEGAL_PREFIXES)
        or not phonenumbers.is_valid_number(number)
    ):
        raise InvalidPhone(_l("Numéro de téléphone invalide (ex. 77 123 45 67)."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """'+221771234567' -> '77 123 45 67' for display."""
    if not e164:
        return ""
    digits = e164.removeprefix("+221")
    if len(digits) != 9:
        return e164
    return f"{digits[:2]} {digits[2:5]} {digits[5:7]} {digits[7:]}"
