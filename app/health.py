"""Readiness: `/readyz` tells a load balancer or orchestrator whether the database, the broker and
file storage answer. 200 when all three do, 503 otherwise, with one line per check."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from dramatiq.brokers.redis import RedisBroker
from flask import Blueprint, Flask, Response, jsonify

from app.models import db
from app.queue import get_broker
from app.storage import get_storage

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def check_database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def check_broker() -> None:
    broker = get_broker()
    # The stub broker (tests) lives in memory: there is nothing to reach.
    if isinstance(broker, RedisBroker):
        broker.client.ping()


def check_storage() -> None:
    # A real write, read and delete: a bucket that answers but refuses writes is not ready for uploads.
    get_storage().check()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    results = {name: _run(name, check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in results.values())
    response = jsonify(ready=ready, **results)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def _run(name: str, check: Callable[[], None]) -> dict[str, object]:
    try:
        check()
    except Exception as exc:
        log.warning("readiness: %s failed", name, exc_info=True)
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return {"ok": False, "message": f"{type(exc).__name__}: {first_line}".rstrip(": ")}
    return {"ok": True, "message": "ok"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
