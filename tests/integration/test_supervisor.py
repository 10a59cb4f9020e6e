"""`make run` (app.supervisor) keeps everything alive and Ctrl-C stops everything.

The real supervisor with its embedded Redis: a killed worker, sweeper or Redis comes back, a case
submitted afterwards is processed, and SIGINT leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.integration

NAMES = {"redis": "redis-server", "web": "gunicorn", "worker": "dramatiq", "sweeper": "workers.sweeper"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes() -> list[tuple[int, int, int, str]]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,ppid,pgid,args"], capture_output=True, text=True).stdout
    return [
        (int(a), int(b), int(c), args)
        for a, b, c, args in (line.split(None, 3) for line in out.splitlines()[1:])
    ]


def children(supervisor: int) -> dict[str, int]:
    """The supervisor's children by name (redis, web, worker, sweeper) -> pid."""
    found = {}
    for pid, ppid, _, args in processes():
        if ppid == supervisor:
            found.update({name: pid for name, marker in NAMES.items() if marker in args})
    return found


def wait(condition: Callable[[], object], timeout: float = 90) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.3)
    raise AssertionError("timed out")


def http(url: str, data: dict | None = None) -> tuple[int, dict]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except OSError:
        return 0, {}


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "AI_", "S3_", "REDIS_"))
    }
    env.update(
        INSTANCE_DIR=str(tmp_path),
        PORT=str(port),
        WORKER_PROCESSES="1",
        WORKER_THREADS="2",
        SECRET_KEY="test",
        SWEEP_INTERVAL_SECONDS="1",
        SUBMITTED_GRACE_SECONDS="1",
    )
    with (tmp_path / "run.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.supervisor"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: http(f"{base}/readyz")[0] == 200 and len(children(process.pid)) == 4)
        yield process, base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=90)


def test_killed_children_come_back_and_ctrl_c_stops_everything(supervisor, tmp_path: Path) -> None:
    process, base = supervisor
    before = children(process.pid)
    groups = {pid for pid in before.values()}

    # A worker process (a grandchild), the sweeper and the embedded Redis, each SIGKILLed.
    worker_process = next(pid for pid, ppid, _, _ in processes() if ppid == before["worker"])
    for pid in (worker_process, before["sweeper"], before["redis"]):
        os.kill(pid, signal.SIGKILL)
    after = wait(
        lambda: (
            (now := children(process.pid))
            and len(now) == 4
            and all(now[name] != before[name] for name in ("worker", "sweeper", "redis"))
            and now
        )
    )
    assert after["web"] == before["web"]

    due = (date.today() + timedelta(days=3)).isoformat()
    status, case = http(f"{base}/api/cases", {"details": "After the restarts.", "due_date": due})
    assert status == 202
    wait(lambda: http(f"{base}/api/cases/{case['id']}")[1].get("status") == "completed")

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=90) == 0
    groups |= set(after.values())
    left = [args for _, _, pgid, args in processes() if pgid in groups]
    assert left == [], left
    log = (tmp_path / "run.log").read_text()
    assert "worker exited" in log and "sweeper exited" in log and "redis exited" in log
