"""The words of each notification, in the holder's language, on each channel.

Every kind has a short text: the SMS itself, the push and in-app body. It is written to
fit one 160-character GSM-7 SMS with the longest names it may carry (names are cut to
NAME_CHARS; tests/notifications/test_texts.py counts it in the three languages) except
the urgent message, whose length is the manager's (the form counts its SMS). The email
is the kind's own template where one exists, else a plain one around the short text.
"""

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from .. import clock
from ..models import NotificationKind

K = NotificationKind
NAME_CHARS = 24  # a branch or service name in a short text


@dataclass(frozen=True)
class Words:
    """One kind's words in one language: what every channel is made from."""

    title: str  # the email's subject, the push title, the in-app heading
    text: str  # the SMS, the push and in-app body


def cut(name: str | None, limit: int = NAME_CHARS) -> str:
    """A name cut to `limit` characters (no ellipsis: the texts punctuate after it)."""
    return (name or "").strip()[:limit].rstrip()


def words(kind: NotificationKind, locale: str, **c) -> Words:
    """The title and short text of `kind` in `locale`, from its context `c` (see
    ticket_context and appointment_context for what each kind is given)."""
    with force_locale(locale):
        return _words(kind, c)


def _words(kind: NotificationKind, c: dict) -> Words:  # noqa: C901 - one case per kind
    if kind is K.TICKET_ISSUED:
        return Words(
            _("Ticket %(code)s pris", code=c["code"]),
            _(
                "SmartQueue: ticket %(code)s, %(service)s, %(branch)s. "
                "%(ahead)s avant vous, env. %(minutes)s min. "
                "STATUT pour suivre, ANNULER pour annuler.",
                **c,
            ),
        )
    if kind is K.TICKET_NEAR and not c["ahead"]:
        return Words(
            _("Votre tour approche : ticket %(code)s", code=c["code"]),
            _(
                "SmartQueue: ticket %(code)s, vous êtes le prochain. "
                "Rapprochez-vous des guichets, %(branch)s.",
                **c,
            ),
        )
    if kind is K.TICKET_NEAR:
        return Words(
            _("Votre tour approche : ticket %(code)s", code=c["code"]),
            _(
                "SmartQueue: ticket %(code)s, votre tour approche "
                "(%(ahead)s avant vous). Rapprochez-vous des guichets, %(branch)s.",
                **c,
            ),
        )
    if kind is K.TICKET_CALLED:
        return Words(
            _(
                "C'est votre tour : ticket %(code)s, guichet %(n)s",
                code=c["code"],
                n=c["counter"],
            ),
            _(
                "SmartQueue: ticket %(code)s, c'est votre tour ! "
                "Présentez-vous au guichet %(counter)s, %(branch)s.",
                **c,
            ),
        )
    if kind is K.TICKET_CANCELLED:
        return Words(
            _("Ticket %(code)s annulé", code=c["code"]),
            _("SmartQueue: votre ticket %(code)s (%(branch)s) est annulé.", **c),
        )
    if kind is K.TICKET_FINISHED:
        return Words(
            _("Merci de votre visite : ticket %(code)s", code=c["code"]),
            _(
                "SmartQueue: merci de votre visite, %(branch)s. "
                "Notez-la de 1 à 5 : %(link)s",
                **c,
            ),
        )
    if kind is K.LEAVE_NOW and "date" in c:  # an appointment's departure
        return Words(
            _("Partez maintenant pour votre rendez-vous de %(time)s", time=c["time"]),
            _(
                "SmartQueue: partez maintenant pour votre RDV de %(time)s à "
                "%(branch)s (trajet env. %(minutes)s min).",
                **c,
            ),
        )
    if kind is K.LEAVE_NOW:
        return Words(
            _(
                "Partez maintenant pour arriver à temps : ticket %(code)s",
                code=c["code"],
            ),
            _(
                "SmartQueue: partez maintenant pour %(code)s à %(branch)s "
                "(trajet env. %(minutes)s min).",
                **c,
            ),
        )
    if kind is K.APPOINTMENT_CONFIRMED:
        return Words(
            _("Rendez-vous confirmé le %(date)s à %(time)s", **c),
            _(
                "SmartQueue: RDV %(number)s confirmé le %(short_date)s à %(time)s, "
                "%(branch)s.",
                **c,
            ),
        )
    if kind is K.APPOINTMENT_MOVED:
        return Words(
            _("Rendez-vous déplacé au %(date)s à %(time)s", **c),
            _(
                "SmartQueue: RDV %(number)s déplacé au %(short_date)s à %(time)s, "
                "%(branch)s.",
                **c,
            ),
        )
    if kind is K.APPOINTMENT_CANCELLED:
        return Words(
            _("Rendez-vous annulé : %(number)s", number=c["number"]),
            _(
                "SmartQueue: RDV %(number)s du %(short_date)s à %(time)s annulé.",
                **c,
            ),
        )
    if kind is K.APPOINTMENT_REMINDER:
        title = (
            _("Rappel : votre rendez-vous à %(time)s", time=c["time"])
            if c.get("which") == "2h"
            else _("Rappel : rendez-vous le %(date)s à %(time)s", **c)
        )
        return Words(
            title,
            _(
                "SmartQueue: RDV %(short_date)s à %(time)s, %(branch)s. "
                "Répondez OUI pour confirmer, NON pour annuler.",
                **c,
            ),
        )
    if kind is K.QUEUE_PAUSED:
        return Words(
            _("File en pause : %(service)s", service=c["service"]),
            _(
                "SmartQueue: la file %(service)s (%(branch)s) est en pause. "
                "Votre ticket %(code)s reste valable.",
                **c,
            ),
        )
    if kind is K.QUEUE_CLOSED:
        return Words(
            _("File fermée : %(service)s", service=c["service"]),
            _(
                "SmartQueue: la file %(service)s (%(branch)s) ne prend plus de "
                "tickets. Le vôtre, %(code)s, reste valable.",
                **c,
            ),
        )
    if kind is K.URGENT:
        return Words(
            _("Message de %(branch)s", branch=c["branch"]),
            f"{c['branch']}: {c['message']}",
        )
    if kind is K.SMS_REPLY:
        return Words("SmartQueue", c["message"])
    if kind is K.PAYMENT_RECEIVED:
        return Words(
            _("Paiement reçu : %(amount)s", amount=c["amount"]),
            _(
                "SmartQueue: paiement de %(amount)s reçu (%(method)s), "
                "réf. %(reference)s.",
                **c,
            ),
        )
    if kind is K.PAYMENT_REFUNDED:
        return Words(
            _("Paiement remboursé : %(amount)s", amount=c["amount"]),
            _(
                "SmartQueue: %(amount)s remboursés sur votre compte %(method)s, "
                "réf. %(reference)s.",
                **c,
            ),
        )
    raise ValueError(f"no words for {kind}")


