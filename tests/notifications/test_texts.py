"""Every SMS the notices send fits one 160-character GSM-7 SMS in French, Wolof and
English, with the longest names and numbers it may carry (folded to GSM-7 as the
gateways send it); the urgent message, whose length is the manager's, is counted on its
form instead."""

import pytest

from smartqueue.models import NotificationKind
from smartqueue.notifications import gsm, texts

K = NotificationKind
LONGEST = {
    "code": "A1000",
    "service": "S" * texts.NAME_CHARS,
    "branch": "B" * texts.NAME_CHARS,
    "counter": "12",
    "ahead": 999,
    "minutes": 999,
    "number": "RDV202612310999",
    "date": "mercredi 31 décembre 2026",
    "short_date": "31/12",
    "time": "23:59",
    # texts.payment_context
    "amount": "1 000 000 FCFA",
    "method": "Orange Money",
    "reference": "PAY-0123456789AB",
}
# What each kind is given (texts.ticket_context / appointment_context), at its longest.
SHORT_KINDS = {
    K.TICKET_ISSUED: LONGEST,
    K.TICKET_NEAR: LONGEST,
    K.TICKET_CALLED: LONGEST,
    K.TICKET_CANCELLED: LONGEST,
    # the rating link as links.ticket_rating writes it, with a 32-character token
    K.TICKET_FINISHED: LONGEST
    | {"link": "https://www.smartqueue.sn/t/" + "x" * 32 + "#ticket-rating"},
    K.LEAVE_NOW: {k: v for k, v in LONGEST.items() if k != "date"},
    K.APPOINTMENT_CONFIRMED: LONGEST,
    K.APPOINTMENT_MOVED: LONGEST,
    K.APPOINTMENT_CANCELLED: LONGEST,
    K.APPOINTMENT_REMINDER: LONGEST,
    K.QUEUE_PAUSED: LONGEST,
    K.QUEUE_CLOSED: LONGEST,
    K.PAYMENT_RECEIVED: LONGEST,
    K.PAYMENT_REFUNDED: LONGEST,
}


@pytest.mark.parametrize("locale", ["fr", "wo", "en"])
@pytest.mark.parametrize("kind", list(SHORT_KINDS), ids=lambda k: k.value)
def test_each_sms_fits_one_gsm7_part_in_every_language(app, kind, locale):
    said = texts.words(kind, locale, **SHORT_KINDS[kind])
    encoding, parts = gsm.segments(gsm.to_gsm7(said.text))
    assert (encoding, parts) == ("gsm7", 1), (len(said.text), said.text)
    if locale != "fr":  # translated, not the French fallback
        assert said.text != texts.words(kind, "fr", **SHORT_KINDS[kind]).text


def test_the_next_in_line_is_told_so(app):
    next_one = dict(LONGEST, ahead=0)
    french = texts.words(K.TICKET_NEAR, "fr", **next_one).text
    assert "le prochain" in french and "0 avant" not in french
    for locale in ("wo", "en"):
        said = texts.words(K.TICKET_NEAR, locale, **next_one)
        assert said.text != french and "A1000" in said.text
        assert gsm.segments(gsm.to_gsm7(said.text)) == ("gsm7", 1)


def test_an_appointments_leave_now_fits_too(app):
    for locale in ("fr", "wo", "en"):
        said = texts.words(K.LEAVE_NOW, locale, **LONGEST)  # "date": an appointment's
        assert "23:59" in said.text
        assert gsm.segments(gsm.to_gsm7(said.text)) == ("gsm7", 1)


def test_the_urgent_message_is_as_long_as_the_manager_wrote_it(app):
    said = texts.words(K.URGENT, "fr", branch="Plateau", message="x" * 300)
    assert said.text == "Plateau: " + "x" * 300
    assert gsm.segments(said.text) == ("gsm7", 3)  # 309 characters: 153 + 153 + 3


def test_names_are_cut_to_fit():
    assert (
        texts.cut("Agence de la Sicap Liberté 6 extension")
        == "Agence de la Sicap Liber"
    )
    assert len(texts.cut("x" * 80)) == texts.NAME_CHARS
    assert texts.cut(None) == ""
