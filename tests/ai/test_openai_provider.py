"""The openai provider against a local server speaking the Chat Completions API, through the real SDK."""

from __future__ import annotations

import dataclasses
import time

import pytest

from app.summarize import SummaryError, TransientSummaryError, build_summarizer
from app.summarize.calls import retry_after
from app.summarize.openai import OPENAI_URL, OpenAISummarizer
from app.summarize.schema import Summary
from app.summarize.structured import summary_schema
from tests.ai.conftest import Steps, ai_settings, case_text, pdf_like, summarizer
from tests.openai_fake import FakeOpenAI, Reply, answer, error, summary_dict

AGREEMENT = pdf_like(
    "supply.pdf",
    "SUPPLY AGREEMENT between Acme Corp. and Beta GmbH, dated March 3, 2024.",
    "The price is $1,000,000, payable by April 30, 2024.",
)


def test_a_structured_answer_becomes_the_summary_with_usage_summed(fake: FakeOpenAI) -> None:
    fake.push(
        answer(
            summary_dict(
                overview="Acme buys from Beta.",
                parties=[
                    {"name": "Acme Corp.", "role": "buyer", "source": {"file": "supply.pdf", "page": 1}}
                ],
                documents=[{"file": "supply.pdf", "line": "The supply agreement.", "pages": 2}],
            ),
            prompt_tokens=1200,
            completion_tokens=300,
            model="gpt-4o-mini-2024-07-18",
        )
    )
    result = summarizer(fake).summarize(case_text(AGREEMENT), Steps())

    assert isinstance(result.summary, Summary)
    assert result.summary.method == "ai"
    assert result.summary.overview == "Acme buys from Beta."
    assert result.summary.parties[0].verified is True
    assert [(d.file, d.line, d.pages, d.summarized_in_parts) for d in result.summary.documents] == [
        ("supply.pdf", "The supply agreement.", 2, False)
    ]
    assert result.usage is not None
    assert result.usage.model_dump() == {
        "model": "gpt-4o-mini-2024-07-18",
        "prompt_tokens": 1200,
        "completion_tokens": 300,
    }
    [request] = fake.requests
    assert request["model"] == "gpt-4o-mini"
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "case_summary", "strict": True, "schema": summary_schema()},
    }


def test_the_strict_schema_closes_every_object_and_asks_nothing_docket_fills_itself() -> None:
    schema = summary_schema()
    objects = [schema, *schema["$defs"].values()]
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
        assert not {"verified", "method", "notes", "summarized_in_parts"} & set(node["properties"])
    assert '"default"' not in str(schema).replace("'", '"')


def test_a_server_without_strict_output_gets_json_mode_and_the_same_validation(fake: FakeOpenAI) -> None:
    fake.strict_supported = False
    fake.push(answer(summary_dict(overview="From JSON mode.")))
    result = summarizer(fake).summarize(case_text(AGREEMENT), Steps())

    assert result.summary.overview == "From JSON mode."
    first, second = fake.requests
    assert first["response_format"]["type"] == "json_schema"  # refused with a 400
    assert second["response_format"] == {"type": "json_object"}
    system = second["messages"][0]["content"]
    assert "JSON schema" in system and '"key_points"' in system
    assert result.usage.prompt_tokens == 100  # the refused request cost nothing


def test_json_mode_answers_are_validated_against_the_schema(fake: FakeOpenAI) -> None:
    fake.strict_supported = False
    fake.push(answer({"overview": "Only an overview."}), answer(summary_dict(overview="Complete.")))
    result = summarizer(fake).summarize(case_text(AGREEMENT), Steps())
    assert result.summary.overview == "Complete."
    assert [r["response_format"]["type"] for r in fake.requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]


def test_429_is_retried_after_the_wait_the_server_asks_for(fake: FakeOpenAI) -> None:
    fake.push(error(429, "Rate limit reached", headers={"retry-after-ms": "400"}))
    steps = Steps()
    started = time.monotonic()
    result = summarizer(fake).summarize(case_text(AGREEMENT), steps)

    assert time.monotonic() - started >= 0.4  # Retry-After honoured, not the 0.01 s backoff
    assert result.summary.overview == "A short overview."
    assert len(fake.requests) == 2
    assert "summarizing — AI call retrying, 2 of 3" in steps


def test_retry_after_is_read_in_every_form_servers_send() -> None:
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after": "7"}) == 7
    assert retry_after({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}) > 0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_500s_until_the_attempts_run_out_are_a_transient_failure(fake: FakeOpenAI) -> None:
    fake.push(*[error(500, "The server had an error while processing your request.")] * 3)
    steps = Steps()
    with pytest.raises(TransientSummaryError) as failure:
        summarizer(fake).summarize(case_text(AGREEMENT), steps)

    assert len(fake.requests) == 3
    assert str(failure.value) == (
        "The AI service did not answer after 3 attempts "
        "(last: HTTP 500: The server had an error while processing your request.)."
    )
    assert steps == ["summarizing — AI call retrying, 2 of 3", "summarizing — AI call retrying, 3 of 3"]


