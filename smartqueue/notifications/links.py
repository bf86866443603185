"""Links a message carries (a ticket's page, an appointment's answer, unsubscribe), built
outside any request too (jobs): on PUBLIC_URL, the address customers reach the site at.

Answer and unsubscribe links carry a signed token (itsdangerous, with the app's secret
key): whoever holds the message may use them, nobody can make one up.
"""

from contextlib import nullcontext

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from ..models import DeliveryChannel

UNSUBSCRIBE = "sq-unsubscribe"
ANSWER = "sq-appointment-answer"


def external(endpoint: str, **values) -> str:
    """An absolute URL of `endpoint`, in a request or in a job."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with building():
        return url_for(endpoint, _external=True, **values)


def building():
    """A request context on PUBLIC_URL for a job to build many links in (one context
    for a whole branch's tickets, not one per link)."""
    if has_request_context():
        return nullcontext()
    base = current_app.config.get("PUBLIC_URL") or "http://localhost:5000"
    return current_app.test_request_context("/", base_url=base)


def _signer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(channel: DeliveryChannel, address: str) -> str:
    return _signer(UNSUBSCRIBE).dumps([channel.value, address])


def read_unsubscribe_token(token: str) -> tuple[DeliveryChannel, str] | None:
    try:
        channel, address = _signer(UNSUBSCRIBE).loads(token)
        return DeliveryChannel(channel), str(address)
    except (BadSignature, ValueError, TypeError):
        return None


def unsubscribe(channel: DeliveryChannel, address: str) -> str:
    return external(
        "notifications.unsubscribe", token=unsubscribe_token(channel, address)
    )


def answer_token(appointment_number: str) -> str:
    return _signer(ANSWER).dumps(appointment_number)


def read_answer_token(token: str) -> str | None:
    try:
        return str(_signer(ANSWER).loads(token))
    except (BadSignature, ValueError, TypeError):
        return None


def ticket_page(token: str) -> str:
    return external("customer.ticket", token=token)


def ticket_rating(token: str) -> str:
    """Where a served ticket's holder rates the visit: its page, at the form. The
    ticket's token is the access (an unguessable secret, as for every ticket link): a
    signature would add nothing but length to a one-part SMS."""
    return external("customer.ticket", token=token, _anchor="ticket-rating")


def appointment_answer(appointment_number: str, answer: str) -> str:
    """The one-tap "I am coming" / "cancel it" link of a reminder."""
    return external(
        "notifications.answer_appointment",
        token=answer_token(appointment_number),
        answer=answer,
    )