def ticket_context(ticket, ahead: int = 0, minutes: int = 0, **extra) -> dict:
    """What a ticket's notices say: its code, service, branch, counter, place."""
    return {
        "code": ticket.code,
        "service": cut(ticket.service.name_for(ticket.locale)),
        "branch": cut(ticket.branch.name),
        "counter": ticket.counter.number if ticket.counter else "",
        "ahead": ahead,
        "minutes": minutes,
        **extra,
    }


def appointment_context(appointment, locale: str) -> dict:
    """What an appointment's notices say: its number, day and time, branch."""
    local = clock.local(appointment.starts_at)
    with force_locale(locale):
        date = format_date(local.date(), "full")
        short_date = format_date(local.date(), "d/M")
    return {
        "number": appointment.number,
        "date": date,
        "short_date": short_date,
        "time": f"{local:%H:%M}",
        "branch": cut(appointment.branch.name),
    }


def payment_context(payment) -> dict:
    """What a payment's notices say: its amount (plain spaces: an SMS is GSM-7), how
    it was paid, its reference."""
    return {
        "amount": f"{payment.amount_fcfa:,}".replace(",", " ") + " FCFA",
        "method": METHOD_NAMES.get(payment.method.value, payment.method.value),
        "reference": payment.reference,
    }


# Brand names, the same in every language.
METHOD_NAMES = {
    "wave": "Wave",
    "orange_money": "Orange Money",
    "free_money": "Free Money",
}


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    html: str


def email(
    locale: str,
    said: Words,
    *,
    template: str | None,
    link: str | None,
    unsubscribe: str | None,
    **context,
) -> Email:
    """The email of a notice: the kind's template if it has one, else the short text in
    a plain one; the unsubscribe link under both."""
    with force_locale(locale):
        name = template or "notification"
        values = dict(context, words=said, link=link, unsubscribe=unsubscribe)
        body = render_template(f"emails/{name}.txt", **values)
        html = render_template(f"emails/{name}.html", **values)
        footer_text = render_template("emails/_footer.txt", **values)
        footer_html = render_template("emails/_footer.html", **values)
    return Email(said.title, body.rstrip() + "\n\n" + footer_text, html + footer_html)
