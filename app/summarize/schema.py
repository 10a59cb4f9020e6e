"""The one case-summary schema, filled by every summarizer (DESIGN.md component 8).

All text is plain text: no Markdown, no HTML. Templates escape it when rendering.
Every fact carries its source: a file name (and page, where the file has pages) or
"details" for the case text typed by the lawyer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DETAILS_SOURCE = "details"


class _Strict(BaseModel):
    # extra="forbid" makes the JSON schema strict-mode compatible (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    file: str = Field(description='File name as given, or "details" for the case text.')
    page: int | None = Field(description="1-based page number, or null when the file has no pages.")


class Fact(_Strict):
    """A statement with its source."""

    text: str
    source: Source | None
    verified: bool | None = None


class Party(_Strict):
    name: str
    role: str = Field(description='e.g. "client", "counterparty", "court", "plaintiff", or "" when unknown.')
    source: Source | None
    verified: bool | None = None


class KeyDate(_Strict):
    date: str = Field(description="ISO date YYYY-MM-DD where the year is known, else as written.")
    what: str = Field(description="What happens on that date.")
    is_deadline: bool
    source: Source | None
    verified: bool | None = None


class Amount(_Strict):
    amount: str = Field(description='As written, e.g. "$1,000,000" or "EUR 250,000".')
    what: str
    source: Source | None
    verified: bool | None = None


class DocumentLine(_Strict):
    file: str
    line: str = Field(description="One line on what the document is and says.")
    pages: int | None
    summarized_in_parts: bool = False


class Summary(_Strict):
    method: Literal["extractive", "ai"] = "extractive"
    overview: str
    matter_type: str = Field(description='e.g. "contract review", "litigation", or "" when unknown.')
    key_points: list[Fact]
    parties: list[Party]
    dates: list[KeyDate]
    amounts: list[Amount]
    obligations: list[Fact]
    risks: list[Fact]
    open_questions: list[Fact]
    next_steps: list[Fact]
    documents: list[DocumentLine]
    notes: list[str] = Field(
        default_factory=list,
        description="Docket's own remarks on how the summary was made (caps reached, parts, OCR).",
    )


class Usage(BaseModel):
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