def test_a_call_that_times_out_is_retried(fake: FakeOpenAI) -> None:
    fake.push(answer(summary_dict(overview="Too late."), delay=2))
    started = time.monotonic()
    result = summarizer(fake, AI_CALL_TIMEOUT_SECONDS=0.3).summarize(case_text(AGREEMENT), Steps())

    assert result.summary.overview == "A short overview."
    assert len(fake.requests) == 2
    assert time.monotonic() - started < 1.5  # the slow answer was not waited for


def test_timeouts_until_the_attempts_run_out_say_so(fake: FakeOpenAI) -> None:
    fake.push(*[answer(summary_dict(), delay=1)] * 2)
    with pytest.raises(TransientSummaryError, match=r"after 2 attempts \(last: no answer within 0.2 s\)"):
        summarizer(fake, AI_CALL_TIMEOUT_SECONDS=0.2, AI_MAX_CALL_ATTEMPTS=2).summarize(
            case_text(AGREEMENT), Steps()
        )


def test_no_retry_is_started_that_could_not_finish_inside_the_time_limit(fake: FakeOpenAI) -> None:
    fake.push(error(503, "Overloaded", headers={"retry-after": "30"}))
    started = time.monotonic()
    with pytest.raises(TransientSummaryError, match="no time left for another within the case's time limit"):
        summarizer(fake, CASE_TIME_LIMIT_SECONDS=20).summarize(case_text(AGREEMENT), Steps())
    assert time.monotonic() - started < 2 and len(fake.requests) == 1


def test_the_deadline_of_the_attempt_bounds_the_calls(fake: FakeOpenAI) -> None:
    # Reading the files used up the attempt's time: no call is started that could not finish.
    late = dataclasses.replace(case_text(AGREEMENT), deadline=time.monotonic() + 3)
    with pytest.raises(TransientSummaryError, match="did not finish within the case's time limit"):
        summarizer(fake).summarize(late, Steps())
    assert fake.requests == []


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (answer("{not json"), "the answer was not valid JSON"),
        (answer('{"overview": "cut off', finish_reason="length"), "cut off at the model's output limit"),
        (answer({"overview": 3}), "the answer did not match the summary schema (overview: Input should be"),
    ],
)
def test_a_malformed_answer_is_retried_then_the_case_fails_with_the_reason(
    fake: FakeOpenAI, bad: object, reason: str
) -> None:
    fake.push(bad, answer(summary_dict(overview="Second try.")))
    assert summarizer(fake).summarize(case_text(AGREEMENT), Steps()).summary.overview == "Second try."

    fake.push(*[bad] * 3)
    with pytest.raises(SummaryError) as failure:
        summarizer(fake).summarize(case_text(AGREEMENT), Steps())
    assert not isinstance(failure.value, TransientSummaryError)
    assert str(failure.value).startswith("The AI answer was not a valid summary after 3 attempts: ")
    assert reason in str(failure.value)


def test_usage_counts_every_answer_including_rejected_ones(fake: FakeOpenAI) -> None:
    fake.push(
        answer("{not json", prompt_tokens=500, completion_tokens=7), answer(summary_dict(), prompt_tokens=500)
    )
    usage = summarizer(fake).summarize(case_text(AGREEMENT), Steps()).usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (1000, 27)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            error(401, "Incorrect API key provided: sk-abc***xyz"),
            "refused the API key (HTTP 401): check OPENAI_API_KEY.",
        ),
        (error(404, "The model `gpt-9` does not exist"), "does not know the model 'gpt-4o-mini' (HTTP 404)"),
        (error(429, "You exceeded your current quota", code="insufficient_quota"), "no quota left"),
        (error(400, "messages: too long"), "refused the request (HTTP 400): messages: too long"),
    ],
)
def test_errors_that_another_try_cannot_fix_fail_at_once(
    fake: FakeOpenAI, reply: object, message: str
) -> None:
    fake.push(reply)
    with pytest.raises(SummaryError, match=r".*") as failure:
        summarizer(fake).summarize(case_text(AGREEMENT), Steps())
    assert not isinstance(failure.value, TransientSummaryError)
    assert message in str(failure.value)
    assert "sk-abc" not in str(failure.value)
    assert len(fake.requests) == 1


def test_a_server_that_is_not_an_openai_api_fails_at_once(fake: FakeOpenAI) -> None:
    fake.push(Reply(body="<html>Sign in to continue</html>"))
    with pytest.raises(
        SummaryError, match="did not answer like an OpenAI-compatible API: check OPENAI_BASE_URL"
    ):
        summarizer(fake).summarize(case_text(AGREEMENT), Steps())
    assert len(fake.requests) == 1


def test_the_provider_is_chosen_by_setting_never_by_a_key(
    monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAI
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = ai_settings(fake)
    assert isinstance(build_summarizer(settings), OpenAISummarizer)
    # The environment's key and URL are not used: only the settings are.
    summarizer(fake).summarize(case_text(AGREEMENT), Steps())
    assert len(fake.requests) == 1
    with pytest.raises(SummaryError, match="OPENAI_API_KEY is not set"):
        build_summarizer({**settings, "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None})
    default = OpenAISummarizer.from_config({**settings, "OPENAI_BASE_URL": None})
    assert default.settings.base_url == OPENAI_URL
