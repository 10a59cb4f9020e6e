"""Nothing lost, nothing doubled: killed workers, Redis down at submit, a supervisor that restarts.

Real PostgreSQL, real Redis, real `dramatiq` worker processes killed with SIGKILL. Lease and sweep
timings are short settings (see tests/integration/stack.py) so recovery takes seconds.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import CaseStatus
from tests.conftest import due_in
from tests.docs import join_pdfs, make_scanned_pdf
from tests.integration.stack import Stack, build_stack

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("tesseract")]


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str, redis_settings: dict[str, str]) -> Iterator[Stack]:
    stack = build_stack(tmp_path, postgres_url, redis_settings, MAX_ATTEMPTS=3)
    yield stack
    stack.close()


def slow_scan(pages: int = 8) -> bytes:
    """A scanned PDF that takes the worker a few seconds of OCR, page by page."""
    return join_pdfs(
        *(make_scanned_pdf([f"Page {n} of the scanned lease", "Rent is due monthly."]) for n in range(pages))
    )


def submit_scan(stack: Stack) -> str:
    response = stack.app.test_client().post(
        "/api/cases",
        data={
            "details": "Scanned lease to read.",
            "due_date": due_in(4),
            "files": [(io.BytesIO(slow_scan()), "scan.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    return response.get_json()["id"]


def kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def test_a_worker_killed_during_extraction_is_recovered_and_the_case_completes_once(stack: Stack) -> None:
    case_id = submit_scan(stack)
    worker = stack.start_worker()
    stack.wait_for(case_id, lambda c: "OCR of page" in (c.step or ""))
    kill(worker)
    killed_at = time.monotonic()

    stack.start_worker()
    case = stack.wait_for(case_id, lambda c: c.is_final)
    recovered_in = time.monotonic() - killed_at
    assert case.status == CaseStatus.COMPLETED and case.attempts == 2
    messages = [e.message for e in case.events]
    assert any("previous attempt was interrupted" in m for m in messages)
    assert [e.kind for e in case.events].count("completed") == 1
    print(
        f"recovered and completed {recovered_in:.1f} s after the kill (lease {stack.settings['LEASE_SECONDS']} s)"
    )


def test_a_case_that_kills_its_worker_every_time_ends_failed(stack: Stack) -> None:
    stack.settings["MAX_ATTEMPTS"] = 2
    case_id = submit_scan(stack)
    for attempt in (1, 2):
        worker = stack.start_worker()
        stack.wait_for(case_id, lambda c, n=attempt: c.attempts == n and "OCR of page" in (c.step or ""))
        kill(worker)
    stack.start_worker()
    case = stack.wait_for(case_id, lambda c: c.is_final)
    assert case.status == CaseStatus.FAILED
    assert (
        case.error
        == "Processing stopped unexpectedly 2 times (the worker was interrupted or ran out of time)."
    )
    assert case.summary is None


def test_redis_down_at_submit_keeps_the_case_and_the_sweeper_sends_it_later(
    stack: Stack, tmp_path: Path
) -> None:
    from app import create_app

    down = create_app(stack.settings | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    client = down.test_client()
    api = client.post("/api/cases", json={"details": "Submitted while Redis is down.", "due_date": due_in(3)})
    assert api.status_code == 202
    web_page = client.get("/cases/new").get_data(as_text=True)
    token = web_page.split('name="form_token" value="')[1].split('"')[0]
    web = client.post(
        "/cases/new", data={"form_token": token, "details": "Also while down.", "due_date": due_in(3)}
    )
    assert web.status_code == 303
    ids = [api.get_json()["id"], web.headers["Location"].rsplit("/", 1)[1]]
    for case_id in ids:
        case = stack.case(case_id)
        assert case.status == CaseStatus.SUBMITTED and case.enqueued_at is None
        assert case.events[-1].kind == "queue_unavailable"

    stack.start_worker()  # Redis is there for the worker and its sweeper
    for case_id in ids:
        assert stack.wait_for(case_id, lambda c: c.is_final).status == CaseStatus.COMPLETED
    with down.app_context():
        from app.models import db

        db.engine.dispose()
