"""Summaries for tests that need one but do not test the summarizer."""

from __future__ import annotations

from typing import Any

from app.summarize.schema import Summary

EMPTY: dict[str, Any] = {
    "matter_type": "",
    "key_points": [],
    "parties": [],
    "dates": [],
    "amounts": [],
    "obligations": [],
    "risks": [],
    "open_questions": [],
    "next_steps": [],
    "documents": [],
}


def summary(overview: str, **fields: Any) -> Summary:
    """A valid summary with this overview and nothing else unless given."""
    return Summary(overview=overview, **(EMPTY | fields))
