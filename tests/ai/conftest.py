"""A fake OpenAI server per test and settings that point the real `openai` client at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import config
from app.summarize import CaseText, Document, Page
from app.summarize.openai import OpenAISummarizer
from tests.conftest import make_settings
from tests.openai_fake import FakeOpenAI, running

# Waits kept tiny; everything else at its real default.
FAST = {"AI_BACKOFF_SECONDS": 0.01, "AI_MAX_CALL_ATTEMPTS": 3}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running() as server:
        yield server


def ai_settings(fake: FakeOpenAI, **extra: Any) -> dict[str, Any]:
    """Docket's settings (defaults, not the environment) with the openai provider on `fake`."""
    settings = config.load({})
    settings.update(AI_PROVIDER="openai", OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="test-key", **FAST)
    settings.update(extra)
    return settings


def summarizer(fake: FakeOpenAI, **extra: Any) -> OpenAISummarizer:
    return OpenAISummarizer.from_config(ai_settings(fake, **extra))


def case_text(*documents: Document, details: str = "Review the attached agreement.") -> CaseText:
    return CaseText(
        title="Supply agreement review",
        details=details,
        due_date=date.today() + timedelta(days=7),
        documents=list(documents),
    )


def pdf_like(name: str, *pages: str) -> Document:
    return Document(
        name=name, pages=[Page(n, text) for n, text in enumerate(pages, 1)], content_type="application/pdf"
    )


class Steps(list[str]):
    """A `progress` callback that remembers every step."""

    def __call__(self, step: str) -> None:
        self.append(step)


@pytest.fixture
def settings(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    """The app's settings here: its worker summarizes with the fake server, one attempt per case."""
    return make_settings(
        tmp_path,
        AI_PROVIDER="openai",
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY="test-key",
        MAX_ATTEMPTS=1,
        **FAST,
    )
