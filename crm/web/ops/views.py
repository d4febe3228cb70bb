"""For load balancers and monitoring: liveness, readiness, metrics."""
from flask import current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from crm.extensions import db
from crm.formatting import today_local
from crm.observability import metrics
from crm.web.ops import bp
from crm.workdays import days


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"
        db.session.rollback()
        checks["database"] = f"error: {type(exc).__name__}"
    url = current_app.config.get("REDIS_URL")
    if url:
        import redis

        from crm import redis_client
        try:
            redis_client.for_app(current_app.config, timeout=1).ping()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (tasks run in-process)"
    ready = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    # Not a readiness failure (the app works, on a provisional Monday–Friday), but the
    # daily health check must see it: the State Council's notice is due to be entered.
    if checks["database"] == "ok":
        missing = days.missing_years(today_local())
        checks["calendar"] = ("ok" if not missing else
                              "missing holidays for " + ", ".join(map(str, missing)))
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.route("/metrics")
def prometheus():
    return metrics.render(current_app), 200, {"Content-Type": CONTENT_TYPE_LATEST}
