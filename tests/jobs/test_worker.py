"""A real RQ worker process, a real Redis and a real SMTP sink."""

from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select, text

from smartqueue.accounts import operations as accounts
from smartqueue.jobs import enqueue
from tests.services import run_worker

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.production


def test_worker_process_sends_the_verification_mail_after_commit(
    app, app_config, backend, mailbox
):
    user = accounts.register_user("awa@example.sn", "s3cret-pass")
    assert mailbox.messages() == []  # queued in Redis, not sent by the web process
    assert (
        Queue("default", connection=Redis.from_url(app_config["REDIS_URL"])).count == 1
    )
    result = run_worker(app_config, mailbox.port)
    assert result.returncode == 0, result.stderr[-2000:]
    # Its log line carries the job's id (what an operator greps for).
    assert "[job sq-outbox-1] job smartqueue.jobs.mail.send_verification_code" in (
        result.stderr
    )
    code = mailbox.last_code("awa@example.sn")
    accounts.verify_email(user, code)
    assert user.is_verified


def test_healthz_reports_redis_and_the_worker_heartbeat(
    app, app_config, backend, client, mailbox
):
    before = client.get("/healthz").get_json()
    assert before["database"] == "ok" and before["redis"] == "ok"
    assert run_worker(app_config, mailbox.port).returncode == 0
    after = client.get("/healthz").get_json()
    assert (
        after["worker_heartbeat"] is not None
        and after["worker_heartbeat"] != before["worker_heartbeat"]
    )


def test_healthz_says_when_redis_is_down(app, backend, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("sq_redis", None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("error")


def test_enqueue_in_embedded_mode_runs_the_job_after_commit_and_survives_its_failure(
    app, app_config, mailbox
):
    from smartqueue import create_app
    from smartqueue.extensions import db
    from smartqueue.models import OutboxJob

    embedded = create_app(dict(app_config, REDIS_URL=None))
    RAN.clear()
    with embedded.app_context():
        db.session.execute(text("SELECT 1"))  # a unit of work in progress
        enqueue(_record, 1)
        assert RAN == []  # not before the commit
        db.session.commit()
        assert RAN == [1]
        # Logged, not raised: the unit of work that asked for it has committed.
        enqueue(_explode)
        failed = db.session.scalars(select(OutboxJob)).one()
        assert failed.func.endswith("_explode") and failed.attempts == 1
        assert failed.last_error == "RuntimeError: job failed"
        db.session.remove()


def test_jobs_asked_for_around_a_savepoint_run_after_the_outermost_commit(
    app, app_config
):
    from smartqueue import create_app
    from smartqueue.extensions import db
    embedded = create_app(dict(app_config, REDIS_URL=None))
    RAN.clear()
    with embedded.app_context():
        db.session.execute(text("SELECT 1"))  # a unit of work in progress
        enqueue(_record, "before")
        kept = db.session.begin_nested()
        enqueue(_record, "kept")
        kept.commit()  # a SAVEPOINT released: nothing is committed yet
        assert RAN == []
        dropped = db.session.begin_nested()
        enqueue(_record, "dropped")
        dropped.rollback()  # only what it wrote is gone
        db.session.commit()
        assert RAN == ["before", "kept"]
        db.session.remove()


RAN: list = []


def _record(value):
    RAN.append(value)


def _explode():
    raise RuntimeError("job failed")


def test_embedded_mail_is_printed_and_saved_under_instance_mail(
    app, app_config, tmp_path, capsys
):
    from email import message_from_bytes, policy

    from smartqueue import create_app
    from smartqueue.extensions import db

    embedded = create_app(
        dict(app_config, REDIS_URL=None, MAIL_SERVER=None, MAIL_DIR=str(tmp_path))
    )
    with embedded.test_request_context():
        try:
            accounts.register_user("awa@example.sn", "s3cret-pass")
        finally:
            db.session.remove()
    saved = list(tmp_path.glob("*.eml"))
    assert len(saved) == 1
    message = message_from_bytes(saved[0].read_bytes(), policy=policy.default)
    code = message["Subject"].rsplit(" ", 1)[-1]
    assert code.isdigit() and len(code) == 6
    assert code in capsys.readouterr().out
