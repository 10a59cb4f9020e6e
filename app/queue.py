"""The broker (Dramatiq on Redis) and the one message Docket sends.

The app enqueues by actor name so it never imports `workers/`; the workers import this
module, so the broker is set before any actor is declared. A message is only a wake-up
call: the database says what is to be done (see `app.cases.claim_case`).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

import dramatiq
import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from flask import Flask, current_app

log = logging.getLogger(__name__)

CASES_QUEUE = "cases"
PROCESS_CASE = "process_case"
MAX_SOCKET_PATH = 100


def embedded_redis_url(instance_dir: str) -> str:
    """Where the embedded Redis that `make run` starts listens: a socket under instance/.

    Used only when REDIS_URL is unset. A Unix socket path may be at most 107 bytes, so a deep
    checkout gets a short folder of its own under the temp dir, derived from the instance path so
    every process finds the same one.
    """
    instance = Path(instance_dir).resolve()
    socket = instance / "redis.sock"
    if len(str(socket)) > MAX_SOCKET_PATH:
        digest = hashlib.sha256(str(instance).encode()).hexdigest()[:12]
        socket = Path(tempfile.gettempdir()) / f"docket-{digest}" / "redis.sock"
    return f"unix://{socket}"


def build_broker(config: dict[str, Any]) -> dramatiq.Broker:
    url = config["REDIS_URL"]
    if url == "stub://":
        return StubBroker()
    if url is None:
        url = config["REDIS_URL"] = embedded_redis_url(config["INSTANCE_DIR"])
    # Redis-py waits forever by default. A submit (a Slack one must be answered within 3 s) may
    # spend at most about 3 s on a Redis that hangs before the case is saved without a message.
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
    return RedisBroker(client=client, namespace=config["REDIS_NAMESPACE"])


def get_broker(app: Flask | None = None) -> dramatiq.Broker:
    """The app's broker, built on first use (so CLI commands that never enqueue need no Redis)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    broker = app.extensions.get("docket.broker")
    if broker is None:
        broker = app.extensions["docket.broker"] = build_broker(app.config)
        dramatiq.set_broker(broker)
    return broker


def enqueue_case(case_id: str, *, delay_seconds: float = 0) -> None:
    """Wake a worker for this case. Raises if the broker is unreachable."""
    message = Message(
        queue_name=CASES_QUEUE,
        actor_name=PROCESS_CASE,
        args=(case_id,),
        kwargs={},
        options={},
    )
    broker = get_broker()
    broker.declare_queue(CASES_QUEUE)
    broker.enqueue(message, delay=int(delay_seconds * 1000) or None)
