"""AI provider chaos with real worker processes: 429s, 500s, timeouts and malformed answers from the
local OpenAI stand-in. Every case completes or fails with a readable reason; a failed one can be retried;
a worker killed during an AI call is recovered and the case completes once."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import CaseStatus
from tests.conftest import due_in
from tests.integration.stack import Stack, build_stack
from tests.openai_fake import FakeOpenAI, Reply, answer, error, running, summary_dict

pytestmark = pytest.mark.integration

MARK = re.compile(r"CHAOS-([a-z0-9-]+)")


# What the stand-in answers, call by call, for each scenario; then a valid summary.
SCRIPTS = {
    "ok": [],
    "429-then-ok": [error(429, "Rate limit reached", headers={"Retry-After": "1"})],
    "500-twice-then-ok": [error(500, "server error"), error(500, "server error")],
    "timeout-then-ok": [answer(summary_dict(), delay=4)],
    "always-500": [error(500, "server error")] * 100,
    "malformed": [answer("{not json")] * 100,
    "hang-once": [answer(summary_dict(), delay=60)],
}


class Chaos:
    """Answers by the scenario named in the case details: a script of replies per case."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.healed: set[str] = set()

    def __call__(self, body: dict) -> Reply:
        scenario = MARK.search(json.dumps(body)).group(1)
        with self.lock:
            n = self.calls[scenario]
            self.calls[scenario] += 1
        script = [] if scenario in self.healed else SCRIPTS[scenario]
        return script[n] if n < len(script) else answer(summary_dict(overview=f"Summary for {scenario}."))


@pytest.fixture
def chaos() -> Iterator[tuple[Chaos, FakeOpenAI]]:
    scripted = Chaos()
    with running(scripted) as fake:
        yield scripted, fake


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str, redis_settings: dict[str, str], chaos) -> Iterator[Stack]:
    _, fake = chaos
    stack = build_stack(
        tmp_path,
        postgres_url,
        redis_settings,
        AI_PROVIDER="openai",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY="test-key",
        AI_CALL_TIMEOUT_SECONDS=2,
        AI_MAX_CALL_ATTEMPTS=3,
        AI_BACKOFF_SECONDS=0.2,
        MAX_ATTEMPTS=2,
    )
    yield stack
    stack.close()


def submit(stack: Stack, scenario: str) -> str:
    response = stack.app.test_client().post(
        "/api/cases", json={"details": f"Scenario CHAOS-{scenario}: review the file.", "due_date": due_in(3)}
    )
    assert response.status_code == 202
    return response.get_json()["id"]


def test_every_case_completes_or_fails_with_a_readable_reason(stack: Stack, chaos) -> None:
    scripted, _ = chaos
    scenarios = ["ok", "429-then-ok", "500-twice-then-ok", "timeout-then-ok", "always-500", "malformed"]
    ids = {scenario: submit(stack, scenario) for scenario in scenarios}
    steps: set[str] = set()
    stack.start_worker(threads=4)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = {s: stack.case(i) for s, i in ids.items()}
        steps |= {c.step for c in found.values() if c.step}
        if all(c.is_final for c in found.values()):
            break
        time.sleep(0.1)
    for scenario in ["ok", "429-then-ok", "500-twice-then-ok", "timeout-then-ok"]:
        case = found[scenario]
        assert case.status == CaseStatus.COMPLETED, (scenario, case.error)
        assert case.summary["overview"] == f"Summary for {scenario}." and case.ai_model
    failing = found["always-500"]
    assert failing.status == CaseStatus.FAILED and failing.attempts == 2
    assert "500" in failing.error or "server" in failing.error.lower()
    assert found["malformed"].status == CaseStatus.FAILED
    assert "JSON" in found["malformed"].error or "valid" in found["malformed"].error
    assert any("AI call retrying" in step for step in steps), steps
    # Bounded: 3 calls an attempt, 2 attempts a case.
    assert scripted.calls["always-500"] == 6

    # The Retry button's API: once the provider is healthy, the failed case completes.
    scripted.healed.add("always-500")
    retried = stack.app.test_client().post(f"/api/cases/{failing.id}/retry")
    assert retried.status_code == 202
    assert stack.wait_for(failing.id, lambda c: c.is_final).status == CaseStatus.COMPLETED


def test_a_worker_killed_during_the_ai_call_is_recovered_and_completes_once(stack: Stack, chaos) -> None:
    scripted, _ = chaos
    stack.settings["AI_CALL_TIMEOUT_SECONDS"] = 120  # the hung call must still be waiting when killed
    case_id = submit(stack, "hang-once")
    worker = stack.start_worker()
    stack.wait_for(case_id, lambda c: scripted.calls["hang-once"] == 1 and "summarizing" in (c.step or ""))
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    stack.start_worker()
    case = stack.wait_for(case_id, lambda c: c.is_final)
    assert case.status == CaseStatus.COMPLETED and case.attempts == 2
    assert case.summary["overview"] == "Summary for hang-once."
    assert [e.kind for e in case.events].count("completed") == 1
    assert any("interrupted" in e.message for e in case.events)
