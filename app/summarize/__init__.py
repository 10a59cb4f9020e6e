"""Case summarizers: one interface, a provider chosen by `AI_PROVIDER` (never by a key's presence)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from app.summarize.schema import Summary, Usage


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based; None for files without pages (TXT, DOCX, EML, ...)
    text: str


@dataclass(frozen=True)
class Document:
    name: str
    pages: list[Page]
    content_type: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. "pages 3-4 read by OCR"

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


@dataclass(frozen=True)
class CaseText:
    """Everything a summarizer may read about a case; attachments are data, never instructions."""

    title: str
    details: str
    due_date: date
    documents: list[Document]
    # time.monotonic() by which the summary must be ready: the worker's time limit counts from the
    # start of the attempt, and reading the files has used part of it. None: the summarizer decides.
    deadline: float | None = None


@dataclass(frozen=True)
class Result:
    summary: Summary
    usage: Usage | None = None


# Called with a short human-readable step, e.g. "summarizing — AI call retrying, 2 of 5".
Progress = Callable[[str], None]


class Summarizer(Protocol):
    def summarize(self, case: CaseText, progress: Progress) -> Result: ...


class SummaryError(Exception):
    """The summary could not be made; the message is shown to the user as the reason."""


class TransientSummaryError(SummaryError):
    """Worth another attempt later (provider overloaded, network down)."""


def build_summarizer(config: dict[str, Any]) -> Summarizer:
    provider = config["AI_PROVIDER"]
    if provider == "local":
        from app.summarize.local import LocalSummarizer

        return LocalSummarizer()
    if provider == "openai":
        from app.summarize.openai import OpenAISummarizer

        return OpenAISummarizer.from_config(config)
    raise ValueError(f"unknown AI_PROVIDER {provider!r} (expected 'local' or 'openai')")
