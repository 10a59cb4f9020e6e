"""The periodic sweeper, run as a process beside the workers (`dramatiq --fork-function`).

It re-sends cases nobody is working on (see `app.cases.sweep`); several may run at once.
"""

from __future__ import annotations

import logging
import signal
import threading

from app import cases
from workers import app

log = logging.getLogger(__name__)


def run() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    interval = app.config["SWEEP_INTERVAL_SECONDS"]
    log.info("sweeper running every %s s", interval)
    while not stop.wait(interval):
        with app.app_context():
            try:
                woken = cases.sweep()
            except Exception:
                # The database or broker is down: try again next round.
                log.exception("sweep failed")
                continue
        if woken:
            log.info("sweeper re-sent %d case(s): %s", len(woken), ", ".join(woken))
    return 0
