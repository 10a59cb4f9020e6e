"""The `openai` provider: a case summary from any OpenAI-compatible Chat Completions server.

Chosen with AI_PROVIDER=openai (never by a key's presence). OPENAI_BASE_URL points the official SDK
at another server (Azure OpenAI, Ollama, vLLM, LM Studio); OPENAI_MODEL names the model.

A case that fits AI_INPUT_TOKEN_BUDGET is one request. A longer one is read in parts (map), each
part summarized in the same schema on up to AI_CONCURRENCY threads, and the partial summaries merged
(reduce). Then Docket fills its own fields (one line per document, notes) and checks every citation
against the extracted text.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx2  # the SDK's HTTP client
import openai

from app.summarize import CaseText, Document, Progress, Result, SummaryError
from app.summarize.calls import Caller, Limits
from app.summarize.chunking import Plan, count_tokens, plan_chunks, render, run_parallel
from app.summarize.prompt import (
    document_labels,
    merge_message,
    part_message,
    partial_fence,
    system_prompt,
    whole_case_message,
)
from app.summarize.schema import DocumentLine, Summary
from app.summarize.verify import verify

OPENAI_URL = "https://api.openai.com/v1"
# Servers on a private network (Ollama, vLLM) take no key, but the SDK insists on one.
_NO_KEY = "no-key"
# Without a deadline from the caller, the AI calls get this share of the case's time limit: the rest
# is for fetching and reading the files and storing the result.
AI_SHARE_OF_CASE_TIME = 0.6
# Chat formatting and per-message overhead the token count of the texts does not see.
_MESSAGE_OVERHEAD_TOKENS = 50
_MIN_DOCUMENT_ROOM = 500
_STEP = "summarizing"


@dataclass(frozen=True)
class Settings:
    api_key: str
    base_url: str
    model: str
    call_timeout: float
    attempts: int
    backoff: float
    input_budget: int
    concurrency: int
    max_case_tokens: int
    time_budget: float


class OpenAISummarizer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OpenAISummarizer:
        if not config["OPENAI_API_KEY"] and not config["OPENAI_BASE_URL"]:
            raise SummaryError(
                "AI_PROVIDER is openai but OPENAI_API_KEY is not set (a server of your own needs "
                "OPENAI_BASE_URL instead)."
            )
        return cls(
            Settings(
                api_key=config["OPENAI_API_KEY"] or _NO_KEY,
                # Always explicit, so the SDK never falls back to an OPENAI_BASE_URL of the environment.
                base_url=config["OPENAI_BASE_URL"] or OPENAI_URL,
                model=config["OPENAI_MODEL"],
                call_timeout=config["AI_CALL_TIMEOUT_SECONDS"],
                attempts=max(config["AI_MAX_CALL_ATTEMPTS"], 1),
                backoff=config["AI_BACKOFF_SECONDS"],
                input_budget=config["AI_INPUT_TOKEN_BUDGET"],
                concurrency=max(config["AI_CONCURRENCY"], 1),
                max_case_tokens=config["MAX_CASE_TOKENS"],
                time_budget=config["CASE_TIME_LIMIT_SECONDS"] * AI_SHARE_OF_CASE_TIME,
            )
        )

    def summarize(self, case: CaseText, progress: Progress) -> Result:
        limits = self._limits(case.deadline)
        labels = document_labels(case.documents)
        room = self._document_room(case)
        plan = plan_chunks(case.documents, labels, room=room, max_case_tokens=self.settings.max_case_tokens)
        cancel = threading.Event()
        # One client (one connection pool) per case, closed when the case is done; the client is
        # thread-safe, so the parts share it. Retries are ours (see calls.py), not the SDK's.
        with openai.OpenAI(
            api_key=self.settings.api_key,
            base_url=self.settings.base_url,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(verify=_tls_context()),
        ) as client:
            caller = Caller(client, self.settings.model, limits, cancel)
            if len(plan.chunks) == 1:
                message = whole_case_message(case, render(plan.chunks[0], labels))
                summary = caller.summarize(message, report=progress, step=_STEP)
            else:
                partials = self._read_parts(caller, case, plan, labels, progress, cancel)
                summary = self._merge(caller, case, partials, room, progress)
        progress("checking citations")
        summary = verify(_with_docket_fields(summary, case, plan, labels), case, labels)
        return Result(summary=summary, usage=caller.usage)

    def _limits(self, deadline: float | None) -> Limits:
        return Limits(
            call_timeout=self.settings.call_timeout,
            attempts=self.settings.attempts,
            backoff=self.settings.backoff,
            deadline=deadline if deadline is not None else time.monotonic() + self.settings.time_budget,
        )

    def _document_room(self, case: CaseText) -> int:
        """Tokens left for document text (or partial summaries) in one request."""
        fixed = count_tokens(system_prompt(json_mode=True)) + _MESSAGE_OVERHEAD_TOKENS
        fixed += max(count_tokens(part_message(case, "", 99, 99)), count_tokens(merge_message(case, [])))
        room = self.settings.input_budget - fixed
        if room < _MIN_DOCUMENT_ROOM:
            raise SummaryError(
                f"AI_INPUT_TOKEN_BUDGET ({self.settings.input_budget:,} tokens) is too small: the "
                f"instructions and case details alone take {fixed:,}."
            )
        return room

    def _read_parts(
        self,
        caller: Caller,
        case: CaseText,
        plan: Plan,
        labels: Sequence[str],
        progress: Progress,
        cancel: threading.Event,
    ) -> list[Summary]:
        parts = len(plan.chunks)
        progress(f"{_STEP} — reading the documents in {parts} parts")

        def job(part: int, text: str) -> Callable[[Progress], Summary]:
            def run(report: Progress) -> Summary:
                step = f"{_STEP} part {part} of {parts}"
                return caller.summarize(part_message(case, text, part, parts), report=report, step=step)

            return run

        jobs = [job(n, render(chunk, labels)) for n, chunk in enumerate(plan.chunks, 1)]
        return run_parallel(
            jobs, workers=self.settings.concurrency, progress=progress, step=_STEP, cancel=cancel
        )

    def _merge(
        self, caller: Caller, case: CaseText, partials: list[Summary], room: int, progress: Progress
    ) -> Summary:
        """One summary from the partial ones; in rounds when they do not fit one request together."""
        while len(partials) > 1:
            step = f"{_STEP} — combining {len(partials)} parts"
            progress(step)
            partials = [
                caller.summarize(merge_message(case, group), report=progress, step=step)
                if len(group) > 1
                else group[0]
                for group in _groups(partials, room)
            ]
        return partials[0]


@cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for the process, as the SDK would build it: loading the CA bundle takes
    ~30 ms of CPU, which hundreds of cases starting together would otherwise pay one by one."""
    return httpx2.create_ssl_context()


