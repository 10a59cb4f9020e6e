"""One summary request to an OpenAI-compatible server, with Docket's own retries.

The SDK's retries are off (`max_retries=0`) so this loop decides: which failures are worth another
try (429, 408, 409, 5xx, timeouts, connection errors, and answers that are not a valid summary),
how long to wait (exponential backoff, or the server's Retry-After), what the page shows meanwhile,
and when to stop so the case ends well inside its time limit. Strict structured output is tried
first; a server that refuses it gets JSON mode with the schema in the prompt, validated the same way.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from app.summarize import Progress, SummaryError, TransientSummaryError
from app.summarize.prompt import leaks_instructions, system_prompt
from app.summarize.schema import Summary, Usage
from app.summarize.structured import InvalidAnswer, parse_summary, summary_schema

log = logging.getLogger(__name__)

_RETRY_STATUSES = {408, 409, 429}  # and every 5xx
_MAX_BACKOFF_SECONDS = 60.0
# With less time than this left before the deadline, another call could not finish: give up instead.
MIN_CALL_SECONDS = 5.0
_CONNECT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Limits:
    call_timeout: float  # seconds per call
    attempts: int  # calls per request, first try included
    backoff: float  # seconds before the first retry; doubled for each further one
    deadline: float  # time.monotonic() by which every call must be over


class Cancelled(Exception):
    """Another part of the same case failed: this request stops retrying."""


class _Retry(Exception):
    """A failed try worth another one. `transient` tells a provider fault from a bad answer."""

    def __init__(self, reason: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after

    def give_up(self, attempts: int, why: str = "") -> SummaryError:
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}{why}"
        if self.transient:
            return TransientSummaryError(
                f"The AI service did not answer after {tries} (last: {self.reason})."
            )
        return SummaryError(f"The AI answer was not a valid summary after {tries}: {self.reason}.")


class _StrictUnsupported(Exception):
    pass


class Caller:
    """Sends summary requests for one case through one client; safe to share between threads."""

    def __init__(self, client: openai.OpenAI, model: str, limits: Limits, cancel: threading.Event) -> None:
        self._client = client
        self._model = model
        self._limits = limits
        self._cancel = cancel
        self._strict = True
        self._lock = threading.Lock()
        self._usage = Usage(model=model)

    @property
    def usage(self) -> Usage:
        with self._lock:
            return self._usage.model_copy()

    def summarize(self, user: str, *, report: Progress, step: str) -> Summary:
        """The model's summary of `user` (the fenced case text). `report` shows retries on the page."""
        attempts = self._limits.attempts
        failure: _Retry | None = None
        for attempt in range(1, attempts + 1):
            if failure is not None:
                delay = self._delay(failure, attempt - 1)
                report(f"{step} — AI call retrying, {attempt} of {attempts}")
                if self._cancel.wait(delay):
                    raise Cancelled
            try:
                return self._attempt(user)
            except _Retry as exc:
                if self._cancel.is_set():  # the case failed elsewhere and closed the connections
                    raise Cancelled from exc
                log.warning("AI call %s of %s failed: %s", attempt, attempts, exc.reason)
                failure = exc
        assert failure is not None
        raise failure.give_up(attempts)

    def _delay(self, failure: _Retry, failed: int) -> float:
        """Seconds to wait before the next try; gives up when that would run past the deadline."""
        delay = failure.retry_after
        if delay is None:
            backoff = min(self._limits.backoff * 2 ** (failed - 1), _MAX_BACKOFF_SECONDS)
            delay = backoff * random.uniform(1, 1.25)  # so cases that failed together retry apart
        if time.monotonic() + delay + MIN_CALL_SECONDS > self._limits.deadline:
            raise failure.give_up(failed, ", with no time left for another within the case's time limit")
        return delay

    def _attempt(self, user: str) -> Summary:
        completion = self._create(user)
        if not isinstance(completion, ChatCompletion):  # the SDK hands over a body that is not JSON as is
            raise SummaryError(
                f"The server at {self._client.base_url} did not answer like an OpenAI-compatible API: "
                "check OPENAI_BASE_URL."
            )
        self._count(completion)
        try:
            return _read(completion)
        except InvalidAnswer as exc:
            raise _Retry(str(exc), transient=False) from exc

    def _create(self, user: str) -> ChatCompletion:
        try:
            return self._post(user, strict=self._strict)
        except _StrictUnsupported:
            log.info("%s: no strict structured output here; using JSON mode", self._client.base_url)
            self._strict = False
            return self._post(user, strict=False)

    def _post(self, user: str, *, strict: bool) -> ChatCompletion:
        left = self._limits.deadline - time.monotonic()
        if left < MIN_CALL_SECONDS:
            raise TransientSummaryError("The AI calls did not finish within the case's time limit.")
        timeout = min(self._limits.call_timeout, left)
        try:
            return self._client.chat.completions.create(
                model=self._model,
                messages=[
                    {"role": "system", "content": system_prompt(json_mode=not strict)},
                    {"role": "user", "content": user},
                ],
                response_format=_response_format(strict),
                timeout=openai.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT_SECONDS)),
            )
        except openai.APITimeoutError as exc:
            raise _Retry(f"no answer within {timeout:g} s", transient=True) from exc
        except openai.APIConnectionError as exc:
            raise _Retry(f"could not reach {self._client.base_url}", transient=True) from exc
        except openai.APIStatusError as exc:
            raise _status_failure(exc, model=self._model, strict=strict) from exc

    def _count(self, completion: ChatCompletion) -> None:
        usage = completion.usage
        with self._lock:
            self._usage = Usage(
                model=completion.model or self._model,
                prompt_tokens=self._usage.prompt_tokens + (usage.prompt_tokens if usage else 0),
                completion_tokens=self._usage.completion_tokens + (usage.completion_tokens if usage else 0),
            )


