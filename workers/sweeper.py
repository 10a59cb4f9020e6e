"""The periodic sweeper, a process of its own beside the workers (`python -m workers.sweeper`).

It re-sends cases nobody is working on (see `app.cases.sweep`) and Slack messages that could not be
posted (see `app.slack.notifier.retry_pending`); several may run at once.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from app import cases
from app.slack import notifier
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
                sent = notifier.retry_pending()
            except Exception:
                # The database or broker is down: try again next round.
                log.exception("sweep failed")
                continue
        if woken:
            log.info("sweeper re-sent %d case(s): %s", len(woken), ", ".join(woken))
        if sent:
            log.info("sweeper sent %d Slack message(s) for: %s", len(sent), ", ".join(sent))
    return 0


if __name__ == "__main__":
    sys.exit(run())
