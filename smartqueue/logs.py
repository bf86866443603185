"""Logs: one line per request, each line carrying its request id (or its job's id).

Plain text for a terminal (`make run`), JSON lines for a production log shipper
(`LOG_FORMAT=json`). A request id comes from the caller's `X-Request-ID` when it looks
like one (a proxy or load balancer that set it can then follow the request here), else is
made here; it is returned in the answer's `X-Request-ID` and shown on error pages, so that
a user can quote it.

The request line names the route's rule (`/board/<token>`), not the path: paths carry
device links', tickets' and invitations' secret tokens, which logs must not hold.
"""

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from rq import get_current_job

log = logging.getLogger("smartqueue.requests")

INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")


class ContextFilter(logging.Filter):
    """Adds the request id and user id, or the job id, to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):  # the request line brings its own
            record.request_id = record.user_id = record.job_id = None
            if has_request_context():
                record.request_id = g.get("request_id")
                record.user_id = _user_id()
            else:
                job = get_current_job()
                record.job_id = job.id if job else None
        record.context = (
            f"req {record.request_id}"
            if record.request_id
            else f"job {record.job_id}"
            if record.job_id
            else "-"
        )
        return True


class _NoAccessLines(logging.Filter):
    """The development server's own request lines repeat ours, with the secret paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        return '] "%s" %s %s' not in str(record.msg)


def _user_id() -> int | None:
    # Only the user Flask-Login already loaded: logging must not query the database.
    user = g.get("_login_user")
    return getattr(user, "id", None) if user is not None else None


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "context", "taskName"],
        )
    return logging.Formatter(PLAIN)


def configure(app: Flask) -> None:
    """Once per process: a handler on the root logger (idempotent, tests build many apps)."""
    root = logging.getLogger()
    kind = app.config.get("LOG_FORMAT", "plain")
    ours = [h for h in root.handlers if getattr(h, "smartqueue", False)]
    handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
    handler.smartqueue = True
    handler.setFormatter(_formatter(kind))
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
    if not ours:
        root.addHandler(handler)
    logging.getLogger("smartqueue").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoAccessLines) for f in werkzeug.filters):
        werkzeug.addFilter(_NoAccessLines())
    _install_request_hooks(app)


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def _start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = (
            incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex[:16]
        )
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id")
        if request_id is None:  # a hook before ours refused the request
            _start_request()
            request_id = g.request_id
        response.headers["X-Request-ID"] = request_id
        duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
        route = request.url_rule.rule if request.url_rule else "(no route)"
        log.info(
            "%s %s %s %.1f ms",
            request.method,
            route,
            response.status_code,
            duration_ms,
            extra={
                "request_id": request_id,
                "user_id": _user_id(),
                "job_id": None,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response


def request_id() -> str | None:
    """This request's id (error pages show it)."""
    return g.get("request_id") if has_request_context() else None
