"""One processing attempt: extraction per file, summarizer outcomes, lease loss, time limits."""

from __future__ import annotations

import io

import pytest
from dramatiq.middleware import TimeLimitExceeded
from flask import Flask

from app import cases, processing
from app.models import Case, CaseStatus, db
from app.rules import Upload
from app.summarize import CaseText, Result, SummaryError, TransientSummaryError
from tests.conftest import due_in
from tests.docs import make_pdf
from tests.summaries import summary


class Recorder:
    """A summarizer double that records what it was given, then answers or raises as told."""

    def __init__(self, outcome: Exception | BaseException | None = None) -> None:
        self.outcome = outcome
        self.seen: list[CaseText] = []

    def summarize(self, case: CaseText, progress) -> Result:
        self.seen.append(case)
        progress("summarizing — test step")
        if self.outcome is not None:
            raise self.outcome
        return Result(summary=summary(f"{len(case.documents)} documents"))


@pytest.fixture
def summarizer(monkeypatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(processing, "build_summarizer", lambda config: recorder)
    return recorder


def new_case(*files: tuple[str, bytes]) -> str:
    uploads = [Upload(name=name, stream=io.BytesIO(data)) for name, data in files]
    return cases.create_case(
        source="api", title="T", details="Details.", due_date=due_in(3), uploads=uploads
    ).case.id


def reload(case_id: str) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case_id)


def test_reads_every_file_and_goes_on_past_an_unreadable_one(ctx: Flask, summarizer: Recorder) -> None:
    case_id = new_case(
        ("a.pdf", make_pdf(["Page one text.", "Page two text."])), ("b.pdf", b"%PDF-1.4 broken")
    )
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.COMPLETED and case.summary["overview"] == "1 documents"
    good, bad = case.files
    assert (good.status, good.pages, good.extraction_method) == ("extracted", 2, "text layer")
    assert bad.status == "unreadable" and bad.status_reason
    [seen] = summarizer.seen
    assert [p.number for p in seen.documents[0].pages] == [1, 2]
    assert "Page two text." in seen.documents[0].pages[1].text
    messages = " ".join(e.message for e in case.events)
    assert "Read a.pdf: 2 pages" in messages and "b.pdf: unreadable" in messages


def test_a_permanent_summary_error_fails_the_case_with_its_reason(ctx: Flask, summarizer: Recorder) -> None:
    summarizer.outcome = SummaryError("The AI answer was not valid JSON after 3 tries.")
    case_id = new_case()
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.FAILED
    assert case.error == "The AI answer was not valid JSON after 3 tries."


def test_a_transient_error_is_retried_later(ctx: Flask, summarizer: Recorder) -> None:
    summarizer.outcome = TransientSummaryError("AI provider overloaded (429).")
    case_id = new_case()
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.SUBMITTED and case.next_attempt_at is not None
    assert "overloaded" in case.events[-1].message


def test_the_time_limit_is_recorded_not_swallowed(ctx: Flask, summarizer: Recorder) -> None:
    summarizer.outcome = TimeLimitExceeded()
    case_id = new_case()
    processing.process_case(case_id)
    assert "longer than" in reload(case_id).error


def test_an_unexpected_error_is_a_readable_reason(ctx: Flask, summarizer: Recorder) -> None:
    ctx.config["MAX_ATTEMPTS"] = 1
    summarizer.outcome = KeyError("boom")
    case_id = new_case()
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.FAILED and case.error == "Unexpected error (KeyError)."


def test_a_run_that_lost_its_lease_writes_nothing(ctx: Flask, summarizer: Recorder, monkeypatch) -> None:
    case_id = new_case()

    def steal(case: CaseText, progress) -> Result:
        # Another worker takes over while this one is summarizing.
        db.session.execute(db.update(Case).where(Case.id == case_id).values(claim_token="someone-else"))
        db.session.commit()
        return Result(summary=summary("late"))

    monkeypatch.setattr(summarizer, "summarize", steal)
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.PROCESSING and case.summary is None


def test_a_completed_case_is_not_processed_again(ctx: Flask, summarizer: Recorder) -> None:
    case_id = new_case()
    processing.process_case(case_id)
    processing.process_case(case_id)  # a duplicate message
    assert len(summarizer.seen) == 1
    assert [e.kind for e in reload(case_id).events].count("completed") == 1


def test_the_lease_is_renewed_while_the_summarizer_waits(
    ctx: Flask, summarizer: Recorder, monkeypatch
) -> None:
    import time

    from app.models import utcnow

    ctx.config["LEASE_SECONDS"] = 1
    case_id = new_case()
    observed = []

    def slow(case: CaseText, progress) -> Result:
        time.sleep(2)  # twice the lease: only renewals keep it alive
        db.session.expire_all()
        observed.append(db.session.get(Case, case_id).lease_expires_at > utcnow())
        observed.append(cases.claim_case(case_id))
        return Result(summary=summary("done"))

    monkeypatch.setattr(summarizer, "summarize", slow)
    processing.process_case(case_id)
    assert observed == [True, None]
    assert reload(case_id).status == CaseStatus.COMPLETED


def test_a_stored_file_gone_missing_is_unreadable_and_the_case_goes_on(
    ctx: Flask, summarizer: Recorder
) -> None:
    from app.storage import get_storage

    case_id = new_case(("gone.txt", b"text that will vanish"), ("kept.txt", b"text that stays"))
    get_storage().delete(reload(case_id).files[0].storage_key)
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.COMPLETED
    assert (case.files[0].status, case.files[0].status_reason) == ("unreadable", "the stored file is missing")
    assert case.files[1].status == "extracted"


def test_a_case_over_its_page_cap_says_so(ctx: Flask) -> None:
    ctx.config["MAX_CASE_PAGES"] = 2
    case_id = new_case(
        ("first.pdf", make_pdf(["One.", "Two."])), ("second.pdf", make_pdf(["Three is never read."]))
    )
    processing.process_case(case_id)
    case = reload(case_id)
    assert case.status == CaseStatus.COMPLETED
    first, second = case.files
    assert first.status == "extracted"
    assert second.status == "unreadable" and "not read: page limit" in second.status_reason
    assert any("second.pdf: unreadable" in e.message and "page limit" in e.message for e in case.events)
