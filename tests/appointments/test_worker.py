"""Reminders sent by a real RQ worker process, through the private Redis, to the SMTP sink.

The worker runs on the real clock: the appointment starts in about 23 h from now and was
booked two days ago (the clock frozen then), so its 24 h reminder is due now."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from smartqueue import clock
from smartqueue.appointments import operations as ops
from smartqueue.appointments import queries
from smartqueue.jobs import enqueue, reminders, schedule
from smartqueue.notifications import notices
from tests.services import run_worker

from .helpers import open_all_week

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.production


def test_worker_sends_the_due_24h_reminder_once_and_none_for_a_cancelled_one(
    app, app_config, backend, db, mailbox, make_branch, make_service, make_user
):
    branch = make_branch()
    service = make_service(branch, "A")
    open_all_week(branch, service)
    now = datetime.now(timezone.utc)
    starts_at = next(
        slot.starts_at
        for day in (clock.today(), clock.today() + timedelta(days=1))
        for slot in queries.list_slots(service, day)
        if now + timedelta(hours=22)
        < slot.starts_at
        <= now + timedelta(hours=23, minutes=50)
    )
    awa, moussa = make_user(), make_user()
    clock.freeze(now - timedelta(days=2))  # booked two days ago
    try:
        due = ops.book_appointment(awa, service, starts_at)
        cancelled = ops.book_appointment(moussa, service, starts_at)
        ops.cancel_appointment(cancelled, by=moussa)
    finally:
        clock.freeze(None)
    enqueue(schedule.run_appointment_jobs)
    queue = Queue("default", connection=Redis.from_url(app_config["REDIS_URL"]))
    assert queue.count == 4  # two confirmations, one cancellation, the periodic job
    assert mailbox.messages() == []  # nothing sent by this process

    result = run_worker(app_config, mailbox.port)

    assert result.returncode == 0, result.stderr[-2000:]
    assert queue.count == 0
    got = [str(m["Subject"]) for m in mailbox.messages(awa.email)]
    assert [s for s in got if s.startswith("Rappel")] == [
        f"Rappel : rendez-vous le {_date(starts_at)} à {starts_at:%H:%M}"
    ]
    assert len(got) == 2  # and the confirmation
    assert not any(
        str(m["Subject"]).startswith("Rappel") for m in mailbox.messages(moussa.email)
    )
    db.session.refresh(due)
    assert due.reminder_24h_sent_at is not None
    # Sent once: nothing left to send or to claim.
    assert reminders.send_due_reminders() == 0
    assert notices.tell_reminder(due.id, "24h") == 0


def _date(moment):
    from flask_babel import force_locale, format_date

    with force_locale("fr"):
        return format_date(moment.date(), "full")
