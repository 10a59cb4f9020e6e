"""`make run`: everything Docket needs, in one terminal, stopped by one Ctrl-C.

Starts the embedded Redis (only when REDIS_URL is unset), applies migrations, then runs and
watches the web server (gunicorn) and the Dramatiq workers with their sweeper. A child that
dies is restarted with a growing pause, so a killed worker comes back by itself.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from dotenv import load_dotenv

from app import config
from app.queue import embedded_redis_url

log = logging.getLogger("docket.run")
PYTHON_BIN = os.path.dirname(sys.executable)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = field(default=0.0)

    def start(self, env: dict[str, str]) -> None:
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        self.process = subprocess.Popen(self.argv, env=env, cwd=config.PROJECT_ROOT)
        self.started_at = time.monotonic()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


def _bin(name: str) -> str:
    return os.path.join(PYTHON_BIN, name)


def children(settings: dict[str, object]) -> list[Child]:
    return [
        Child(
            "web",
            [
                _bin("gunicorn"),
                "wsgi:app",
                "--bind",
                f"{settings['HOST']}:{settings['PORT']}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "300",
                "--access-logfile",
                "-",
            ],
        ),
        Child(
            "worker",
            [
                _bin("dramatiq"),
                "workers",
                "--processes",
                str(settings["WORKER_PROCESSES"]),
                "--threads",
                str(settings["WORKER_THREADS"]),
                "--fork-function",
                "workers.sweeper:run",
            ],
        ),
    ]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_dotenv(config.PROJECT_ROOT / ".env")
    settings = config.load()
    env = dict(os.environ)
    if not settings["REDIS_URL"]:
        env["REDIS_URL"] = embedded_redis_url(settings["INSTANCE_DIR"])
        log.info("embedded Redis at %s", env["REDIS_URL"])

    subprocess.run(
        [_bin("flask"), "--app", "wsgi", "db", "upgrade"], env=env, cwd=config.PROJECT_ROOT, check=True
    )

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    watched = children(settings)
    for child in watched:
        child.start(env)
    log.info("Docket is running on %s (Ctrl-C stops everything)", settings["PUBLIC_BASE_URL"])
    while not stopping:
        time.sleep(0.5)
        for child in watched:
            _restart_if_dead(child, env)
    _stop_all(watched)
    return 0


def _restart_if_dead(child: Child, env: dict[str, str]) -> None:
    code = child.exited()
    if code is None:
        return
    now = time.monotonic()
    if child.next_start == 0.0:
        # A child that ran a while before dying starts over with a short pause.
        if now - child.started_at > 60:
            child.restarts = 0
        pause = min(2**child.restarts, 30)
        child.next_start = now + pause
        log.error("%s exited with code %s; restarting in %s s", child.name, code, pause)
    if now >= child.next_start:
        child.restarts += 1
        child.next_start = 0.0
        child.start(env)


def _stop_all(watched: list[Child]) -> None:
    log.info("stopping…")
    running = [c for c in watched if c.process and c.process.poll() is None]
    for child in running:
        child.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    deadline = time.monotonic() + 20
    for child in running:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", child.name)
            child.process.kill()  # type: ignore[union-attr]
    log.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
