"""The openai provider inside a real processing attempt: failures end the case with a readable
reason, and the summary page shows sections, usage and unverified items, all escaped."""

from __future__ import annotations

import io
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import cases, processing
from app.models import Case, CaseStatus, db
from app.summarize import CaseText, Progress, Result, SummaryError
from tests.conftest import due_in
from tests.openai_fake import FakeOpenAI, answer, error, summary_dict

NOTICE = b"NOTICE OF HEARING. The hearing is set for March 3, 2024 at 10:00 am before Judge Roe."


def run_case(app: Flask, **kwargs: Any) -> Case:
    with app.app_context():
        case_id = cases.create_case(
            source="api", title="Hearing", details="Prepare the hearing.", due_date=due_in(5), **kwargs
        ).case.id
        processing.process_case(case_id)
        db.session.expire_all()
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def test_500s_until_the_attempts_run_out_fail_the_case_with_the_reason(app: Flask, fake: FakeOpenAI) -> None:
    fake.push(*[error(500, "upstream overloaded")] * 3)
    case = run_case(app)
    assert case.status == CaseStatus.FAILED
    assert (
        case.error == "The AI service did not answer after 3 attempts (last: HTTP 500: upstream overloaded)."
    )
    assert len(fake.requests) == 3


def test_an_answer_that_never_validates_fails_the_case_for_good(app: Flask, fake: FakeOpenAI) -> None:
    app.config["MAX_ATTEMPTS"] = 3  # a retry of the case would not help: no second attempt
    fake.push(*[answer("<html>not a summary</html>")] * 3)
    case = run_case(app)
    assert case.status == CaseStatus.FAILED and case.attempts == 1
    assert (
        case.error == "The AI answer was not a valid summary after 3 attempts: the answer was not valid JSON."
    )


def test_the_attempt_gives_the_summarizer_its_deadline(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[CaseText] = []

    class Recorder:
        def summarize(self, case: CaseText, progress: Progress) -> Result:
            seen.append(case)
            raise SummaryError("recorded")

    monkeypatch.setattr(processing, "build_summarizer", lambda config: Recorder())
    started = time.monotonic()
    run_case(app)
    limit = app.config["CASE_TIME_LIMIT_SECONDS"]
    assert started < seen[0].deadline <= time.monotonic() + limit * processing.SUMMARY_DEADLINE_SHARE


def test_the_page_shows_the_summary_usage_and_unverified_items_escaped(
    app: Flask, client: FlaskClient, fake: FakeOpenAI
) -> None:
    source = {"file": "notice.txt", "page": None}
    fake.push(
        answer(
            summary_dict(
                overview="Hearing <script>alert('x')</script> ahead.",
                parties=[{"name": "Judge Roe", "role": "court", "source": source}],
                dates=[
                    {"date": "3/3/2024", "what": "Hearing", "is_deadline": True, "source": source},
                    {"date": "2024-03-04", "what": "<b>Brief due</b>", "is_deadline": True, "source": source},
                ],
                documents=[{"file": "notice.txt", "line": "The hearing notice.", "pages": None}],
            ),
            prompt_tokens=1234,
            completion_tokens=56,
        )
    )
    case = run_case(app, uploads=[cases.Upload(name="notice.txt", stream=io.BytesIO(NOTICE))])
    assert case.status == CaseStatus.COMPLETED, case.error
    assert (case.ai_model, case.ai_prompt_tokens, case.ai_completion_tokens) == ("fake-model-1", 1234, 56)
    assert [d["verified"] for d in case.summary["dates"]] == [True, False]

    html = client.get(f"/case/{case.id}").get_data(as_text=True)
    assert "Written by fake-model-1 (1234 prompt + 56 completion tokens)" in html
    assert "Hearing &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; ahead." in html
    assert "<script>alert" not in html and "<b>Brief due</b>" not in html
    brief = html[html.index("&lt;b&gt;Brief due&lt;/b&gt;") :]
    assert brief.index('class="unverified"') < brief.index("</li>")  # flagged on its own line
    hearing = html[html.index("<time>3/3/2024</time>") :]
    assert 'class="unverified"' not in hearing[: hearing.index("</li>")]
    sections = ["Overview", "Dates and deadlines", "Parties", "Documents", "How this summary was made"]
    positions = [html.index(f"<h3>{title}</h3>") for title in sections]
    assert positions == sorted(positions)


def test_a_long_case_read_in_parts_reports_its_steps_from_the_worker_thread(
    app: Flask, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts run on threads of their own; the steps they report (a retry here) are written to the
    case by the worker's thread, which has the app context and the database session."""
    app.config["AI_INPUT_TOKEN_BUDGET"] = 2500
    written: list[tuple[str, str]] = []
    set_step = cases.set_step

    def recording_set_step(case_id: str, token: str, step: str, **kwargs: Any) -> bool:
        written.append((step, threading.current_thread().name))
        return set_step(case_id, token, step, **kwargs)

    monkeypatch.setattr(cases, "set_step", recording_set_step)
    fake.push(error(429, "Rate limit reached", headers={"retry-after-ms": "10"}))
    letter = "\n".join(f"Line {n}: the tenant shall pay the rent on time." for n in range(600)).encode()
    case = run_case(app, uploads=[cases.Upload(name="lease.txt", stream=io.BytesIO(letter))])

    assert case.status == CaseStatus.COMPLETED, case.error
    assert case.summary["documents"][0]["summarized_in_parts"] is True
    assert {thread for _, thread in written} == {threading.current_thread().name}
    assert any(
        re.fullmatch(r"summarizing part \d+ of \d+ — AI call retrying, 2 of 3", step) for step, _ in written
    )
