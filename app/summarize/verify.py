"""Checks a model's citations against the extracted text, so no date, amount or party is shown as
fact unless its source says it.

Every date, amount and party is looked up in the text it cites (file and page, or the case
details), comparing normalised values ("March 3, 2024" = "2024-03-03", "$1,000,000" = "USD 1
million"). Facts whose text quotes dates or amounts are checked the same way; other facts cannot be
checked cheaply and stay unmarked. An item found on another page of the cited file gets its page
corrected; an item not found in the cited file, or without a source, is kept but marked unverified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from app.summarize import CaseText, Page
from app.summarize.finders import (
    find_amounts,
    find_dates,
    text_mentions_amount,
    text_mentions_date,
    text_mentions_party,
)
from app.summarize.schema import DETAILS_SOURCE, Amount, Fact, KeyDate, Party, Source, Summary

Item = TypeVar("Item", Fact, Party, KeyDate, Amount)
Found = Callable[[str], bool]


def verify(summary: Summary, case: CaseText, labels: Sequence[str]) -> Summary:
    """`summary` with `verified` set on every checkable item and a note on what was not found.
    `labels` are the document names the model was shown, in the order of `case.documents`."""
    checker = _Checker(case, labels)
    checked = summary.model_copy(
        update={
            "parties": [checker.check(p, _party(p.name)) for p in summary.parties],
            "dates": [checker.check(d, _date(d.date)) for d in summary.dates],
            "amounts": [checker.check(a, _amount(a.amount)) for a in summary.amounts],
            **{
                name: [checker.check_fact(fact) for fact in getattr(summary, name)]
                for name in ("key_points", "obligations", "risks", "open_questions", "next_steps")
            },
        }
    )
    return checked.model_copy(update={"notes": [*summary.notes, *checker.notes(summary.overview)]})


def _date(value: str) -> Found:
    return lambda text: text_mentions_date(text, value)


def _amount(value: str) -> Found:
    return lambda text: text_mentions_amount(text, value)


def _party(name: str) -> Found:
    return lambda text: text_mentions_party(text, name)


def _quoted(text: str) -> list[tuple[str, Found]]:
    """Each date and amount written in `text`, with a check for it."""
    dates = [(m.text, _date(m.iso or m.text)) for m in find_dates(text)]
    return dates + [(m.text, _amount(m.text)) for m in find_amounts(text)]


class _Checker:
    def __init__(self, case: CaseText, labels: Sequence[str]) -> None:
        self.details = f"{case.title}\nDue date: {case.due_date.isoformat()}\n{case.details}"
        # Matched without regard to case: "Contract.PDF" cited as "contract.pdf" is the same file.
        self.files = {
            label.casefold(): (label, doc.pages) for label, doc in zip(labels, case.documents, strict=True)
        }
        self.checked = self.unverified = self.moved = 0

    def check(self, item: Item, found: Found) -> Item:
        source = self._locate(item.source, found)
        self.checked += 1
        if source is None:
            self.unverified += 1
        return item.model_copy(update={"verified": source is not None, "source": source or item.source})

    def check_fact(self, fact: Fact) -> Fact:
        quoted = _quoted(fact.text)
        if not quoted:
            return fact.model_copy(update={"verified": None})
        return self.check(fact, lambda text: all(found(text) for _, found in quoted))

    def notes(self, overview: str) -> list[str]:
        notes = []
        if self.unverified:
            notes.append(
                f"{self.unverified} of {self.checked} checked items (dates, amounts, parties, and facts "
                "quoting dates or amounts) were not found in the source they cite and are marked "
                "unverified: check them before relying on them."
            )
        if self.moved:
            notes.append(f"{self.moved} citation(s) named the wrong page and were corrected.")
        missing = [value for value, found in _quoted(overview) if self._locate_anywhere(found) is None]
        if missing:
            notes.append(
                f"The overview mentions {', '.join(missing)}, found neither in the documents nor in the "
                "case details: check before relying on it."
            )
        return notes

    def _locate(self, source: Source | None, found: Found) -> Source | None:
        """The source where `found` holds: the cited page, else the nearest other page of the cited
        file; None when the file does not say it (or no source or an unknown file is cited)."""
        if source is None:
            return None
        if source.file.strip().casefold() == DETAILS_SOURCE:
            return Source(file=DETAILS_SOURCE, page=None) if found(self.details) else None
        label, pages = self.files.get(source.file.strip().casefold(), (None, []))
        for page in sorted(pages, key=lambda page: _distance(page, source.page)):
            if found(page.text):
                if source.page is not None and page.number != source.page:
                    self.moved += 1
                return Source(file=label, page=page.number)
        return None

    def _locate_anywhere(self, found: Found) -> Source | None:
        sources = [Source(file=DETAILS_SOURCE, page=None)]
        sources += [Source(file=label, page=None) for label, _ in self.files.values()]
        return next(filter(None, (self._locate(source, found) for source in sources)), None)


def _distance(page: Page, cited: int | None) -> int:
    if page.number is None or cited is None:
        return 0
    return abs(page.number - cited)
