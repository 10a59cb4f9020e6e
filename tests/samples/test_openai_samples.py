"""The openai provider over the real 154-page contract in ../shared/samples, with default settings
and a fake server that answers at once: the whole text is sent, within the case's time budget."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import pytest

from app import config
from app.summarize import CaseText, Document
from app.summarize.openai import AI_SHARE_OF_CASE_TIME, OpenAISummarizer
from app.summarize.prompt import neutralise
from tests.openai_fake import Reply, answer, running, summary_dict
from tests.samples.documents import MISSING, SAMPLES, extracted

NAME = "cuad_ceres_iger_collaboration_agreement_2012.pdf"

pytestmark = [
    pytest.mark.samples,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=MISSING),
]


def respond(body: dict[str, Any]) -> Reply:
    """A partial summary naming the pages it was sent; the merged one cites the parties on page 1."""
    user = body["messages"][1]["content"]
    if "PARTIAL SUMMARY" in user:
        parties = [
            {"name": name, "role": "party", "source": {"file": NAME, "page": 1}}
            for name in ("Ceres, Inc.", "Institute of Grassland and Environmental Research")
        ]
        return answer(summary_dict(overview="Collaboration agreement.", parties=parties))
    pages = re.findall(r"^\[page (\d+)\]$", user, re.M)
    point = {"text": f"Pages {pages[0]}-{pages[-1]} read.", "source": {"file": NAME, "page": int(pages[0])}}
    return answer(summary_dict(key_points=[point]))


def summarize_contract(settings: dict[str, Any]) -> tuple[Any, int, list[int], float]:
    """Summarize the whole contract against an instant stand-in: (result, AI calls, pages not sent, seconds)."""
    pages = extracted(NAME).pages
    contract = Document(name=NAME, pages=pages, content_type="application/pdf")
    case = CaseText("Ceres / IGER diligence", "Summarize IP ownership.", date(2030, 1, 1), [contract])
    with running(respond) as fake:
        settings.update(AI_PROVIDER="openai", OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="test-key")
        started = time.monotonic()
        result = OpenAISummarizer.from_config(settings).summarize(case, lambda step: None)
        elapsed = time.monotonic() - started
    sent = "".join(fake.user_texts())
    missing = [page.number for page in pages if f"[page {page.number}]\n{neutralise(page.text)}" not in sent]
    print(f"\n{len(pages)} pages: {len(fake.requests)} AI calls, {elapsed:.2f} s with an instant server")
    return result, len(fake.requests), missing, elapsed


@pytest.mark.timeout(900)  # reading the file (shared with the other samples tests) takes minutes
def test_the_154_page_contract_is_read_whole_within_the_time_budget(record_property: Any) -> None:
    settings = config.load({})  # every default: budget, concurrency, caps, time limit
    _, calls, missing, elapsed = summarize_contract(settings)
    assert missing == []
    assert elapsed < settings["CASE_TIME_LIMIT_SECONDS"] * AI_SHARE_OF_CASE_TIME
    record_property("ai_calls", calls)
    record_property("seconds", round(elapsed, 2))


@pytest.mark.timeout(900)
def test_over_the_budget_the_contract_is_summarized_in_parts_and_merged() -> None:
    settings = config.load({})
    settings["AI_INPUT_TOKEN_BUDGET"] = 30_000  # the whole text is about 75,000 tokens
    result, calls, missing, _ = summarize_contract(settings)
    assert missing == []
    assert calls >= 4  # at least three parts, then a merge
    assert result.summary.documents[0].summarized_in_parts
    assert [p.verified for p in result.summary.parties] == [True, True]
