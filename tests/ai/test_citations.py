"""Every date, amount and party is looked up in the text it cites; what is not there is flagged."""

from __future__ import annotations

from typing import Any

from app.summarize import Document, Page
from app.summarize.schema import Summary
from tests.ai.conftest import Steps, case_text, pdf_like, summarizer
from tests.openai_fake import FakeOpenAI, answer, summary_dict

CONTRACT = pdf_like(
    "contract.pdf",
    "This Supply Agreement is made on 3/3/2024 between ACME CORPORATION and Beta GmbH.",
    "The purchase price is $1,000,000. Delivery is due by April 30, 2024.",
    "Either party may terminate on 90 days notice.",
)
DETAILS = "The client signed on March 3, 2024; the hearing is set for 19 January 2025."


def at(page: int | None, file: str = "contract.pdf") -> dict[str, Any]:
    return {"file": file, "page": page}


def summarize(fake: FakeOpenAI, **fields: Any) -> Summary:
    fake.push(answer(summary_dict(**fields)))
    return summarizer(fake).summarize(case_text(CONTRACT, details=DETAILS), Steps()).summary


def key_date(day: str, source: dict[str, Any] | None) -> dict[str, Any]:
    return {"date": day, "what": "something happens", "is_deadline": False, "source": source}


def test_a_date_written_differently_in_its_source_is_verified(fake: FakeOpenAI) -> None:
    summary = summarize(fake, dates=[key_date("March 3, 2024", at(1)), key_date("2024-04-30", at(2))])
    assert [d.verified for d in summary.dates] == [True, True]
    assert not any("unverified" in note for note in summary.notes)


def test_a_date_not_in_its_source_is_kept_but_marked_unverified(fake: FakeOpenAI) -> None:
    summary = summarize(fake, dates=[key_date("2024-05-01", at(2)), key_date("2024-03-03", at(1))])
    assert [(d.date, d.verified) for d in summary.dates] == [("2024-05-01", False), ("2024-03-03", True)]
    assert summary.dates[0].source.model_dump() == at(2)  # the citation is shown as given
    assert (
        "1 of 2 checked items (dates, amounts, parties, and facts quoting dates or amounts) were not "
        "found in the source they cite and are marked unverified: check them before relying on them."
    ) in summary.notes


def test_amounts_compare_by_value_and_currency(fake: FakeOpenAI) -> None:
    amounts = [
        {"amount": "USD 1 million", "what": "price", "source": at(2)},
        {"amount": "$1,000,000.00", "what": "price", "source": at(2)},
        {"amount": "EUR 1,000,000", "what": "wrong currency", "source": at(2)},
        {"amount": "$100,000", "what": "wrong value", "source": at(2)},
    ]
    assert [a.verified for a in summarize(fake, amounts=amounts).amounts] == [True, True, False, False]


def test_parties_are_found_whatever_their_case_and_suffix(fake: FakeOpenAI) -> None:
    parties = [
        {"name": "Acme Corporation", "role": "buyer", "source": at(1)},
        {"name": "Beta GmbH", "role": "supplier", "source": at(1)},
        {"name": "Gamma Ltd", "role": "guarantor", "source": at(1)},
    ]
    assert [p.verified for p in summarize(fake, parties=parties).parties] == [True, True, False]


def test_the_case_details_are_a_source_too(fake: FakeOpenAI) -> None:
    dates = [key_date("2025-01-19", at(None, "details")), key_date("2025-01-20", at(None, "details"))]
    assert [d.verified for d in summarize(fake, dates=dates).dates] == [True, False]


def test_no_source_or_an_unknown_file_is_unverified(fake: FakeOpenAI) -> None:
    dates = [key_date("2024-03-03", None), key_date("2024-03-03", at(1, "other.pdf"))]
    assert [d.verified for d in summarize(fake, dates=dates).dates] == [False, False]


def test_a_citation_to_the_wrong_page_is_corrected(fake: FakeOpenAI) -> None:
    summary = summarize(fake, dates=[key_date("2024-04-30", at(3)), key_date("2024-04-30", at(None))])
    assert [(d.verified, d.source.page) for d in summary.dates] == [(True, 2), (True, 2)]
    assert "1 citation(s) named the wrong page and were corrected." in summary.notes


def test_facts_quoting_dates_or_amounts_are_checked_others_left_unmarked(fake: FakeOpenAI) -> None:
    facts = [
        {"text": "Delivery is due by April 30, 2024 for $1,000,000.", "source": at(2)},
        {"text": "Delivery is due by May 30, 2024.", "source": at(2)},
        {"text": "Either party may terminate on notice.", "source": at(3)},
    ]
    summary = summarize(fake, key_points=facts, obligations=facts[:1])
    assert [f.verified for f in summary.key_points] == [True, False, None]
    assert summary.obligations[0].verified is True


def test_a_date_in_the_overview_found_nowhere_is_noted(fake: FakeOpenAI) -> None:
    summary = summarize(fake, overview="Signed 3/3/2024; closing on June 1, 2024 for $2 million.")
    assert (
        "The overview mentions June 1, 2024, $2 million, found neither in the documents nor in the case "
        "details: check before relying on it."
    ) in summary.notes


def test_a_page_less_document_is_searched_whole(fake: FakeOpenAI) -> None:
    letter = Document(name="letter.eml", pages=[Page(None, "We will file on 2 February 2024.")])
    fake.push(answer(summary_dict(dates=[key_date("2024-02-02", at(None, "letter.eml"))])))
    summary = summarizer(fake).summarize(case_text(letter), Steps()).summary
    assert summary.dates[0].verified is True