def _response_format(strict: bool) -> dict[str, Any]:
    if not strict:
        return {"type": "json_object"}
    schema = {"name": "case_summary", "strict": True, "schema": summary_schema()}
    return {"type": "json_schema", "json_schema": schema}


def _read(completion: ChatCompletion) -> Summary:
    if not completion.choices:
        raise InvalidAnswer("the answer had no content")
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise InvalidAnswer("the answer was cut off at the model's output limit")
    if choice.finish_reason == "content_filter":
        raise InvalidAnswer("the answer was withheld by the service's content filter")
    if choice.message.refusal:
        raise InvalidAnswer(f"the model declined: {choice.message.refusal[:200]}")
    summary = parse_summary(choice.message.content)
    if leaks_instructions(choice.message.content or ""):
        raise InvalidAnswer("the answer repeated Docket's instructions to the model")
    return summary


def _status_failure(exc: openai.APIStatusError, *, model: str, strict: bool) -> Exception:
    """What an HTTP error from the server means for this request."""
    status, message = exc.status_code, _message(exc)
    if status in (400, 422) and strict and _names_response_format(exc):
        return _StrictUnsupported(message)
    if status == 429 and exc.code == "insufficient_quota":
        return SummaryError(f"The AI account has no quota left (HTTP 429: {message}).")
    if status in _RETRY_STATUSES or status >= 500:
        return _Retry(
            f"HTTP {status}: {message}", transient=True, retry_after=retry_after(exc.response.headers)
        )
    if status == 401:
        # The server's own message may quote part of the key: not for the case page.
        return SummaryError("The AI service refused the API key (HTTP 401): check OPENAI_API_KEY.")
    if status == 404:
        return SummaryError(
            f"The AI service does not know the model {model!r} (HTTP 404): check OPENAI_MODEL and "
            f"OPENAI_BASE_URL. {message}"
        )
    return SummaryError(f"The AI service refused the request (HTTP {status}): {message}")


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message)[:300]


def _names_response_format(exc: openai.APIStatusError) -> bool:
    """Servers without strict structured output say so in different words, but name the parameter."""
    text = f"{_message(exc)} {exc.param or ''}".lower()
    return "response_format" in text or "json_schema" in text


def retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms` (OpenAI), or `Retry-After` in seconds or
    as an HTTP date; None when it does not say."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
