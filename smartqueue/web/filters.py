"""Template filters: FCFA amounts, phone numbers, Dakar time, enum labels."""

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from .. import clock
from ..accounts.phones import format_phone
from ..orgs.policy import can_use_manage
from ..payments.fees import fcfa
from ..queueing.queries import COUNT_CAP
from . import labels


def waiting_count(count: int) -> str:
    """A waiting count as screens show it: counts stop at COUNT_CAP (see count_waiting)."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def register(app: Flask) -> None:
    app.add_template_filter(waiting_count, "waiting_count")
    app.add_template_global(COUNT_CAP, "COUNT_CAP")
    app.add_template_filter(fcfa, "fcfa")
    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(
        lambda dt, fmt="short": format_datetime(dt, fmt) if dt else "", "dakar_time"
    )
    app.add_template_filter(labels.label, "label")
    app.add_template_global(labels.WEEKDAYS, "WEEKDAYS")
    app.add_template_global(can_use_manage, "can_use_manage")
    app.add_template_filter(format_date, "format_date")
    app.add_template_global(clock.today, "today")
    app.add_template_global(lambda: str(get_locale() or "fr"), "current_locale")
