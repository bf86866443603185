"""Small helpers shared by the manage views."""

from flask import request

from ...errors import DomainError
from ...extensions import db
from ..forms import apply_domain_error
from ..safety import parse_id


def status(form) -> int:
    return 422 if form.errors else 200


def refuse(form, error: DomainError) -> None:
    """Show a refused operation on the form; drop whatever it half-changed in the session."""
    db.session.rollback()
    apply_domain_error(form, error)


def form_data(form) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


def int_arg(*names: str) -> int | None:
    for name in names:
        value = parse_id(request.args.get(name))
        if value is not None:
            return value
    return None
