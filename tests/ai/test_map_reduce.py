"""Long cases: read in parts that fit the token budget, concurrently, then merged; caps said aloud."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from app.summarize import Document, Page, SummaryError
from app.summarize.chunking import count_tokens
from tests.ai.conftest import Steps, case_text, pdf_like, summarizer
from tests.openai_fake import FakeOpenAI, Reply, answer, error, summary_dict

BUDGET = 2500  # the instructions take about 1,200 tokens of it


def long_contract(pages: int = 30) -> Document:
    # About 200 tokens a page, each page with a marker of its own.
    return pdf_like(
        "contract.pdf",
        *[
            f"PAGE-{n:03d} " + f"Clause {n}: the supplier shall deliver the goods on time. " * 16
            for n in range(1, pages + 1)
        ],
    )


class Responder:
    """Answers part requests with a partial summary and merge requests with the final one, slowly
    enough to see how many requests are in flight at once."""

    def __init__(self, delay: float = 0.0, key_point: str = "") -> None:
        self.delay = delay
        self.key_point = key_point
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        user = body["messages"][1]["content"]
        if "PARTIAL SUMMARY" in user:
            return answer(summary_dict(overview="The whole contract."))
        part = re.search(r"this is part (\d+) of (\d+)", user)[1]
        point = {
            "text": f"Part {part} point. {self.key_point}",
            "source": {"file": "contract.pdf", "page": 1},
        }
        return answer(summary_dict(overview=f"Part {part}.", key_points=[point]))


def parts_of(fake: FakeOpenAI) -> list[str]:
    return [u for u in fake.user_texts() if "PARTIAL SUMMARY" not in u]


def test_a_long_document_is_read_in_parts_that_fit_the_budget_then_merged(fake: FakeOpenAI) -> None:
    fake.responder = Responder(delay=0.1)
    contract = long_contract()
    steps = Steps()
    result = summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET, AI_CONCURRENCY=3).summarize(
        case_text(contract), steps
    )

    parts = parts_of(fake)
    assert len(parts) >= 4
    assert len(fake.requests) == len(parts) + 1  # one merge
    assert all(
        f"this is part {n} of {len(parts)}" in text for n, text in enumerate(sorted(parts, key=_part), 1)
    )
    for page in contract.pages:  # every page sent, once, under its page marker
        assert sum(f"[page {page.number}]\n{page.text}" in text for text in parts) == 1
    for request in fake.requests:
        sent = sum(count_tokens(m["content"]) for m in request["messages"])
        assert sent <= BUDGET
    merge = fake.user_texts()[-1]
    assert merge.count("<<<BEGIN PARTIAL SUMMARY") == len(parts)

    summary = result.summary
    assert summary.overview == "The whole contract."
    assert summary.documents[0].summarized_in_parts is True
    assert (
        f"contract.pdf was read in {len(parts)} parts (the case did not fit one request), then merged."
        in (summary.notes)
    )
    assert result.usage.prompt_tokens == 100 * len(fake.requests)
    assert steps[0] == f"summarizing — reading the documents in {len(parts)} parts"
    assert f"summarizing — {len(parts)} of {len(parts)} parts read" in steps
    assert f"summarizing — combining {len(parts)} parts" in steps


def _part(text: str) -> int:
    return int(re.search(r"this is part (\d+)", text)[1])


def test_parts_run_concurrently_up_to_the_bound(fake: FakeOpenAI) -> None:
    responder = Responder(delay=0.3)
    fake.responder = responder
    started = time.monotonic()
    summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET, AI_CONCURRENCY=2).summarize(
        case_text(long_contract()), Steps()
    )
    parts = len(parts_of(fake))
    assert responder.peak == 2
    assert time.monotonic() - started < 0.3 * (parts + 1)  # faster than one at a time


def test_a_page_longer_than_a_request_is_split_and_keeps_its_marker(fake: FakeOpenAI) -> None:
    fake.responder = Responder()
    lines = [f"Line {n:04d} of the schedule of deliveries and prices." for n in range(400)]
    schedule = pdf_like("schedule.pdf", "Cover page.", "\n".join(lines))
    summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET).summarize(case_text(schedule), Steps())

    parts = parts_of(fake)
    assert len(parts) >= 3
    sent = "".join(parts)
    assert all(line in sent for line in lines)  # nothing dropped
    assert all("[page 2]\n" in text for text in parts)  # every part of the page carries its marker
    assert sum("[page 1]\n" in text for text in parts) == 1
    assert sum("(continued from the previous part)" in text for text in parts) == len(parts) - 1


def test_partial_summaries_too_big_for_one_merge_are_merged_in_rounds(fake: FakeOpenAI) -> None:
    fake.responder = Responder(key_point="Detail. " * 300)  # ~600 tokens a partial
    result = summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET).summarize(case_text(long_contract()), Steps())
    merges = [u for u in fake.user_texts() if "PARTIAL SUMMARY" in u]
    assert len(merges) > 1
    assert result.summary.overview == "The whole contract."


def test_a_part_that_fails_for_good_stops_the_others(fake: FakeOpenAI) -> None:
    fake.responder = Responder()
    fake.push(error(400, "messages: bad request"))
    with pytest.raises(SummaryError, match="HTTP 400"):
        summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET, AI_CONCURRENCY=1).summarize(
            case_text(long_contract()), Steps()
        )
    time.sleep(0.2)
    # The one worker thread may have picked up part 2 before the failure was seen; no part after it.
    assert len(fake.requests) <= 2


def test_text_beyond_max_case_tokens_is_left_out_and_said_so(fake: FakeOpenAI) -> None:
    fake.responder = Responder()
    contract = long_contract(30)
    annex = pdf_like("annex.pdf", "ANNEX-TEXT never sent.")
    result = summarizer(fake, AI_INPUT_TOKEN_BUDGET=BUDGET, MAX_CASE_TOKENS=2000).summarize(
        case_text(contract, annex), Steps()
    )

    sent = "".join(fake.user_texts())
    first_left = next(p.number for p in contract.pages if f"PAGE-{p.number:03d}" not in sent)
    assert first_left > 5
    assert all(f"PAGE-{n:03d}" not in sent for n in range(first_left, 31))
    assert "ANNEX-TEXT" not in sent
    reason = "MAX_CASE_TOKENS (2,000 tokens of document text per case) reached"
    contract_line, annex_line = result.summary.documents
    assert contract_line.line.endswith(f"(pages {first_left}-30 not summarized: {reason})")
    assert annex_line.line == f"not summarized: {reason}"
    assert f"contract.pdf: pages {first_left}-30 not summarized: {reason}." in result.summary.notes
    assert f"annex.pdf: not summarized: {reason}." in result.summary.notes


def test_a_budget_too_small_for_the_instructions_is_a_clear_error(fake: FakeOpenAI) -> None:
    with pytest.raises(SummaryError, match=r"AI_INPUT_TOKEN_BUDGET \(1,000 tokens\) is too small"):
        summarizer(fake, AI_INPUT_TOKEN_BUDGET=1000).summarize(case_text(long_contract()), Steps())
    assert fake.requests == []


def test_what_reading_the_files_left_out_is_said_in_the_notes(fake: FakeOpenAI) -> None:
    scan = Document(
        name="scan.pdf",
        pages=[Page(1, "Signed on 3 May 2006.")],
        notes=["pages 21-40 not read: MAX_OCR_PAGES reached", "pages 1-20 read by OCR"],
    )
    summary = summarizer(fake).summarize(case_text(scan), Steps()).summary
    assert summary.notes[:2] == [
        "scan.pdf: pages 21-40 not read: MAX_OCR_PAGES reached",
        "scan.pdf: pages 1-20 read by OCR",
    ]
