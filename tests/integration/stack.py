"""A real Docket stack for integration tests: PostgreSQL, Redis and `dramatiq` worker processes.

The test talks to the app through the Flask test client (same settings as the workers), and the
workers run as separate processes exactly as `make run` starts them, so they can be killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from app.config import PROJECT_ROOT
from app.models import Case, db
from tests.conftest import make_settings

BIN = Path(sys.executable).parent


@dataclass
class Stack:
    settings: dict[str, Any]
    app: Flask
    log_dir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "AI_", "S3_"))}
        env.update({k: str(v) for k, v in self.settings.items() if isinstance(v, str | int | float)})
        return env

    def start_worker(self, *, threads: int = 2, sweeper: bool = True) -> subprocess.Popen[bytes]:
        """A `dramatiq` worker group as `make run` starts it (and, by default, a sweeper beside it);
        returns the worker group, which a test may kill."""
        worker = self._spawn(
            "worker", [str(BIN / "dramatiq"), "workers", "--processes", "1", "--threads", str(threads)]
        )
        if sweeper:
            self._spawn("sweeper", [sys.executable, "-m", "workers.sweeper"])
        return worker

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}-{len(self.workers)}.log").open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(process)
        return process

    def stop_workers(self, sig: int = signal.SIGTERM) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, sig)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        self.workers.clear()

    def close(self) -> None:
        self.stop_workers()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def case(self, case_id: str) -> Case:
        with self.app.app_context():
            case = db.session.get(Case, case_id)
            assert case is not None
            _ = case.files, case.events  # load before the session closes
            db.session.expunge_all()
            return case

    def wait_for(self, case_id: str, done: Callable[[Case], bool], timeout: float = 90) -> Case:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            case = self.case(case_id)
            if done(case):
                return case
            time.sleep(0.2)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("*.log")))
        raise AssertionError(f"case {case_id} stuck at {case.status}/{case.step}; worker logs:\n{logs}")


def build_stack(tmp_path: Path, database_url: str, redis: dict[str, str], **overrides: Any) -> Stack:
    quick = {
        "LEASE_SECONDS": 3,
        "SWEEP_INTERVAL_SECONDS": 1,
        "SUBMITTED_GRACE_SECONDS": 1,
        "RETRY_BACKOFF_SECONDS": 1,
    }
    settings = make_settings(tmp_path, DATABASE_URL=database_url, **(redis | quick | overrides))
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    return Stack(settings=settings, app=app, log_dir=log_dir)
