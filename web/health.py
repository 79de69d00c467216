"""``GET /healthz``: is each dependency reachable? Used by nginx, the orchestrator and people.

Answers 200 when the database, Redis and the object store all respond, else 503;
the body names each component's state so an operator sees which one is down.
"""

from __future__ import annotations

import time

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


def _probe(fn) -> dict:
    start = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported by type only
        return {"ok": False, "error": type(exc).__name__, "ms": round((time.perf_counter() - start) * 1000, 1)}
    return {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 1)}


@bp.get("/healthz")
def healthz():
    services = current_app.extensions["lifecert"]
    checks = {
        "database": _probe(services.db.ping),
        "redis": _probe(lambda: services.redis.ping()),
        "object_store": _probe(services.objects.ping),
    }
    ok = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), (200 if ok else 503)
