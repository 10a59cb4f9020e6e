"""How long a case waits after its worker is killed, with the default lease and sweep settings.

Starts a real worker process (SQLite, Redis on 127.0.0.1:6379 with a queue namespace of its own, the
OpenAI stand-in hanging on the first call), SIGKILLs the worker during the AI call, starts a new one and
measures the time from the kill until the case is completed. Reported in bench/README.md.

    .venv/bin/python -m bench.recovery
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from app import config
from tests.integration.stack import build_stack
from tests.openai_fake import answer, running, summary_dict


def main() -> None:
    defaults = config.load({})
    calls = []

    def hang_first(body: dict) -> object:
        calls.append(time.monotonic())
        return answer(summary_dict(), delay=900 if len(calls) == 1 else 0)

    with tempfile.TemporaryDirectory() as tmp, running(hang_first) as fake:
        redis = {
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "REDIS_NAMESPACE": f"docket-bench-{uuid.uuid4().hex[:8]}",
        }
        timings = {
            name: defaults[name]
            for name in ("LEASE_SECONDS", "SWEEP_INTERVAL_SECONDS", "SUBMITTED_GRACE_SECONDS")
        }
        stack = build_stack(
            Path(tmp),
            f"sqlite:///{tmp}/bench.db",
            redis,
            AI_PROVIDER="openai",
            OPENAI_BASE_URL=fake.base_url,
            OPENAI_API_KEY="bench",
            **timings,
        )
        try:
            due = (date.today() + timedelta(days=3)).isoformat()
            case_id = (
                stack.app.test_client()
                .post("/api/cases", json={"details": "Bench.", "due_date": due})
                .get_json()["id"]
            )
            worker = stack.start_worker()
            stack.wait_for(case_id, lambda c: bool(calls) and "summarizing" in (c.step or ""), timeout=120)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            killed = time.monotonic()
            stack.start_worker()
            case = stack.wait_for(case_id, lambda c: c.is_final, timeout=600)
            took = time.monotonic() - killed
        finally:
            stack.close()
    print(f"settings: {timings}")
    print(f"case {case.status} after {case.attempts} attempts; {took:.1f} s from the kill to completed")


if __name__ == "__main__":
    main()