def _groups(partials: list[Summary], room: int) -> list[list[Summary]]:
    """Consecutive partials packed into groups that fit `room` tokens, at least two per group (but
    the last) so every round makes progress."""
    groups: list[list[Summary]] = [[]]
    used = 0
    for partial in partials:
        tokens = count_tokens(partial_fence(len(groups[-1]) + 1, partial))
        if len(groups[-1]) >= 2 and used + tokens > room:
            groups.append([])
            used = 0
        groups[-1].append(partial)
        used += tokens
    return groups


def _with_docket_fields(summary: Summary, case: CaseText, plan: Plan, labels: Sequence[str]) -> Summary:
    """The fields Docket owns, whatever the model put there: the method, one line per attached
    document (with pages, parts and what was left out), and the notes on how the summary was made."""
    lines: dict[str, str] = {}
    for line in summary.documents:
        lines.setdefault(line.file.strip().casefold(), line.line)
    known = {label.casefold() for label in labels}
    strays = sorted({line.file for line in summary.documents if line.file.strip().casefold() not in known})
    documents = []
    notes = []
    for index, (label, document) in enumerate(zip(labels, case.documents, strict=True)):
        parts = plan.parts(index)
        left_out = plan.left_out.get(index)
        line = _document_line(lines.get(label.casefold()), parts, left_out)
        documents.append(
            DocumentLine(file=label, line=line, pages=_last_page(document), summarized_in_parts=parts > 1)
        )
        notes += [f"{label}: {note}" for note in document.notes]
        if parts > 1:
            notes.append(
                f"{label} was read in {parts} parts (the case did not fit one request), then merged."
            )
        if left_out:
            notes.append(f"{label}: {left_out}.")
    if strays:
        notes.append(f"The AI described files that are not attached ({', '.join(strays)}); left out.")
    return summary.model_copy(update={"method": "ai", "documents": documents, "notes": notes})


def _document_line(described: str | None, parts: int, left_out: str | None) -> str:
    if parts == 0:  # the model never saw this document
        return left_out or "no text was read from this document"
    line = described or "(the AI gave no line for this document)"
    return f"{line} ({left_out})" if left_out else line


def _last_page(document: Document) -> int | None:
    numbers = [page.number for page in document.pages if page.number is not None]
    return max(numbers, default=None)
