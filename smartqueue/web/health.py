"""/healthz: is the database reachable, is Redis, when did a worker last beat, and how
many jobs wait in the outbox (and since when)."""

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text

from ..extensions import db, get_redis, limiter
from ..jobs import last_heartbeat, outbox_backlog

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    report = {
        "database": "ok",
        "redis": "not configured",
        "worker_heartbeat": None,
        "outbox": None,
    }
    try:
        db.session.execute(text("SELECT 1"))
        # A growing backlog or an old oldest job: workers down, or Redis unreachable.
        report["outbox"] = outbox_backlog()
        db.session.commit()
    except Exception as error:  # any driver error means unreachable
        db.session.rollback()
        report["database"] = f"error: {type(error).__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            get_redis().ping()
            report["redis"] = "ok"
            report["worker_heartbeat"] = last_heartbeat()
        except RedisError as error:
            report["redis"] = f"error: {type(error).__name__}"
    else:
        report["worker_heartbeat"] = "in-process"
    healthy = report["database"] == "ok" and report["redis"] in ("ok", "not configured")
    return jsonify(
        status="ok" if healthy else "error", **report
    ), 200 if healthy else 503
