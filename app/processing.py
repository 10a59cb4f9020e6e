"""One processing attempt of a case: claim → fetch pending files → extract → summarize → finish.

Runs inside a worker (one Flask app context per message). Every status change goes through
the case service; the lease is kept alive by a side thread while the attempt runs, so a live
worker keeps its case and a dead one loses it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from typing import IO

from dramatiq.middleware import TimeLimitExceeded
from flask import Flask, current_app

from app import cases
from app.extract import Extraction, extract
from app.models import Case, CaseFile, FileStatus, db
from app.slack import files as slack_files
from app.slack import notifier
from app.storage import ObjectNotFound, get_storage
from app.summarize import CaseText, Document, SummaryError, TransientSummaryError, build_summarizer

log = logging.getLogger(__name__)

# The summary must be ready by this share of the case's time limit; the rest is for storing it.
SUMMARY_DEADLINE_SHARE = 0.9


class LeaseLost(Exception):
    """Another run took the case (our lease ran out); this run must not write results."""


class LeaseKeeper:
    """Renews the case's lease every third of its length until stopped."""

    def __init__(self, app: Flask, case_id: str, token: str) -> None:
        self._app = app
        self._case_id = case_id
        self._token = token
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{case_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        interval = max(self._app.config["LEASE_SECONDS"] / 3, 0.2)
        while not self._stop.wait(interval):
            with self._app.app_context():
                try:
                    if not cases.renew_lease(self._case_id, self._token):
                        self.lost.set()
                        return
                except Exception:
                    # A database blip: try again next tick; the lease has slack for two misses.
                    log.exception("could not renew the lease of case %s", self._case_id)


def process_case(case_id: str) -> None:
    """Run one attempt if the case can be claimed; every outcome is written to the case."""
    token = cases.claim_case(case_id)
    if token is None:
        log.info("case %s not claimable (done, taken or unknown); skipping", case_id)
        return
    attempt = _Attempt(case_id, token)
    with LeaseKeeper(current_app._get_current_object(), case_id, token) as lease:  # type: ignore[attr-defined]
        attempt.lease = lease
        try:
            attempt.run()
        except LeaseLost:
            log.warning("case %s: lease lost, another run has it", case_id)
        except TransientSummaryError as exc:
            attempt.fail(str(exc), retryable=True)
        except SummaryError as exc:
            attempt.fail(str(exc), retryable=False)
        except TimeLimitExceeded:
            limit = current_app.config["CASE_TIME_LIMIT_SECONDS"]
            attempt.fail(f"Processing took longer than the {limit} s limit.", retryable=True)
        except Exception as exc:
            log.exception("case %s: attempt failed", case_id)
            attempt.fail(f"Unexpected error ({type(exc).__name__}).", retryable=True)
    # Only once the case is final; the sweeper retries a notice that could not be sent.
    notifier.notify_done(case_id)


class _Attempt:
    def __init__(self, case_id: str, token: str) -> None:
        self.case_id = case_id
        self.token = token
        self.lease: LeaseKeeper | None = None
        self.config = current_app.config
        self.deadline = time.monotonic() + self.config["CASE_TIME_LIMIT_SECONDS"] * SUMMARY_DEADLINE_SHARE

    def step(self, step: str, event: str | None = None) -> None:
        if (self.lease and self.lease.lost.is_set()) or not cases.set_step(
            self.case_id, self.token, step, event=event
        ):
            raise LeaseLost(self.case_id)

    def fail(self, reason: str, *, retryable: bool) -> None:
        db.session.rollback()
        cases.fail_attempt(self.case_id, self.token, reason, retryable=retryable)

    def run(self) -> None:
        case = db.session.get(Case, self.case_id)
        assert case is not None
        text = CaseText(
            title=case.title,
            details=case.details,
            due_date=case.due_date,
            documents=self.read_files(case),
            deadline=self.deadline,
        )
        # Nothing is held open while the summarizer waits (an AI call can take minutes).
        db.session.remove()
        self.step("summarizing", "Summarizing.")
        result = build_summarizer(self.config).summarize(text, progress=self.step)
        if self.lease and self.lease.lost.is_set():
            raise LeaseLost(self.case_id)
        usage = result.usage.model_dump() if result.usage else None
        if not cases.complete_case(self.case_id, self.token, result.summary.model_dump(mode="json"), usage):
            raise LeaseLost(self.case_id)

    def read_files(self, case: Case) -> list[Document]:
        documents = []
        pages_left = self.config["MAX_CASE_PAGES"]
        ocr_left = self.config["MAX_OCR_PAGES"]
        for file in list(case.files):
            if file.status == FileStatus.PENDING:
                self.fetch_pending(file)
            if file.uploaded_at is None:  # never made it into storage; its reason is already recorded
                continue
            self.step(f"reading {file.name}")
            extraction = self.extract_file(file, pages_left, ocr_left)
            pages_left -= extraction.page_count or 0
            ocr_left -= extraction.ocr_pages
            self.record_extraction(file, extraction)
            if extraction.unreadable is None:
                documents.append(
                    Document(
                        name=file.name,
                        pages=extraction.pages,
                        content_type=file.content_type or "",
                        notes=extraction.notes,
                    )
                )
        return documents

    def fetch_pending(self, file: CaseFile) -> None:
        self.step(f"copying {file.name} from Slack")
        slack_files.copy_file(file)
        db.session.refresh(file)

    def extract_file(self, file: CaseFile, max_pages: int, max_ocr_pages: int) -> Extraction:
        # Extraction is CPU work: a few at a time per process, however many threads wait on AI calls.
        try:
            source = get_storage().open(file.storage_key)
        except ObjectNotFound:
            return Extraction(unreadable="the stored file is missing")
        with _extraction_slots(), source, _seekable(source) as stream:
            return extract(
                stream,
                file.content_type or "application/octet-stream",
                max_pages=max(max_pages, 0),
                max_ocr_pages=max(max_ocr_pages, 0),
                progress=lambda step: self.step(f"reading {file.name} — {step}"),
            )

    def record_extraction(self, file: CaseFile, extraction: Extraction) -> None:
        chars = sum(len(page.text) for page in extraction.pages)
        if extraction.unreadable:
            status, reason = FileStatus.UNREADABLE, extraction.unreadable
            message = f"{file.name}: unreadable — {extraction.unreadable}."
        else:
            status, reason = FileStatus.EXTRACTED, None
            count = extraction.page_count
            pages = f"{count} page{'s' if count != 1 else ''}, " if count else ""
            message = f"Read {file.name}: {pages}{chars:,} characters ({extraction.method})."
        cases.update_file(
            file.id,
            status=status,
            status_reason=reason,
            pages=extraction.page_count,
            extraction_method=extraction.method,
            text_chars=chars,
        )
        note = "".join(f" {n}." for n in extraction.notes)
        cases.add_event(self.case_id, "file", message + note)


def _extraction_slots() -> threading.BoundedSemaphore:
    slots = current_app.extensions.get("docket.extraction_slots")
    if slots is None:
        limit = current_app.config["EXTRACT_CONCURRENCY"]
        slots = current_app.extensions.setdefault(
            "docket.extraction_slots", threading.BoundedSemaphore(limit)
        )
    return slots


class _seekable:
    """Hands extractors a seekable stream: storage streams (S3) are spooled to a temp file."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._spool: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if getattr(self._source, "seekable", lambda: False)():
            return self._source
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        shutil.copyfileobj(self._source, self._spool, length=1024 * 1024)
        self._spool.seek(0)
        return self._spool

    def __exit__(self, *exc_info: object) -> None:
        if self._spool is not None:
            self._spool.close()
